using System.Diagnostics;
using System.Text.Json;

namespace Ignis.Benchmarks;

/// <summary>
/// Runs the side-by-side passes as child processes, because the allocator is chosen before a process starts:
/// <list type="number">
/// <item>main: both engines interleaved, the peer under tcmalloc (its strongest configuration, the allocator
/// PyTorch's CPU performance guides recommend) — the ratio column;</item>
/// <item>reference: libtorch alone under glibc malloc (with the mmap/trim tunables that were the peer's best
/// before) — kept so the allocator's share of libtorch's time stays visible;</item>
/// <item>memory: each engine alone, so its peak RSS and page faults are its own.</item>
/// </list>
/// Then prints one table that merges them, headed by the machine facts.
/// </summary>
internal static class Launcher
{
    const string RoleVariable = "IGNIS_BENCH_CHILD";

    static readonly string[] TcmallocPaths =
    [
        "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib64/libtcmalloc_minimal.so.4",
        "/usr/lib/libtcmalloc_minimal.so.4",
        "/usr/local/lib/libtcmalloc_minimal.so.4",
    ];

    /// <summary>The side-by-side entry point: in a child, run the pass; otherwise launch the passes.</summary>
    public static int Main(string[] args)
    {
        if (Environment.GetEnvironmentVariable(RoleVariable) is not null || !OperatingSystem.IsLinux())
        {
            if (!OperatingSystem.IsLinux()) Console.WriteLine("# not Linux: one in-process pass with the platform's malloc (no tcmalloc re-execution)");
            return SideBySide.Run(args);
        }
        var tcmalloc = Environment.GetEnvironmentVariable("IGNIS_TCMALLOC") is { Length: > 0 } p ? p : TcmallocPaths.FirstOrDefault(File.Exists);
        if (tcmalloc is null)
        {
            Console.Error.WriteLine("tcmalloc not found: the peer's strongest configuration runs under it. Install it " +
                "(Debian/Ubuntu: apt-get install libtcmalloc-minimal4) or point IGNIS_TCMALLOC at libtcmalloc_minimal.so.4.");
            return 2;
        }
        // One engine asked for (`--engine ignis|libtorch`): a single pass of it under tcmalloc, its own table.
        int ei = Array.IndexOf(args, "--engine");
        if (ei >= 0 && ei + 1 < args.Length && args[ei + 1] != "both")
        {
            var only = args.Where((a, i) => i != ei && i != ei + 1 && a is not ("--no-reference" or "--no-memory")).ToArray();
            var json = Path.Combine(Path.GetTempPath(), $"ignis-bench-{Environment.ProcessId}.json");
            var alone = Pass(only, args[ei + 1], tcmalloc, json);
            File.Delete(json);
            return alone is null ? 1 : 0;
        }
        bool noReference = args.Contains("--no-reference"), noMemory = args.Contains("--no-memory");
        var passArgs = args.Where(a => a is not ("--no-reference" or "--no-memory")).ToArray();
        var dir = Directory.CreateTempSubdirectory("ignis-bench-");
        try
        {
            Console.WriteLine("## pass 1: both engines interleaved, libtorch under tcmalloc");
            var main = Pass(passArgs, "both", tcmalloc, Path.Combine(dir.FullName, "main.json"));
            if (main is null) return 1;
            SideBySide.PassResult? glibc = null, ignisAlone = null, torchAlone = null;
            if (!noReference)
            {
                Console.WriteLine("## pass 2: libtorch alone under glibc malloc (reference column)");
                glibc = Pass([.. passArgs, "--brief"], "libtorch", null, Path.Combine(dir.FullName, "glibc.json"));
            }
            if (!noMemory)
            {
                // One process per workload and engine: allocators keep what they freed (tcmalloc never returns it, the
                // GC and Ignis' cache keep a working set), so a process' peak after an earlier workload is not this one's.
                Console.WriteLine("## pass 3: each engine alone, one process per workload (peak RSS, page faults)");
                var names = main.Rows.Select(r => r.Name).ToArray();
                var rest = passArgs.Where((a, i) => a != "--only" && (i == 0 || passArgs[i - 1] != "--only")).ToArray();
                ignisAlone = Merge(names.Select((n, i) => Pass([.. rest, "--brief", "--exact", n], "ignis", tcmalloc, Path.Combine(dir.FullName, $"ignis{i}.json"))));
                torchAlone = Merge(names.Select((n, i) => Pass([.. rest, "--brief", "--exact", n], "libtorch", tcmalloc, Path.Combine(dir.FullName, $"libtorch{i}.json"))));
            }
            Console.WriteLine();
            Console.WriteLine("## merged table");
            PrintMerged(main, glibc, ignisAlone, torchAlone);
            return 0;
        }
        finally { dir.Delete(true); }
    }

    /// <summary>The rows of several one-workload passes as one pass (header and baseline of the first).</summary>
    static SideBySide.PassResult? Merge(IEnumerable<SideBySide.PassResult?> passes)
    {
        var list = passes.Where(p => p is not null).Select(p => p!).ToList();
        return list.Count == 0 ? null : list[0] with { Rows = list.SelectMany(p => p.Rows).ToArray() };
    }

    /// <summary>Runs one pass in a child process (tcmalloc preloaded, or glibc with the tunables) and reads its JSON.</summary>
    static SideBySide.PassResult? Pass(string[] args, string engine, string? tcmalloc, string json)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        // Under `dotnet run` the process is the app host; under `dotnet Ignis.Benchmarks.dll` it is dotnet itself.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(Launcher).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--engine");
        psi.ArgumentList.Add(engine);
        psi.ArgumentList.Add("--json");
        psi.ArgumentList.Add(json);
        psi.Environment[RoleVariable] = engine;
        if (tcmalloc is not null)
        {
            psi.Environment["LD_PRELOAD"] = tcmalloc;
            psi.Environment.Remove("GLIBC_TUNABLES");
        }
        else
        {
            psi.Environment.Remove("LD_PRELOAD");
            psi.Environment["GLIBC_TUNABLES"] = SideBySide.MallocTuning;
        }
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(json))
        {
            Console.Error.WriteLine($"the {engine} pass failed (exit code {p.ExitCode})");
            return null;
        }
        return JsonSerializer.Deserialize<SideBySide.PassResult>(File.ReadAllText(json));
    }

    static void PrintMerged(SideBySide.PassResult main, SideBySide.PassResult? glibc, SideBySide.PassResult? ignisAlone, SideBySide.PassResult? torchAlone)
    {
        foreach (var h in main.Header) Console.WriteLine(h);
        Console.WriteLine($"# peer allocator: {main.Allocator}{(glibc is null ? "" : $"; reference column: {glibc.Allocator}")}");
        Console.WriteLine("# medians after warm-up (each workload called until its time is stable, ≥ 1 s); first call = the first call after setup (JIT, first-touch memory);");
        Console.WriteLine("# page faults per call in steady state (the interleaved pass); peak RSS from each engine alone, one process per workload (VmHWM: libraries and runtime included)" +
            (ignisAlone is null ? "" : $"; baseline RSS before the first workload: Ignis alone {ignisAlone.BaselineRssBytes / 1e6:F0} MB, libtorch alone {torchAlone?.BaselineRssBytes / 1e6:F0} MB"));
        Console.WriteLine("| workload | Ignis | libtorch (tcmalloc) | Ignis/libtorch | libtorch (glibc) | first call Ignis | first call libtorch | GFLOP/s Ignis | GFLOP/s libtorch | page faults/call Ignis | page faults/call libtorch | peak RSS Ignis | peak RSS libtorch |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        static SideBySide.Row? Find(SideBySide.PassResult? p, string name) => p?.Rows.FirstOrDefault(r => r.Name == name);
        static string T(double? s) => s is { } v ? SideBySide.Fmt(v) : "";
        static string Mb(long? b) => b is { } v ? $"{v / 1e6:F0} MB" : "";
        foreach (var r in main.Rows)
        {
            var (i, l) = (r.Ignis!, r.LibTorch!);
            string gf(double s) => r.Flops > 0 ? $"{r.Flops / s / 1e9:F1}" : "";
            Console.WriteLine($"| {r.Name} | {T(i.Median)} | {T(l.Median)} | {i.Median / l.Median:F2} | {T(Find(glibc, r.Name)?.LibTorch?.Median)} | " +
                $"{T(i.FirstCall)} | {T(l.FirstCall)} | {gf(i.Median)} | {gf(l.Median)} | {i.MinorFaultsPerCall + i.MajorFaultsPerCall:F0} | {l.MinorFaultsPerCall + l.MajorFaultsPerCall:F0} | " +
                $"{Mb(Find(ignisAlone, r.Name)?.Ignis?.PeakRssBytes)} | {Mb(Find(torchAlone, r.Name)?.LibTorch?.PeakRssBytes)} |");
        }
    }
}
