using System.Diagnostics;
using Ignis.Nn;
using Ignis.Optim;
using Xunit;
using Xunit.Abstractions;
using F = Ignis.Nn.Functional;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// A resnet18 training step (torchvision's architecture; the vision zoo's own model lands with that issue) at 64×64,
/// batch 4, on opencl:0 and on the CPU from the same weights: the losses before and after one SGD step agree to 1e-4
/// relative. The times are printed (PoCL is a correctness device, not a speed claim).
/// </summary>
[Collection("opencl serial")]
public class ResNetStepTests(ITestOutputHelper output)
{
    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly BatchNorm2d bn1, bn2;
        readonly Sequential? downsample;

        public BasicBlock(long inPlanes, long planes, int stride)
        {
            conv1 = new Conv2d(inPlanes, planes, 3, stride, 1, bias: false);
            bn1 = new BatchNorm2d(planes);
            conv2 = new Conv2d(planes, planes, 3, 1, 1, bias: false);
            bn2 = new BatchNorm2d(planes);
            if (stride != 1 || inPlanes != planes)
                downsample = new Sequential(new Conv2d(inPlanes, planes, 1, stride, bias: false), new BatchNorm2d(planes));
        }

        public override Tensor Forward(Tensor x)
        {
            var y = F.Relu(bn1.Forward(conv1.Forward(x)));
            y = bn2.Forward(conv2.Forward(y));
            return F.Relu(y + (downsample is null ? x : downsample.Forward(x)));
        }
    }

    sealed class ResNet18 : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1 = new(3, 64, 7, 2, 3, bias: false);
        readonly BatchNorm2d bn1 = new(64);
        readonly MaxPool2d maxpool = new(3, 2, 1);
        readonly Sequential layer1 = new(new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1));
        readonly Sequential layer2 = new(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
        readonly Sequential layer3 = new(new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1));
        readonly Sequential layer4 = new(new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1));
        readonly AdaptiveAvgPool2d avgpool = new(1);
        readonly Linear fc = new(512, 10);

        public override Tensor Forward(Tensor x)
        {
            x = maxpool.Forward(F.Relu(bn1.Forward(conv1.Forward(x))));
            x = layer4.Forward(layer3.Forward(layer2.Forward(layer1.Forward(x))));
            return fc.Forward(Torch.Flatten(avgpool.Forward(x), 1));
        }
    }

    static (double Before, double After, TimeSpan StepTime) Step(Device device)
    {
        Torch.ManualSeed(0);
        var model = new ResNet18();
        var x = Torch.Randn(4, 3, 64, 64);
        var y = Torch.Tensor(new long[] { 1, 7, 3, 9 });
        model.To(device);
        var opt = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var (xd, yd) = (x.To(device), y.To(device));
        // One untimed step builds the kernels; the timed step starts from the same weights again.
        var clock = Stopwatch.StartNew();
        opt.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(xd), yd);
        loss.Backward();
        opt.Step();
        double before = loss.Item<float>();
        clock.Stop();
        double after = F.CrossEntropy(model.Forward(xd), yd).Item<float>();
        return (before, after, clock.Elapsed);
    }

    [OpenCLFact]
    public void A_resnet18_training_step_on_opencl_gives_the_cpus_loss()
    {
        Step(DeviceUnderTest.Device); // warm-up: compiles the kernels (and the JIT tiers up the CPU kernels)
        // The CPU reference convolves by im2col GEMM, as the OpenCL backend does: Winograd's different rounding (~1e-5),
        // amplified by the momentum step, moves the loss after the step by ~4e-3.
        (double Before, double After, TimeSpan StepTime) cpu;
        Torch.Backends.Cpu.AllowWinograd = false;
        try
        {
            Step(Device.Cpu);
            cpu = Step(Device.Cpu);
        }
        finally { Torch.Backends.Cpu.AllowWinograd = true; }
        OpenCLBackend.ResetHostFallbacks();
        var cl = Step(DeviceUnderTest.Device);
        output.WriteLine($"resnet18 step, 64×64 batch 4: cpu {cpu.StepTime.TotalMilliseconds:F0} ms, opencl:0 ({Torch.OpenCL.GetDeviceName()}) {cl.StepTime.TotalMilliseconds:F0} ms");
        output.WriteLine($"loss before/after the step: cpu {cpu.Before:R} / {cpu.After:R}, opencl {cl.Before:R} / {cl.After:R}");
        output.WriteLine("host fallbacks: " + string.Join(", ", OpenCLBackend.HostFallbacks.Select(kv => $"{kv.Key} ×{kv.Value}")));
        Assert.True(Math.Abs(cpu.Before - cl.Before) <= 1e-4 * Math.Abs(cpu.Before), $"loss {cl.Before:R} on opencl, {cpu.Before:R} on the cpu");
        Assert.True(Math.Abs(cpu.After - cl.After) <= 1e-4 * Math.Abs(cpu.After), $"loss after the step {cl.After:R} on opencl, {cpu.After:R} on the cpu");
        Assert.NotEqual(cpu.Before, cpu.After);
    }
}
