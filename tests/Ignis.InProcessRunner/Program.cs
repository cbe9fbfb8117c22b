using System.Diagnostics;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Xml;
using Xunit;
using Xunit.Sdk;

// Usage: Ignis.InProcessRunner [--trx FILE] [--case SUBSTRING] [--repeat N] CLASS-NAME-FRAGMENT...
// Runs every [Fact]/[Theory] case of the Ignis.Tests classes whose full name contains one of the fragments (the same
// selection as `dotnet test --filter FullyQualifiedName~X|...`), one at a time, and exits non-zero when any fails.
string? trx = null, caseFilter = null;
int repeat = 1;
var filters = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--trx" && i + 1 < args.Length) trx = args[++i];
    else if (args[i] == "--case" && i + 1 < args.Length) caseFilter = args[++i];
    else if (args[i] == "--repeat" && i + 1 < args.Length) repeat = int.Parse(args[++i]);
    else if (args[i] == "--gc-stress") StartGcStress();
    else filters.Add(args[i]);
}
if (filters.Count == 0) { Console.Error.WriteLine("usage: Ignis.InProcessRunner [--trx FILE] CLASS-NAME-FRAGMENT..."); return 2; }

Console.WriteLine($"# {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}, " +
    $"Vector128 accelerated {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}, " +
    $"AdvSimd {System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}");

var assembly = typeof(Ignis.Tests.GemmTests).Assembly;
int passed = 0, failed = 0, skipped = 0;
var total = Stopwatch.StartNew();
foreach (var type in assembly.GetExportedTypes().Where(t => t.IsClass && !t.IsAbstract && filters.Any(f => t.FullName!.Contains(f, StringComparison.Ordinal))).OrderBy(t => t.FullName))
{
    foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).OrderBy(m => m.MetadataToken))
    {
        var fact = method.GetCustomAttribute<FactAttribute>();
        if (fact is null) continue;
        string name = $"{type.FullName}.{method.Name}";
        if (fact.Skip is not null) { skipped++; continue; }
        var rows = new List<object?[]>();
        var data = method.GetCustomAttributes<DataAttribute>().ToList();
        if (data.Count == 0) rows.Add([]);
        foreach (var d in data) rows.AddRange(d.GetData(method));
        foreach (var row in rows)
        for (int rep = 0; rep < repeat; rep++)
        {
            string caseName = row.Length == 0 ? name : $"{name}({string.Join(", ", row.Select(a => a?.ToString()))})";
            if (caseFilter is not null && !caseName.Contains(caseFilter, StringComparison.Ordinal)) continue;
            var sw = Stopwatch.StartNew();
            try
            {
                object? instance = method.IsStatic ? null : Activator.CreateInstance(type);
                try
                {
                    var result = method.Invoke(instance, Coerce(method, row));
                    if (result is Task task) task.GetAwaiter().GetResult();
                }
                finally { (instance as IDisposable)?.Dispose(); }
                passed++;
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                if (inner.GetType().Name == "SkipException") { skipped++; continue; }
                failed++;
                Console.WriteLine($"FAIL {caseName} ({sw.Elapsed.TotalSeconds:F1} s)\n  {inner.GetType().Name}: {inner.Message}");
                if (failed <= 3) Console.WriteLine(inner.StackTrace);
            }
        }
    }
}
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped in {total.Elapsed.TotalSeconds:F0} s");
if (trx is not null) WriteTrx(trx, passed, failed, skipped);
return failed == 0 && passed > 0 ? 0 : 1;

// A thread that keeps allocating, so collections (and compactions) happen inside the kernels under test: a reference
// the JIT or a kernel fails to report to the GC shows up as corrupt data instead of once in a million runs.
static void StartGcStress()
{
    var t = new Thread(() =>
    {
        var keep = new object[64];
        for (long i = 0; ; i++)
        {
            keep[i & 63] = new byte[(int)(i % 4000) + 16];
            if ((i & 1023) == 0) Thread.Sleep(0);
        }
    }) { IsBackground = true, Name = "gc-stress" };
    t.Start();
}

// Theory data arrives as object[]; convert the values xunit would convert (e.g. an int literal for a long parameter).
static object?[] Coerce(MethodInfo method, object?[] row)
{
    var ps = method.GetParameters();
    var r = new object?[ps.Length];
    for (int i = 0; i < ps.Length; i++)
    {
        object? v = i < row.Length ? row[i] : ps[i].DefaultValue;
        var t = Nullable.GetUnderlyingType(ps[i].ParameterType) ?? ps[i].ParameterType;
        if (v is not null && !t.IsInstanceOfType(v) && v is IConvertible && !t.IsEnum) v = Convert.ChangeType(v, t, System.Globalization.CultureInfo.InvariantCulture);
        else if (v is not null && t.IsEnum && !t.IsInstanceOfType(v)) v = Enum.ToObject(t, v);
        r[i] = v;
    }
    return r;
}

// The totals in the shape .ci/run reads from `dotnet test`'s TRX files.
static void WriteTrx(string path, int passed, int failed, int skipped)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    using var w = XmlWriter.Create(path, new XmlWriterSettings { Indent = true });
    w.WriteStartElement("TestRun", "http://microsoft.com/schemas/VisualStudio/TeamTest/2010");
    w.WriteStartElement("ResultSummary");
    w.WriteAttributeString("outcome", failed == 0 ? "Completed" : "Failed");
    w.WriteStartElement("Counters");
    w.WriteAttributeString("total", (passed + failed + skipped).ToString());
    w.WriteAttributeString("executed", (passed + failed).ToString());
    w.WriteAttributeString("passed", passed.ToString());
    w.WriteAttributeString("failed", failed.ToString());
    w.WriteAttributeString("notExecuted", skipped.ToString());
    w.WriteEndElement();
    w.WriteEndElement();
    w.WriteEndElement();
}
