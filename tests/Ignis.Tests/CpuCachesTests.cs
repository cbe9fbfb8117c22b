using Ignis.Backends.Cpu;
using Ignis.Backends.Cpu.Gemm;
using Xunit;

namespace Ignis.Tests;

/// <summary>Cache detection (CPUID, sysfs) and the GEMM panel sizes derived from it.</summary>
public class CpuCachesTests
{
    [Theory]
    [InlineData("48K", 48L << 10)]
    [InlineData("1280K", 1280L << 10)]
    [InlineData("32M", 32L << 20)]
    [InlineData("512", 512L)]
    public void Sysfs_sizes_parse(string text, long bytes) => Assert.Equal(bytes, CpuCaches.ParseSize(text));

    [Fact]
    public void Sysfs_tree_gives_data_and_unified_levels()
    {
        var root = Directory.CreateTempSubdirectory("ignis-cache-");
        try
        {
            void Index(int i, int level, string type, string size)
            {
                var d = Directory.CreateDirectory(Path.Combine(root.FullName, $"index{i}"));
                File.WriteAllText(Path.Combine(d.FullName, "level"), $"{level}\n");
                File.WriteAllText(Path.Combine(d.FullName, "type"), type + "\n");
                File.WriteAllText(Path.Combine(d.FullName, "size"), size + "\n");
            }
            Index(0, 1, "Data", "48K");
            Index(1, 1, "Instruction", "64K");   // never counted as L1d
            Index(2, 2, "Unified", "1280K");
            Index(3, 3, "Unified", "49152K");
            var c = CpuCaches.FromSysfs(root.FullName)!;
            Assert.Equal((48L << 10, 1280L << 10, 48L << 20, "sysfs"), (c.L1Data, c.L2, c.L3, c.Source));
        }
        finally { root.Delete(true); }
    }

    /// <summary>Register values read on a 2-vCPU AMD EPYC family 26 VM whose leaf 0x8000001D answered only zeros.</summary>
    [Fact]
    public void Amd_legacy_leaves_decode()
    {
        var c = CpuCaches.FromAmdLegacy(0x300C0140, 0x04006140, 0x0FE09140)!;
        Assert.Equal((48L << 10, 1024L << 10, 1016L * (512 << 10)), (c.L1Data, c.L2, c.L3));
        Assert.Null(CpuCaches.FromAmdLegacy(0, 0, 0));
        Assert.Equal((256, 504), (GemmBlocking.For(c, 64).Kc, GemmBlocking.For(c, 64).Mc));
    }

    [Fact]
    public void Missing_or_nonsense_topology_falls_back_to_defaults()
    {
        Assert.Null(CpuCaches.FromSysfs("/nonexistent/cache"));
        var c = CpuCaches.Current;
        Assert.True(c.L1Data >= 4 << 10 && c.L2 >= c.L1Data, c.ToString());
        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported && OperatingSystem.IsLinux() && CpuCaches.FromCpuid() is { } cpuid
            && CpuCaches.FromSysfs("/sys/devices/system/cpu/cpu0/cache") is { } sysfs)
            Assert.Equal(sysfs.L1Data, cpuid.L1Data); // the two sources agree where both answer
    }

    [Theory]
    // Ice Lake-SP (48 KiB L1d, 1.25 MiB L2), AVX-512: the sizes the constants had, and a larger A block.
    [InlineData(48, 1280, 48 << 10, 64, 256, 636, 4096)]
    // 32 KiB L1d / 1 MiB L2 (Zen 4, Skylake), AVX-512: a shorter K panel so the B sliver stays in L1.
    [InlineData(32, 1024, 32 << 10, 64, 160, 816, 4096)]
    // AVX2 on the same 32 KiB L1d: half the sliver width, twice the depth.
    [InlineData(32, 1024, 32 << 10, 32, 320, 408, 4096)]
    // Apple M1 performance core (128 KiB L1d, 12 MiB shared L2, no L3), NEON: depth and rows at their caps.
    [InlineData(128, 12288, 0, 16, 512, 1020, 3072)]
    public void Blocking_follows_the_caches(int l1Kb, int l2Kb, int l3Kb, int vectorBytes, int kc, int mc, int nc)
    {
        var b = GemmBlocking.For(new CpuCaches(l1Kb * 1024L, l2Kb * 1024L, l3Kb * 1024L, "test"), vectorBytes);
        Assert.Equal((kc, mc, nc), (b.Kc, b.Mc, b.Nc));
        Assert.Equal(0, b.Mc % 12);
        Assert.Equal(0, b.Nc % 64);
    }
}
