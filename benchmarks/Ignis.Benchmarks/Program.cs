using System.Diagnostics;
using BenchmarkDotNet.Running;
using Ignis.Benchmarks;

// `side-by-side` (default): Ignis and libtorch interleaved in one process. `bdn …`: BenchmarkDotNet micro-benchmarks.
if (args.Length > 0 && args[0] == "profile")
{
    var prof = new ProfilingBackend(Ignis.Backends.BackendRegistry.Get(Ignis.Device.Cpu));
    if (args.Contains("--ops")) Ignis.Backends.BackendRegistry.Register(prof);
    // profile [size] [--ops] [--models a,b]: forward/backward/optimizer split per step (and per op with --ops).
    int mi = Array.IndexOf(args, "--models");
    var models = mi > 0 && mi + 1 < args.Length ? args[mi + 1].Split(',') : ["resnet18", "mobilenet_v2"];
    foreach (var name in models)
    {
        var net = IgnisNet.Zoo(name);
        int size = args.Length > 1 && int.TryParse(args[1], out int sz) ? sz : 64;
        var x = Ignis.Torch.Randn(4, 3, size, size);
        var y = Ignis.Torch.Tensor(new long[] { 1, 3, 5, 7 });
        for (int i = 0; i < 3; i++) net.Profile(x, y);
        var pause0 = GC.GetTotalPauseDuration();
        long alloc0 = GC.GetTotalAllocatedBytes();
        int gen2 = GC.CollectionCount(2);
        var r = Enumerable.Range(0, 5).Select(_ => net.Profile(x, y)).OrderBy(t => t.fwd + t.bwd + t.opt).ElementAt(2);
        if (args.Contains("--ops"))
        {
            prof.Reset();
            for (int i = 0; i < 3; i++) net.Profile(x, y);
            prof.Print(3);
        }
        Console.WriteLine($"{name} {size}px: forward {r.fwd:F1} ms, backward {r.bwd:F1} ms, adam {r.opt:F1} ms; per step: GC pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / 5:F1} ms, allocated {(GC.GetTotalAllocatedBytes() - alloc0) / 5 / 1e6:F0} MB, gen2 GCs {(GC.CollectionCount(2) - gen2) / 5.0:F1}");
    }
    return 0;
}
if (args.Length > 0 && args[0] == "device")
{
    // The seed's device comparison (Ignis.Vision.Benchmarks.DeviceBenchmark): device [--image-size N] [--images N]
    // [--batch-size N] [--epochs N] [--workers N] [--models a,b] [--data DIR] [--json FILE]
    string? Opt(string name) { int i = Array.IndexOf(args, name); return i > 0 && i + 1 < args.Length ? args[i + 1] : null; }
    int IntOpt(string name, int fallback) => Opt(name) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
    var defaults = new Ignis.Vision.Benchmarks.DeviceBenchmarkOptions();
    var options = defaults with
    {
        ImageSize = IntOpt("--image-size", defaults.ImageSize),
        Images = IntOpt("--images", defaults.Images),
        BatchSize = IntOpt("--batch-size", defaults.BatchSize),
        Epochs = IntOpt("--epochs", defaults.Epochs),
        Workers = IntOpt("--workers", defaults.Workers),
        Models = Opt("--models")?.Split(',') ?? defaults.Models,
        DataRoot = Opt("--data"),
    };
    var report = Ignis.Vision.Benchmarks.DeviceBenchmark.Run(options, new Progress<string>(Console.Error.WriteLine));
    var cpuModel = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() : null;
    Console.WriteLine($"# {cpuModel ?? "unknown CPU"}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    Console.Write(report.ToTable());
    var jsonPath = Opt("--json") ?? "device-benchmark.json";
    File.WriteAllText(jsonPath, report.ToJson());
    Console.WriteLine($"JSON: {Path.GetFullPath(jsonPath)}");
    return 0;
}
if (args.Length > 0 && args[0] == "conv-split") return ConvSplit.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm") return GemmShapes.Run(args[1..]);
if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args[1..]);
    return 0;
}
// Side by side (default): the launcher runs the passes as child processes, the peer under tcmalloc (see Launcher).
return Launcher.Main(args);
