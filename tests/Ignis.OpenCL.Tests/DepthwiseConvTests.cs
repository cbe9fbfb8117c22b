using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// The direct depthwise kernels on geometry the PyTorch fixtures do not reach (stride, padding and dilation differing per
/// axis, a channel multiplier, float64): forward and both gradients equal the CPU's to the sums' rounding.
/// </summary>
[Collection("opencl serial")]
public class DepthwiseConvTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    [OpenCLTheory]
    [InlineData(1, 1, 1, 1, 1, 1, 1)]
    [InlineData(2, 1, 1, 2, 2, 1, 2)]
    [InlineData(1, 3, 0, 1, 1, 2, 1)]
    public void Depthwise_forward_and_gradients_match_the_cpu(int sh, int sw, int ph, int pw, int dh, int dw, int multiplier)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            Torch.ManualSeed(21);
            var x = Torch.Randn(2, 6, 9, 11).To(dtype);
            var w = Torch.Randn(6 * multiplier, 1, 3, 3).To(dtype);
            var b = Torch.Randn(6 * multiplier).To(dtype);
            (Tensor Y, Tensor Gx, Tensor Gw, Tensor Gb) Run(Device device)
            {
                var xd = x.To(device).Detach().RequiresGrad_(); var wd = w.To(device).Detach().RequiresGrad_(); var bd = b.To(device).Detach().RequiresGrad_();
                var y = Torch.Conv2d(xd, wd, bd, stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups: 6);
                (y * y).Sum().Backward();
                return (y.Detach().Cpu(), xd.Grad!.Cpu(), wd.Grad!.Cpu(), bd.Grad!.Cpu());
            }
            var cpu = Run(Device.Cpu);
            var cl = Run(Cl);
            double tol = dtype == DType.Float32 ? 1e-4 : 1e-12;
            Assert.True(Torch.Allclose(cl.Y, cpu.Y, tol, tol), "output");
            Assert.True(Torch.Allclose(cl.Gx, cpu.Gx, tol, tol), "input gradient");
            Assert.True(Torch.Allclose(cl.Gw, cpu.Gw, tol, tol), "weight gradient");
            Assert.True(Torch.Allclose(cl.Gb, cpu.Gb, tol, tol), "bias gradient");
        }
    }
}
