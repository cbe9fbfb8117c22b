using Ignis.Nn;
using Ignis.Optim;
using Xunit;
using F = Ignis.Nn.Functional;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// A training loop that never disposes anything stays in bounded device memory: dead storages return their buffers
/// through finalizers, and the allocator collects when churn (or an exhausted pool) says so.
/// </summary>
[Collection("opencl serial")]
public class DeviceMemoryTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    [OpenCLFact]
    public void A_loop_without_dispose_runs_in_bounded_memory()
    {
        Torch.ManualSeed(0);
        var model = new Sequential(new Linear(512, 512), new ReLU(), new Linear(512, 10));
        model.To(Cl);
        var opt = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Torch.Randn([256, 512], device: Cl);
        var y = Torch.Randint(0, 10, [256], device: Cl);
        Torch.OpenCL.ResetPeakMemoryStats();
        long perStep = 0;
        for (int step = 0; step < 200; step++)
        {
            long before = Torch.OpenCL.MemoryAllocated();
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (step == 0) perStep = Math.Max(Torch.OpenCL.MaxMemoryAllocated() - before, 1);
        }
        // Each step allocates activations and gradients of about 2 MiB; 200 steps without reuse would need ~400 MiB.
        long reserved = Torch.OpenCL.MemoryReserved();
        Assert.True(reserved < 40 * perStep + (64L << 20), $"reserved {reserved >> 20} MiB after 200 steps of ~{perStep >> 10} KiB each");
    }
}
