using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>erfinv and the GELU derivatives run on the device (through float64 where the device has it, as the CPU).</summary>
[Collection("opencl serial")]
public class SpecialFunctionTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    [OpenCLFact]
    public void Erfinv_and_gelu_gradients_run_on_the_device_like_the_cpu()
    {
        var y = Torch.Linspace(-1, 1, 2001);
        var edges = Torch.Tensor([float.NaN, 1.5f, -1.5f, 1f, -1f, 0f, -0f, 0.999999f]);
        var x = Torch.Linspace(-9, 9, 3001).RequiresGrad_();
        foreach (var dt in new[] { DType.Float32, DType.Float64, DType.Float16 })
        {
            OpenCLBackend.ResetHostFallbacks();
            foreach (var input in new[] { y, edges })
            {
                var cpu = input.To(dt).Erfinv().To(DType.Float64);
                var cl = input.To(dt).To(Cl).Erfinv().Cpu().To(DType.Float64);
                Assert.True(Torch.Allclose(cl, cpu, rtol: dt == DType.Float64 ? 1e-12 : 1e-6, atol: 0, equalNan: true), $"erfinv {dt}");
            }
            foreach (string approximate in new[] { "none", "tanh" })
            {
                var xc = x.Detach().To(dt).RequiresGrad_();
                Nn.Functional.Gelu(xc, approximate).Sum().Backward();
                var xd = x.Detach().To(dt).To(Cl).RequiresGrad_();
                Nn.Functional.Gelu(xd, approximate).Sum().Backward();
                Assert.True(Torch.Allclose(xd.Grad!.Cpu().To(DType.Float64), xc.Grad!.To(DType.Float64), rtol: dt == DType.Float64 ? 1e-12 : 1e-6, atol: 1e-7),
                    $"gelu({approximate}) gradient {dt}");
            }
            Assert.DoesNotContain(OpenCLBackend.HostFallbacks.Keys, k => k.StartsWith("Unary"));
        }
    }
}
