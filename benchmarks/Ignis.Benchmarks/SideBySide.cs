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

    /// <summary>Which engines a run measures: both interleaved (the ratio), or one alone (its peak RSS and page faults).</summary>
    public enum Engines { Both, Ignis, LibTorch }

    /// <summary>One engine's numbers for one workload.</summary>
    public sealed record EngineResult(double Median, double FirstCall, int WarmupCalls, double WarmupSeconds, int TimedCalls,
        double MinorFaultsPerCall, double MajorFaultsPerCall, long? PeakRssBytes);

    /// <summary>One workload's row: either engine may be absent when it ran alone.</summary>
    public sealed record Row(string Name, double Flops, EngineResult? Ignis, EngineResult? LibTorch, long IgnisPeakTensorBytes);

    /// <summary>What one pass printed and measured, read back by the launcher.</summary>
    public sealed record PassResult(string[] Header, string Allocator, int IgnisThreads, int LibTorchThreads, int LibTorchInteropThreads, long BaselineRssBytes, Row[] Rows);

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool brief = args.Contains("--brief");   // memory/reference passes: warm up, then a few timed calls
        string? only = Opt(args, "--only"), exact = Opt(args, "--exact");
        var engines = (Opt(args, "--engine") ?? "both") switch
        {
            "both" => Engines.Both,
            "ignis" => Engines.Ignis,
            "libtorch" => Engines.LibTorch,
            var e => throw new ArgumentException($"--engine must be both, ignis or libtorch, not '{e}'"),
        };
        ShowThreads = args.Contains("--threads");
        int threads = Environment.ProcessorCount;
        string? it = Opt(args, "--ignis-threads");
        bool runIgnis = engines != Engines.LibTorch, runTorch = engines != Engines.Ignis;
        // Loading libtorch maps ~400 MB of libraries: a run of Ignis alone never touches it, so its RSS is its own.
        if (runIgnis) I.Torch.SetNumThreads(it is null ? threads : int.Parse(it));
        if (runTorch) torch.set_num_threads(threads);
        int ltThreads = runTorch ? torch.get_num_threads() : 0, ltInterop = runTorch ? torch.get_num_interop_threads() : 0;
        var header = MachineInfo.Lines().Append(
            $"# threads: Ignis {(runIgnis ? I.Torch.GetNumThreads() : 0)} intra-op; libtorch {(runTorch ? $"{torch.__version__} (TorchSharp-cpu), {ltThreads} intra-op, {ltInterop} inter-op" : "not loaded")}; " +
            $"engines: {engines}").ToArray();
        foreach (var h in header) Console.WriteLine(h);
        Console.WriteLine($"| workload | Ignis median | libtorch median | Ignis/libtorch | Ignis first call | libtorch first call | Ignis GFLOP/s | libtorch GFLOP/s | page faults/call Ignis | libtorch | Ignis peak tensor memory |");
        Console.WriteLine($"|---|---|---|---|---|---|---|---|---|---|---|");
        if (args.Contains("--affinity"))
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
                Console.WriteLine($"# thread {Path.GetFileName(t)} {File.ReadAllLines(Path.Combine(t, "status")).First(l => l.StartsWith("Cpus_allowed_list"))} {File.ReadAllText(Path.Combine(t, "comm")).Trim()}");
        long baseline = ProcessCounters.Rss();
        var rows = new List<Row>();
        foreach (var w in Workloads.All(quick))
        {
            if (only != null && !w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            if (exact != null && w.Name != exact) continue;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (runIgnis) I.Torch.Memory.ResetPeak();
            var pause0 = GC.GetTotalPauseDuration();
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var (a, b) = engines == Engines.Both ? Measure(w, quick) : (runIgnis ? MeasureAlone(w.Ignis, brief) : null, runTorch ? MeasureAlone(w.LibTorch, brief) : null);
            if (args.Contains("--gc"))
                Console.WriteLine($"#   GC during {w.Name}: {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} (gen0/1/2), pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:F0} ms");
            long peakTensor = runIgnis ? I.Torch.Memory.PeakLiveTensorBytes : 0;
            var row = new Row(w.Name, w.Flops, a, b, peakTensor);
            rows.Add(row);
            Console.WriteLine(FormatRow(row));
        }
        if (args.Contains("--affinity"))
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
                Console.WriteLine($"# end thread {Path.GetFileName(t)} {File.ReadAllLines(Path.Combine(t, "status")).First(l => l.StartsWith("Cpus_allowed_list"))} {File.ReadAllText(Path.Combine(t, "comm")).Trim()}");
        Console.WriteLine($"# peak RSS of the process {ProcessCounters.PeakRss() / 1e6:F0} MB (baseline before the first workload {baseline / 1e6:F0} MB)");
        if (Opt(args, "--json") is { } json)
            File.WriteAllText(json, System.Text.Json.JsonSerializer.Serialize(new PassResult(header, MachineInfo.Allocator(),
                runIgnis ? I.Torch.GetNumThreads() : 0, ltThreads, ltInterop, baseline, rows.ToArray())));
        return 0;
    }

    static string? Opt(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    static string FormatRow(Row r)
    {
        string gf(EngineResult? e) => r.Flops > 0 && e is not null ? $"{r.Flops / e.Median / 1e9:F1}" : "";
        string t(EngineResult? e, Func<EngineResult, double> f) => e is null ? "" : Fmt(f(e));
        string ratio = r.Ignis is not null && r.LibTorch is not null ? $"{r.Ignis.Median / r.LibTorch.Median:F2}" : "";
        string pf(EngineResult? e) => e is null ? "" : $"{e.MinorFaultsPerCall + e.MajorFaultsPerCall:F0}";
        return $"| {r.Name} | {t(r.Ignis, e => e.Median)} | {t(r.LibTorch, e => e.Median)} | {ratio} | {t(r.Ignis, e => e.FirstCall)} | {t(r.LibTorch, e => e.FirstCall)} | " +
            $"{gf(r.Ignis)} | {gf(r.LibTorch)} | {pf(r.Ignis)} | {pf(r.LibTorch)} | {(r.Ignis is null ? "" : $"{r.IgnisPeakTensorBytes / 1e6:F0} MB")} |";
    }

    internal static string Fmt(double s) => s >= 1 ? $"{s:F2} s" : s >= 1e-3 ? $"{s * 1e3:F2} ms" : $"{s * 1e6:F0} µs";

    /// <summary>
    /// Times the first call (setup done, nothing warm: JIT, allocator, caches), then calls until the time is stable:
    /// at least 1 s of calls and the last two within 5 % of each other, or 10 s and 3 calls for slow workloads.
    /// </summary>
    static (double first, int calls, double seconds) WarmUp(Action a)
    {
        double first = Time(a);
        int calls = 1;
        double total = first, prev = first;
        while (true)
        {
            double t = Time(a);
            calls++;
            total += t;
            bool stable = Math.Abs(t - prev) <= 0.05 * Math.Min(t, prev);
            if ((total >= 1 && stable && calls >= 3) || (total >= 10 && calls >= 3) || total >= 30) break;
            prev = t;
        }
        return (first, calls, total);
    }

    /// <summary>
    /// Alternates blocks of back-to-back calls (A-block, B-block, B-block, A-block, …) and keeps every call but
    /// the first of each block, so each engine is timed in its steady state (its own threads and caches warm,
    /// the other engine's spinning workers settled) while slow drifts of the machine hit both engines alike.
    /// Page faults are counted per block: the other engine's workers are idle then, so the count is this engine's.
    /// </summary>
    static (EngineResult ignis, EngineResult libtorch) Measure(Workload w, bool quick)
    {
        var ai = w.Ignis();
        var bi = w.LibTorch();
        var wa = WarmUp(ai);
        var wb = WarmUp(bi);
        double once = Time(ai) + Time(bi);
        // Blocks of about 20 ms (4–64 calls) so that short workloads are timed in their steady state too.
        int blockLen = once > 0.5 ? 1 : (int)Math.Clamp(0.04 / Math.Max(once, 1e-6), 4, 64);
        int blocks = (int)Math.Clamp((quick ? 3.0 : 12.0) / Math.Max(once * blockLen, 1e-6), 2, quick ? 6 : 20);
        var ta = new Timing();
        var tb = new Timing();
        for (int r = 0; r < blocks; r++)
        {
            bool aFirst = r % 2 == 0;
            Block(aFirst ? ai : bi, aFirst ? ta : tb, blockLen);
            Block(aFirst ? bi : ai, aFirst ? tb : ta, blockLen);
        }
        return (ta.Result(wa, null), tb.Result(wb, null));
    }

    /// <summary>One engine alone: warm-up, then timed calls (3 with --brief); peak RSS is this workload's.</summary>
    static EngineResult MeasureAlone(Func<Action> setup, bool brief)
    {
        ProcessCounters.ResetPeakRss();
        var a = setup();
        var warm = WarmUp(a);
        var t = new Timing();
        if (brief) for (int i = 0; i < 3; i++) Block(a, t, 1);
        else
        {
            int blockLen = warm.seconds / warm.calls > 0.5 ? 1 : (int)Math.Clamp(0.02 / Math.Max(warm.seconds / warm.calls, 1e-6), 4, 64);
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < 6 || t.Times.Count < 3) Block(a, t, blockLen);
        }
        return t.Result(warm, ProcessCounters.PeakRss());
    }

    /// <summary>Timed calls of one engine and the page faults of the blocks they ran in.</summary>
    sealed class Timing
    {
        public readonly List<double> Times = new();
        public long MinorFaults, MajorFaults, Calls;

        public EngineResult Result((double first, int calls, double seconds) warm, long? peakRss) =>
            new(Median(Times), warm.first, warm.calls, warm.seconds, Times.Count, (double)MinorFaults / Math.Max(Calls, 1), (double)MajorFaults / Math.Max(Calls, 1), peakRss);
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

    static void Block(Action a, Timing times, int len)
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

    static void BlockCore(Action a, Timing timing, int len)
    {
        // libgomp's workers spin for milliseconds after a parallel region (GOMP_SPINCOUNT), stealing a core from
        // whatever runs next; let both engines' worker threads settle between blocks.
        Thread.Sleep(30);
        var f0 = ProcessCounters.Faults();
        a();
        for (int i = 0; i < len; i++) timing.Times.Add(Time(a));
        var f1 = ProcessCounters.Faults();
        timing.MinorFaults += f1.Minor - f0.Minor;
        timing.MajorFaults += f1.Major - f0.Major;
        timing.Calls += len + 1;
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
