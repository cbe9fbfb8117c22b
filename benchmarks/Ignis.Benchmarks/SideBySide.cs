using System.Diagnostics;
using TorchSharp;
using I = Ignis;
using static TorchSharp.torch;

namespace Ignis.Benchmarks;

/// <summary>One workload measured on both engines: a setup that returns the timed action for each.</summary>
internal sealed record Workload(string Name, double Flops, Func<Action> Ignis, Func<Action> LibTorch);

/// <summary>
/// Runs Ignis and libtorch (TorchSharp) in one process, interleaved A B A B so that machine noise hits both
/// alike, and prints medians and the ratio Ignis/libtorch (below 1.0: Ignis is faster).
/// </summary>
internal static class SideBySide
{
    public const string MallocTuning = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=68719476736";

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        ShowThreads = args.Contains("--threads");
        int threads = Environment.ProcessorCount;
        string? it = args.SkipWhile(a => a != "--ignis-threads").Skip(1).FirstOrDefault();
        I.Torch.SetNumThreads(it is null ? threads : int.Parse(it));
        torch.set_num_threads(threads);
        Console.WriteLine($"# Ignis vs libtorch {torch.__version__} (TorchSharp), {threads} threads, {Environment.OSVersion}, {RuntimeInfo()}");
        Console.WriteLine($"# GLIBC_TUNABLES={Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "(unset)"}");
        Console.WriteLine($"| workload | Ignis median | libtorch median | Ignis/libtorch | Ignis GFLOP/s | libtorch GFLOP/s | Ignis peak tensor memory |");
        Console.WriteLine($"|---|---|---|---|---|---|---|");
        if (args.Contains("--affinity"))
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
                Console.WriteLine($"# thread {Path.GetFileName(t)} {File.ReadAllLines(Path.Combine(t, "status")).First(l => l.StartsWith("Cpus_allowed_list"))} {File.ReadAllText(Path.Combine(t, "comm")).Trim()}");
        var mem0 = I.Torch.Memory.GetStats();
        foreach (var w in Workloads.All(quick))
        {
            if (only != null && !w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            I.Torch.Memory.ResetPeak();
            var pause0 = GC.GetTotalPauseDuration();
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var (a, b) = Measure(w, quick);
            if (args.Contains("--gc"))
                Console.WriteLine($"#   GC during {w.Name}: {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} (gen0/1/2), pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:F0} ms");
            string gf(double s) => w.Flops > 0 ? $"{w.Flops / s / 1e9:F1}" : "";
            Console.WriteLine($"| {w.Name} | {Fmt(a)} | {Fmt(b)} | {a / b:F2} | {gf(a)} | {gf(b)} | {I.Torch.Memory.PeakLiveTensorBytes / 1e6:F0} MB |");
        }
        if (args.Contains("--affinity"))
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
                Console.WriteLine($"# end thread {Path.GetFileName(t)} {File.ReadAllLines(Path.Combine(t, "status")).First(l => l.StartsWith("Cpus_allowed_list"))} {File.ReadAllText(Path.Combine(t, "comm")).Trim()}");
        var mem1 = I.Torch.Memory.GetStats();
        Console.WriteLine($"# Ignis memory: {(mem1.TensorBytesAllocated - mem0.TensorBytesAllocated) / 1e9:F2} GB of tensor storage allocated during the run; peak working set of the process {mem1.PeakWorkingSetBytes / 1e6:F0} MB (both engines)");
        return 0;
    }

    static string RuntimeInfo() => $".NET {Environment.Version}, AVX-512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}";

    static string Fmt(double s) => s >= 1 ? $"{s:F2} s" : s >= 1e-3 ? $"{s * 1e3:F2} ms" : $"{s * 1e6:F0} µs";

    /// <summary>
    /// Alternates blocks of back-to-back calls (A-block, B-block, B-block, A-block, …) and keeps every call but
    /// the first of each block, so each engine is timed in its steady state (its own threads and caches warm,
    /// the other engine's spinning workers settled) while slow drifts of the machine hit both engines alike.
    /// </summary>
    static (double ignis, double libtorch) Measure(Workload w, bool quick)
    {
        var ai = w.Ignis();
        var bi = w.LibTorch();
        for (int i = 0; i < 2; i++) { ai(); bi(); }
        double once = Time(ai) + Time(bi);
        // Blocks of about 20 ms (4–64 calls) so that short workloads are timed in their steady state too.
        int blockLen = once > 0.5 ? 1 : (int)Math.Clamp(0.04 / Math.Max(once, 1e-6), 4, 64);
        int blocks = (int)Math.Clamp((quick ? 3.0 : 12.0) / Math.Max(once * blockLen, 1e-6), 2, quick ? 6 : 20);
        var ta = new List<double>();
        var tb = new List<double>();
        for (int r = 0; r < blocks; r++)
        {
            bool aFirst = r % 2 == 0;
            Block(aFirst ? ai : bi, aFirst ? ta : tb, blockLen);
            Block(aFirst ? bi : ai, aFirst ? tb : ta, blockLen);
        }
        return (Median(ta), Median(tb));
    }

    /// <summary>CPU ticks (user + system) per thread of this process, for the --threads diagnostic.</summary>
    static Dictionary<string, long> ThreadTicks()
    {
        var r = new Dictionary<string, long>();
        foreach (var t in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var f = File.ReadAllText(Path.Combine(t, "stat"));
                var rest = f[(f.LastIndexOf(')') + 2)..].Split(' ');
                r[$"{Path.GetFileName(t)} {f[(f.IndexOf('(') + 1)..f.LastIndexOf(')')]}"] = long.Parse(rest[11]) + long.Parse(rest[12]);
            }
            catch (IOException) { }
        }
        return r;
    }

    internal static bool ShowThreads;

    static void Block(Action a, List<double> times, int len)
    {
        var before = ShowThreads ? ThreadTicks() : null;
        try { BlockCore(a, times, len); }
        finally
        {
            if (before is not null)
            {
                var after = ThreadTicks();
                Console.WriteLine("#   cpu ticks: " + string.Join(", ", after.Select(kv => (kv.Key, d: kv.Value - before.GetValueOrDefault(kv.Key))).Where(x => x.d > 0).OrderByDescending(x => x.d).Take(6).Select(x => $"{x.Key}={x.d}")));
            }
        }
    }

    static void BlockCore(Action a, List<double> times, int len)
    {
        // libgomp's workers spin for milliseconds after a parallel region (GOMP_SPINCOUNT), stealing a core from
        // whatever runs next; let both engines' worker threads settle between blocks.
        Thread.Sleep(30);
        a();
        for (int i = 0; i < len; i++) times.Add(Time(a));
    }

    static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
