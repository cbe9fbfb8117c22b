using System.Diagnostics;
using Ignis.Nn;
using Ignis.Optim;

namespace Ignis.GpuCheck;

/// <summary>
/// Training-step time of a torchvision model on a device, measured as <c>torch_steps.py</c> measures PyTorch: random
/// images and labels already on the device, cross-entropy, SGD with momentum; warm-up steps first, then each step
/// timed to completion (the device synchronised after it) and the median reported.
/// </summary>
static class StepTiming
{
    public sealed record Row(string Model, int ImageSize, int Batch, double MedianMs, double MinMs, double LastLoss, long Parameters);

    public static Row Time(string model, Device device, int imageSize, int batch, int warmup, int steps, Action synchronize)
    {
        Torch.ManualSeed(0);
        var net = Vision.Models.Models.Get(model, numClasses: 1000);
        net.To(device);
        net.Train();
        var optimizer = new SGD(net.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Torch.Randn([batch, 3, imageSize, imageSize]).To(device);
        var y = Torch.Randint(0, 1000, [batch]).To(device);
        Tensor? loss = null;
        void Step()
        {
            loss = Nn.Functional.CrossEntropy(net.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            synchronize();
        }
        for (int i = 0; i < warmup; i++) Step();
        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            var sw = Stopwatch.StartNew();
            Step();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return new Row(model, imageSize, batch, times[steps / 2], times[0], loss!.Item<float>(), net.Parameters().Sum(p => p.Numel));
    }
}
