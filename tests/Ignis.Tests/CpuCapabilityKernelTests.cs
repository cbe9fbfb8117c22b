using System.Runtime.Intrinsics;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// Torch.Backends.Cpu reports the path the kernels actually take. The name ends in KernelTests so CI's reruns with
/// DOTNET_EnableAVX512=0 / EnableAVX2=0 / EnableHWIntrinsic=0 run it too, and each rerun checks the knob took effect.
/// </summary>
public class CpuCapabilityKernelTests
{
    static bool Off(string knob) => Environment.GetEnvironmentVariable("DOTNET_" + knob) == "0";

    [Fact]
    public void Capability_follows_the_runtimes_simd_settings()
    {
        string cap = Torch.Backends.Cpu.GetCpuCapability(), machine = Torch.Backends.Cpu.GetMachineCapability();
        string[] order = ["SCALAR", "DEFAULT", "NEON", "AVX2", "AVX512"];
        Assert.Contains(cap, order);
        Assert.Contains(machine, order);
        Assert.True(Array.IndexOf(order, cap) <= Array.IndexOf(order, machine), $"{cap} above the machine's {machine}");
        if (Off("EnableHWIntrinsic")) Assert.Equal("SCALAR", cap);
        else if (Off("EnableAVX2") || Off("EnableAVX")) Assert.Contains(cap, (string[])["DEFAULT", "NEON"]);
        else if (Off("EnableAVX512")) Assert.Equal(machine == "AVX512" ? "AVX2" : machine, cap);
        else if (cap != machine)
        {
            // Only the JIT's own choice may narrow it (e.g. 256-bit preferred on CPUs that throttle at 512), and it says so.
            Assert.Equal(("AVX512", "AVX2"), (machine, cap));
            Assert.False(Vector512.IsHardwareAccelerated);
            Assert.NotNull(Torch.Backends.Cpu.GetCapabilityLimitation());
        }
        if (cap == machine) Assert.Null(Torch.Backends.Cpu.GetCapabilityLimitation());
    }

    [Fact]
    public void Gemm_reports_the_path_its_last_call_took()
    {
        using var a = Torch.Randn(33, 17);
        using var b = Torch.Randn(17, 29);
        using var c = a.MatMul(b);
        var paths = Torch.Backends.Cpu.GetKernelPaths();
        Assert.Equal(4, paths.Count);
        Assert.Contains(paths, p => p.Key == "cache blocking (GEMM panels)" && p.Value.Contains("KC "));
        string gemm = paths.Single(p => p.Key.StartsWith("gemm", StringComparison.Ordinal)).Value;
        string cap = Torch.Backends.Cpu.GetCpuCapability();
        Assert.StartsWith(cap, gemm);
        if (cap is "AVX512" or "AVX2") Assert.Contains("FMA", gemm);
    }
}
