using Ignis.Gpu;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// The two formulations of the pooling gradients — one work-item per plane scattering (CPU devices) and one per input
/// element gathering from the windows that hold it (GPUs) — on geometry where windows overlap, pad, dilate, round up
/// (ceil mode) and adapt: both give the CPU's gradients bit for bit, because both add in ascending output order.
/// </summary>
[Collection("opencl serial")]
public class PoolingGradientTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    public static TheoryData<string> Cases => ["max k3 s2 p1", "max k2 s1 dilation 2", "max k3 s2 ceil", "max k2x3 s2x1 p1x0",
        "avg k3 s2 p1", "avg k3 s2 p1 exclude-pad", "avg k3 s2 ceil exclude-pad", "avg k2x3 s1x2 p1", "adaptive 3x2", "adaptive 4x4"];

    static Tensor Pool(string name, Tensor x)
    {
        var p = name.Split(' ');
        static int[] Pair(string s)
        {
            var v = s.Split('x').Select(int.Parse).ToArray();
            return v.Length == 1 ? [v[0], v[0]] : v;
        }
        int[] Arg(string prefix, int[] fallback) => p.FirstOrDefault(a => a.StartsWith(prefix, StringComparison.Ordinal) && char.IsDigit(a[prefix.Length])) is { } a ? Pair(a[prefix.Length..]) : fallback;
        int[] dilation = p.Contains("dilation") ? Pair(p[Array.IndexOf(p, "dilation") + 1]) : [1, 1];
        return p[0] switch
        {
            "max" => Torch.MaxPool2d(x, Arg("k", [2, 2]), Arg("s", [1, 1]), Arg("p", [0, 0]), dilation, ceilMode: p.Contains("ceil")),
            "avg" => Torch.AvgPool2d(x, Arg("k", [2, 2]), Arg("s", [1, 1]), Arg("p", [0, 0]), ceilMode: p.Contains("ceil"), countIncludePad: !p.Contains("exclude-pad")),
            _ => Torch.AdaptiveAvgPool2d(x, Pair(p[1])),
        };
    }

    static Tensor Gradient(string name, Tensor x, Tensor weights, Device device)
    {
        var xd = x.To(device).Detach().RequiresGrad_();
        var y = Pool(name, xd);
        (y * weights.Narrow(0, 0, y.Numel).View(y.Shape).To(device)).Sum().Backward();
        return xd.Grad!.Cpu();
    }

    [OpenCLTheory]
    [MemberData(nameof(Cases))]
    public void Scatter_per_plane_and_gather_per_element_equal_the_cpus_gradients(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            Torch.ManualSeed(3);
            var x = Torch.Randn(2, 3, 9, 8).To(dtype);
            var weights = Torch.Randn(2 * 3 * 9 * 8).To(dtype); // distinct output gradients, so a misplaced one shows
            var cpu = Gradient(name, x, weights, Device.Cpu);
            var scatter = Gradient(name, x, weights, Cl);
            Tensor gather;
            GpuBackend.ForceGatherPooling = true;
            try { gather = Gradient(name, x, weights, Cl); }
            finally { GpuBackend.ForceGatherPooling = false; }
            Assert.True(Torch.Equal(scatter, cpu), $"{name} {dtype}: per-plane scatter differs from the CPU");
            Assert.True(Torch.Equal(gather, cpu), $"{name} {dtype}: per-element gather differs from the CPU (max |diff| {(gather - cpu).Abs().Max().Item<double>()})");
        }
    }
}
