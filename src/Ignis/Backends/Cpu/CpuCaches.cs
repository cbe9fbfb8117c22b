using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Ignis.Backends.Cpu;

/// <summary>
/// The data-cache sizes the blocked kernels size their panels from: CPUID leaf 4 (Intel) or 0x8000001D (AMD) on x86,
/// the kernel's sysfs view on Linux elsewhere, <c>sysctl</c> on macOS; typical values when none of those answers.
/// </summary>
/// <param name="L1Data">L1 data cache per core, bytes.</param>
/// <param name="L2">L2 per core (or per cluster on Arm), bytes.</param>
/// <param name="L3">Last-level cache of the whole package, bytes (0 when there is none).</param>
/// <param name="Source">Where the numbers came from ("cpuid", "sysfs", "sysctl" or "default").</param>
internal sealed record CpuCaches(long L1Data, long L2, long L3, string Source)
{
    static readonly Lazy<CpuCaches> detected = new(Detect);

    /// <summary>This machine's caches, detected once per process.</summary>
    public static CpuCaches Current => detected.Value;

    /// <summary>What the blocking assumed before it asked the hardware: 32 KiB L1d, 1 MiB L2, 8 MiB L3.</summary>
    public static readonly CpuCaches Default = new(32 << 10, 1 << 20, 8 << 20, "default");

    public override string ToString() => $"L1d {L1Data >> 10} KiB, L2 {L2 >> 10} KiB, L3 {L3 >> 20} MiB ({Source})";

    static CpuCaches Detect()
    {
        try
        {
            return (X86Base.IsSupported ? FromCpuid() : null)
                ?? (OperatingSystem.IsLinux() ? FromSysfs("/sys/devices/system/cpu/cpu0/cache") : null)
                ?? (OperatingSystem.IsMacOS() ? FromSysctl() : null)
                ?? Default;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Default;
        }
    }

    /// <summary>
    /// Deterministic cache parameters: leaf 4 on Intel, 0x8000001D on AMD (same layout): per sub-leaf, EAX[4:0] the
    /// type (0 = no more caches, 1 = data, 3 = unified), EAX[7:5] the level; size = ways·partitions·line·sets.
    /// </summary>
    internal static CpuCaches? FromCpuid()
    {
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, ebx);
        BitConverter.TryWriteBytes(vendor[4..], edx);
        BitConverter.TryWriteBytes(vendor[8..], ecx);
        int leaf;
        uint maxExt = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        CpuCaches? Legacy() => maxExt < 0x80000006 ? null : FromAmdLegacy((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx,
            (uint)X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx, (uint)X86Base.CpuId(unchecked((int)0x80000006), 0).Edx);
        if (vendor.SequenceEqual("GenuineIntel"u8)) leaf = 4;
        else if (vendor.SequenceEqual("AuthenticAMD"u8) || vendor.SequenceEqual("HygonGenuine"u8))
        {
            // 0x8000001D exists only with TOPOEXT (CPUID 0x80000001 ECX bit 22); hypervisors may also answer it with
            // zeros (seen on a 2-vCPU EPYC family 26 VM). The legacy leaves 0x80000005/6 every AMD CPU has come next.
            if (maxExt < 0x8000001D || (X86Base.CpuId(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) == 0) return Legacy();
            leaf = unchecked((int)0x8000001D);
        }
        else return null;
        var sizes = new List<(int level, int type, long bytes)>();
        for (int sub = 0; sub < 16; sub++)
        {
            var (a, b, c, _) = X86Base.CpuId(leaf, sub);
            int type = a & 0x1F;
            if (type == 0) break;
            long bytes = (long)((b >> 22) + 1) * (((b >> 12) & 0x3FF) + 1) * ((b & 0xFFF) + 1) * ((long)(uint)c + 1);
            sizes.Add(((a >> 5) & 7, type, bytes));
        }
        return Build(sizes, "cpuid") ?? (leaf == 4 ? null : Legacy());
    }

    /// <summary>
    /// AMD's legacy cache leaves: 0x80000005 ECX[31:24] the L1 data cache in KiB, 0x80000006 ECX[31:16] the L2 in KiB and
    /// EDX[31:18] the L3 in 512 KiB units (the whole package's, not one CCD's).
    /// </summary>
    internal static CpuCaches? FromAmdLegacy(uint l1Ecx, uint l2Ecx, uint l3Edx)
    {
        long l1 = (long)(l1Ecx >> 24) << 10, l2 = (long)(l2Ecx >> 16) << 10, l3 = (long)(l3Edx >> 18) * (512 << 10);
        return l1 >= 4 << 10 && l2 >= l1 ? new CpuCaches(l1, l2, l3, "cpuid, legacy AMD leaves") : null;
    }

    /// <summary>Linux' view of the caches: index*/level, type ("Data", "Instruction", "Unified") and size ("48K").</summary>
    internal static CpuCaches? FromSysfs(string root)
    {
        if (!Directory.Exists(root)) return null;
        var sizes = new List<(int level, int type, long bytes)>();
        foreach (var dir in Directory.GetDirectories(root, "index*"))
        {
            string Read(string f) => File.ReadAllText(Path.Combine(dir, f)).Trim();
            if (!File.Exists(Path.Combine(dir, "size"))) continue;
            int type = Read("type") switch { "Data" => 1, "Instruction" => 2, "Unified" => 3, _ => 0 };
            sizes.Add((int.Parse(Read("level")), type, ParseSize(Read("size"))));
        }
        return Build(sizes, "sysfs");
    }

    /// <summary>"48K", "2048K", "32M" → bytes.</summary>
    internal static long ParseSize(string s)
    {
        s = s.Trim();
        long mult = s.EndsWith('K') ? 1 << 10 : s.EndsWith('M') ? 1 << 20 : s.EndsWith('G') ? 1L << 30 : 1;
        return long.Parse(mult == 1 ? s : s[..^1], System.Globalization.CultureInfo.InvariantCulture) * mult;
    }

    static CpuCaches? Build(List<(int level, int type, long bytes)> sizes, string source)
    {
        long Size(int level) => sizes.Where(s => s.level == level && s.type is 1 or 3).Select(s => s.bytes).DefaultIfEmpty(0).Max();
        long l1 = Size(1), l2 = Size(2), l3 = Size(3);
        // A hypervisor that hides the topology reports zeros or nonsense; keep the defaults then.
        if (l1 < 4 << 10 || l2 < l1) return null;
        return new CpuCaches(l1, l2, l3, source);
    }

    static unsafe CpuCaches? FromSysctl()
    {
        long Get(ReadOnlySpan<byte> name)
        {
            long value = 0;
            nuint len = sizeof(long);
            fixed (byte* p = name) return sysctlbyname(p, &value, &len, null, 0) == 0 ? value : 0;
        }
        // Apple Silicon reports the performance cores' caches under hw.perflevel0 (hw.l1dcachesize is the efficiency cores').
        long l1 = Get("hw.perflevel0.l1dcachesize\0"u8), l2 = Get("hw.perflevel0.l2cachesize\0"u8);
        if (l1 == 0) l1 = Get("hw.l1dcachesize\0"u8);
        if (l2 == 0) l2 = Get("hw.l2cachesize\0"u8);
        long l3 = Get("hw.l3cachesize\0"u8);
        return l1 >= 4 << 10 && l2 >= l1 ? new CpuCaches(l1, l2, l3, "sysctl") : null;
    }

    // macOS' C library (libSystem); only called on macOS.
    [DllImport("libc", EntryPoint = "sysctlbyname")]
    static extern unsafe int sysctlbyname(byte* name, long* oldp, nuint* oldlenp, void* newp, nuint newlen);
}
