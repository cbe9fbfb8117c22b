using Ignis.Backends;
using Ignis.Optim;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// The fused SGD kernel (one launch per parameter) rounds as the CPU's composed tensor ops do: parameters and momentum
/// buffers equal the CPU's bit for bit over several steps, for every option. (SGD itself is checked against PyTorch by
/// the optimizer fixtures in Ignis.Tests.)
/// </summary>
[Collection("opencl serial")]
public class FusedSgdTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    public static TheoryData<double, double, double, bool, bool, DType> Options => new()
    {
        { 0, 0, 0, false, false, DType.Float32 },
        { 0.9, 0, 0, false, false, DType.Float32 },
        { 0.9, 0.1, 1e-2, false, false, DType.Float32 },
        { 0.8, 0, 3e-3, true, false, DType.Float32 },
        { 0.5, 0.3, 1e-1, false, true, DType.Float32 },
        { 0.9, 0, 1e-2, true, true, DType.Float64 },
    };

    [OpenCLTheory]
    [MemberData(nameof(Options))]
    public void Fused_steps_equal_the_cpus_composed_ops_bit_for_bit(double momentum, double dampening, double wd, bool nesterov, bool maximize, DType dtype)
    {
        Torch.ManualSeed(11);
        var init = Torch.Randn(37, 5).To(dtype);
        var grads = Enumerable.Range(0, 4).Select(_ => Torch.Randn(37, 5).To(dtype)).ToArray();
        Tensor Train(Device device, out Tensor? buffer)
        {
            var p = init.To(device).Clone().RequiresGrad_();
            var opt = new SGD([p], lr: 0.07, momentum, dampening, wd, nesterov, maximize);
            foreach (var g in grads)
            {
                p.Grad = g.To(device);
                opt.Step();
            }
            buffer = opt.State.TryGetValue(p, out var s) && s.TryGetValue("momentum_buffer", out var b) ? (Tensor)b : null;
            return p.Detach();
        }
        var cpu = Train(Device.Cpu, out var cpuBuffer);
        var cl = Train(Cl, out var clBuffer);
        Assert.Equal(cpu.To(DType.Float64).ToArray<double>(), cl.Cpu().To(DType.Float64).ToArray<double>());
        Assert.Equal(cpuBuffer is null, clBuffer is null);
        if (cpuBuffer is not null) Assert.Equal(cpuBuffer.To(DType.Float64).ToArray<double>(), clBuffer!.Cpu().To(DType.Float64).ToArray<double>());
    }

    [OpenCLFact]
    public void The_device_takes_the_fused_path()
    {
        var p = Torch.Ones(3).To(Cl);
        var g = Torch.Full([3], 2.0).To(Cl);
        Assert.True(BackendRegistry.Get(Cl).TrySgdStep(p, g, null, new SgdHyper(0.5, 0, 0, 0, false, false, false)));
        Assert.Equal([0f, 0, 0], p.Cpu().ToArray<float>());
        Assert.False(BackendRegistry.Get(Device.Cpu).TrySgdStep(Torch.Ones(3), Torch.Ones(3), null, default));
    }
}
