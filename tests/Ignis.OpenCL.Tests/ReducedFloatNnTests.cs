using Ignis.Optim;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// float16/bfloat16 pooling, batch norm, Adam and scatter-add run on the device through float32, as the CPU computes
/// them: results equal the CPU's to one rounding of the narrow type, and nothing goes through the host.
/// </summary>
[Collection("opencl serial")]
public class ReducedFloatNnTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    static void Close(Tensor cpu, Tensor device, string what)
    {
        Assert.Equal(cpu.DType, device.DType);
        var (a, b) = (cpu.To(DType.Float64), device.Cpu().To(DType.Float64));
        // One unit in the last place of the narrow type: the float32 kernels sum in different orders before rounding.
        double ulp = cpu.DType == DType.Float16 ? 1.0 / 1024 : 1.0 / 128;
        Assert.True(Torch.Allclose(b, a, rtol: ulp, atol: ulp), $"{what} {cpu.DType}: max diff {(a - b).Abs().Max().Item<double>()}");
    }

    [OpenCLTheory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Pooling_batch_norm_adam_and_scatter_add_run_on_the_device(ScalarType dtypeKind)
    {
        DType dtype = dtypeKind;
        Torch.ManualSeed(6);
        var x0 = Torch.Randn(2, 3, 8, 8).To(dtype);
        OpenCLBackend.ResetHostFallbacks();
        (Tensor Out, Tensor Grad) Run(Device d, Func<Tensor, Tensor> f)
        {
            var x = x0.To(d).Detach().RequiresGrad_();
            var y = f(x);
            (y.To(DType.Float32) * y.To(DType.Float32)).Sum().Backward();
            return (y.Detach().Cpu(), x.Grad!.Cpu());
        }
        var cases = new (string Name, Func<Tensor, Tensor> F)[]
        {
            ("max_pool2d", x => Torch.MaxPool2d(x, [3, 3], [2, 2], [1, 1])),
            ("avg_pool2d", x => Torch.AvgPool2d(x, [2, 2])),
            ("adaptive_avg_pool2d", x => Torch.AdaptiveAvgPool2d(x, [3, 3])),
        };
        foreach (var (name, f) in cases)
        {
            var cpu = Run(Device.Cpu, f);
            var cl = Run(Cl, f);
            Close(cpu.Out, cl.Out, name);
            Close(cpu.Grad, cl.Grad, name + " gradient");
        }
        // Batch norm in training mode (running statistics updated in the narrow type) and its gradients.
        var mean = Torch.Zeros(3).To(dtype); var var_ = Torch.Ones(3).To(dtype);
        var w = Torch.Randn(3).To(dtype); var bias = Torch.Randn(3).To(dtype);
        (Tensor, Tensor, Tensor, Tensor) Bn(Device d)
        {
            var x = x0.To(d).Detach().RequiresGrad_();
            var (m, v) = (mean.To(d).Clone(), var_.To(d).Clone());
            var y = Torch.BatchNorm(x, m, v, w.To(d), bias.To(d), training: true);
            (y.To(DType.Float32) * y.To(DType.Float32)).Sum().Backward();
            return (y.Detach().Cpu(), x.Grad!.Cpu(), m.Cpu(), v.Cpu());
        }
        var (bc, bd) = (Bn(Device.Cpu), Bn(Cl));
        Close(bc.Item1, bd.Item1, "batch_norm"); Close(bc.Item2, bd.Item2, "batch_norm gradient");
        Close(bc.Item3, bd.Item3, "running_mean"); Close(bc.Item4, bd.Item4, "running_var");
        // Adam on a narrow parameter.
        Tensor AdamRun(Device d)
        {
            var p = x0.To(d).Clone().RequiresGrad_();
            var opt = new Adam([p], lr: 0.01);
            for (int i = 0; i < 3; i++) { opt.ZeroGrad(); (p.To(DType.Float32) * p.To(DType.Float32)).Sum().Backward(); opt.Step(); }
            return p.Detach().Cpu();
        }
        Close(AdamRun(Device.Cpu), AdamRun(Cl), "adam");
        // Scatter-add with repeated indices.
        var index = Torch.Randint(0, 4, [6, 5]);
        var src = Torch.Randn(6, 5).To(dtype);
        var dst = Torch.Zeros(4, 5).To(dtype);
        Close(dst.ScatterAdd(0, index, src), dst.To(Cl).ScatterAdd(0, index.To(Cl), src.To(Cl)), "scatter_add");
        Assert.Empty(OpenCLBackend.HostFallbacks);
    }
}
