using System.Runtime.InteropServices;

namespace Ignis.Benchmarks;

/// <summary>
/// The facts a benchmark table is meaningless without: CPU vendor, family/model, caches, the ISA path each engine
/// can take, thread counts and the allocator actually mapped into the process. Ratios from one of these 2-vCPU VMs do
/// not hold on the next one, so every table carries this header.
/// </summary>
internal static class MachineInfo
{
    /// <summary>Header lines (markdown comments) describing this machine and process.</summary>
    public static IEnumerable<string> Lines()
    {
        var cpu = CpuInfo();
        string Get(string key) => cpu.TryGetValue(key, out var v) ? v : "?";
        yield return $"# CPU: {Get("model name")} — vendor {Get("vendor_id")}, family {Get("cpu family")}, model {Get("model")}, stepping {Get("stepping")}; " +
            $"{Environment.ProcessorCount} logical CPUs available to the process";
        // The caches as Ignis reads them (CPUID, sysfs or sysctl), and the GEMM blocking it derives from them.
        yield return $"# caches and blocking: {Torch.Backends.Cpu.GetKernelPaths().FirstOrDefault(p => p.Key.StartsWith("cache blocking", StringComparison.Ordinal)).Value ?? "unknown"}";
        yield return $"# ISA: Ignis kernels {Torch.Backends.Cpu.GetCpuCapability()} (machine {Torch.Backends.Cpu.GetMachineCapability()}); " +
            $"CPU flags {string.Join(' ', new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile", "asimd", "sve" }.Where(f => (" " + Get("flags") + Get("Features") + " ").Contains(" " + f + " ")))}";
        yield return $"# OS: {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}; .NET {Environment.Version}; " +
            $"memory {TotalMemoryGiB():F0} GiB";
        yield return $"# allocator: {Allocator()}";
    }

    /// <summary>The malloc this process runs on: tcmalloc when its library is mapped, else glibc (with its tunables).</summary>
    public static string Allocator()
    {
        var maps = File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps") : "";
        var tc = maps.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .FirstOrDefault(p => p.Contains("libtcmalloc"));
        if (tc is not null) return $"tcmalloc ({tc}, preloaded)";
        if (!OperatingSystem.IsLinux()) return "the platform's malloc";
        return $"glibc malloc (GLIBC_TUNABLES={Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "unset"})";
    }

    static Dictionary<string, string> CpuInfo()
    {
        var d = new Dictionary<string, string>();
        if (!File.Exists("/proc/cpuinfo")) return d;
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.Length == 0) break; // the first processor is enough
            int c = line.IndexOf(':');
            if (c > 0) d.TryAdd(line[..c].Trim(), line[(c + 1)..].Trim());
        }
        return d;
    }

    static double TotalMemoryGiB()
    {
        if (!File.Exists("/proc/meminfo")) return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / (double)(1 << 20);
    }
}

/// <summary>Per-process counters from /proc: page faults and peak resident set size.</summary>
internal static class ProcessCounters
{
    /// <summary>Minor and major page faults of the whole process (all threads) so far.</summary>
    public static (long Minor, long Major) Faults()
    {
        if (!File.Exists("/proc/self/stat")) return (0, 0);
        var s = File.ReadAllText("/proc/self/stat");
        var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
        // After the command name: state is field 3, so minflt (field 10) is f[7] and majflt (field 12) is f[9].
        return (long.Parse(f[7]), long.Parse(f[9]));
    }

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakRss() => StatusKb("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long Rss() => StatusKb("VmRSS:") * 1024;

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0), so the next peak is one workload's.</summary>
    public static bool ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static long StatusKb(string key)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key));
        // "VmHWM:\t12345678 kB": a tab, not spaces, once the value has eight digits — split on any whitespace.
        return line is null ? 0 : long.Parse(line[key.Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]);
    }
}
