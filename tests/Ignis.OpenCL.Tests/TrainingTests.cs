using Ignis.Data;
using Ignis.Keras;
using Ignis.Nn;
using Ignis.Optim;
using Ignis.Vision;
using Xunit;
using Xunit.Abstractions;
using F = Ignis.Nn.Functional;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// The seed programs train on opencl:0 exactly as on the CPU: same seed, same batches, same dropout masks (the device
/// runs open <see cref="OpenCLBackend.HostSampling"/>, so random numbers are PyTorch's CPU ones; by default the device
/// draws its own Philox numbers, as CUDA does in PyTorch), so the loss curves agree to float rounding — the GEMM and
/// the reductions sum in a different order than the CPU's, and Adam carries those differences forward.
/// </summary>
[Collection("opencl serial")]
public class TrainingTests(ITestOutputHelper output)
{
    const int Steps = 300;

    // Small batches keep the CNN's 300 steps to a minute on PoCL (a correctness device, not a fast one).
    const int CnnBatch = 8;

    sealed class LossRecorder : Callback
    {
        public readonly List<double> Losses = [];
        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) => Losses.Add(logs["loss"]);
    }

    /// <summary>Runs <paramref name="train"/> with random numbers drawn on the host (the CPU's dropout masks).</summary>
    static List<double> HostSampled(Func<List<double>> train)
    {
        using var cpuNumbers = OpenCLBackend.HostSampling();
        return train();
    }

    static List<double> TrainMlp(Device device, Tensor x, Tensor y)
    {
        Torch.ManualSeed(1);
        var model = new Sequential(new Flatten(), new Linear(28 * 28, 128), new ReLU(), new Dropout(0.2), new Linear(128, 10));
        model.To(device);
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"], fromLogits: true);
        var recorder = new LossRecorder();
        model.Fit(x, y, epochs: 2, batchSize: 32, callbacks: [recorder]);
        return recorder.Losses;
    }

    [OpenCLFact]
    public void Keras_mnist_mlp_trains_on_opencl_like_the_cpu()
    {
        var train = new MNIST();
        // 300 steps: two epochs of 150 batches of 32 (the shipped sample has 8,000 training images).
        var x = train.Data.Narrow(0, 0, Steps / 2 * 32).Float().Div(255.0);
        var y = train.Targets.Narrow(0, 0, Steps / 2 * 32);
        var cpu = TrainMlp(Device.Cpu, x, y);
        OpenCLBackend.ResetHostFallbacks();
        var cl = HostSampled(() => TrainMlp(DeviceUnderTest.Device, x, y));
        output.WriteLine("host fallbacks: " + string.Join(", ", OpenCLBackend.HostFallbacks.Select(kv => $"{kv.Key} ×{kv.Value}")));
        AssertCurvesAgree(cpu, cl, 2e-4);
    }

    static List<double> TrainCnn(Device device, int steps, DType dtype)
    {
        Torch.ManualSeed(1);
        var train = new MNIST(transform: new ToTensor());
        var loader = new DataLoader<(Tensor Image, long Label)>(train, batchSize: CnnBatch, shuffle: true);
        var model = new global::Net(); // samples/MnistCnn's network (pytorch/examples mnist/main.py)
        model.To(dtype);
        model.To(device);
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var losses = new List<double>();
        while (losses.Count < steps)
        foreach (var batch in loader)
        {
            if (losses.Count == steps) break;
            optimizer.ZeroGrad();
            var loss = F.NllLoss(model.Forward(batch[0].To(dtype).To(device)), batch[1].To(device));
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.To(DType.Float64).Item<double>());
        }
        return losses;
    }

    /// <summary>
    /// In float64 the whole 300-step curve agrees to 1e-9: the two devices compute the same thing. (In float32, with
    /// batches of 8, Adam and dropout, the summation-order differences of ~1e-7 grow about tenfold every 10 steps after
    /// step 30 — 1e-3 by step 80 — as any reordering of the sums would, so float32 is compared over the first 30 steps.)
    /// </summary>
    [OpenCLFact]
    public void Mnist_cnn_trains_on_opencl_like_the_cpu()
    {
        var cpu = TrainCnn(Device.Cpu, Steps, DType.Float64);
        OpenCLBackend.ResetHostFallbacks();
        var cl = HostSampled(() => TrainCnn(DeviceUnderTest.Device, Steps, DType.Float64));
        output.WriteLine("host fallbacks: " + string.Join(", ", OpenCLBackend.HostFallbacks.Select(kv => $"{kv.Key} ×{kv.Value}")));
        AssertCurvesAgree(cpu, cl, 1e-9);
    }

    [OpenCLFact]
    public void Mnist_cnn_float32_agrees_until_rounding_differences_grow()
    {
        // The CPU reference convolves by im2col GEMM, as the OpenCL backend does (Winograd rounds differently).
        List<double> cpu;
        Torch.Backends.Cpu.AllowWinograd = false;
        try { cpu = TrainCnn(Device.Cpu, 30, DType.Float32); }
        finally { Torch.Backends.Cpu.AllowWinograd = true; }
        var cl = HostSampled(() => TrainCnn(DeviceUnderTest.Device, 30, DType.Float32));
        AssertCurvesAgree(cpu, cl, 1e-5, learns: false);
    }

    void AssertCurvesAgree(List<double> cpu, List<double> cl, double rtol, bool learns = true)
    {
        Assert.Equal(cpu.Count, cl.Count);
        double worst = 0;
        for (int i = 0; i < cpu.Count; i++) worst = Math.Max(worst, Math.Abs(cpu[i] - cl[i]) / Math.Abs(cpu[i]));
        output.WriteLine("relative differences by step: " + string.Join(" ", Enumerable.Range(0, cpu.Count).Where(i => i % 10 == 0 || i < 10).Select(i => $"{i}:{Math.Abs(cpu[i] - cl[i]) / Math.Abs(cpu[i]):E1}")));
        output.WriteLine($"loss: cpu {cpu[0]:F6} → {cpu[^1]:F6}, opencl {cl[0]:F6} → {cl[^1]:F6}; largest relative difference {worst:E2}");
        if (learns) Assert.True(cpu.Count == Steps && cpu[^1] < cpu[0] * 0.6, "the model did not learn in 300 steps");
        for (int i = 0; i < cpu.Count; i++)
            Assert.True(Math.Abs(cpu[i] - cl[i]) <= rtol * Math.Abs(cpu[i]), $"step {i}: cpu loss {cpu[i]:R}, opencl loss {cl[i]:R}");
    }
}
