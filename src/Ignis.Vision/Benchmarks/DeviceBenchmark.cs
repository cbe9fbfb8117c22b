using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ignis.Data;
using Ignis.Nn;
using Ignis.Optim;

namespace Ignis.Vision.Benchmarks;

/// <summary>Settings of <see cref="DeviceBenchmark.Run"/>; the defaults are the seed experiment's.</summary>
public sealed record DeviceBenchmarkOptions
{
    /// <summary>The seed's five models, in its order.</summary>
    public static readonly IReadOnlyList<string> SeedModels = ["vgg16", "alexnet", "resnet18", "mobilenet_v2", "efficientnet_b0"];

    /// <summary>Side of the square images the 28×28 digits are resized to (224 in the seed).</summary>
    public int ImageSize { get; init; } = 224;
    /// <summary>Training images: the first N of MNIST's training split (1,000 in the seed).</summary>
    public int Images { get; init; } = 1000;
    /// <summary>Batch size (4 in the seed; 64 is the other common choice).</summary>
    public int BatchSize { get; init; } = 4;
    /// <summary>Epochs per model and device; the mean epoch time is reported.</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>DataLoader workers (4 in the seed).</summary>
    public int Workers { get; init; } = 4;
    /// <summary>torchvision model names (see <see cref="Models.Models.List"/>).</summary>
    public IReadOnlyList<string> Models { get; init; } = SeedModels;
    /// <summary>Devices to run on; null: the CPU and every available CUDA and OpenCL device.</summary>
    public IReadOnlyList<Device>? Devices { get; init; }
    /// <summary>The folder holding MNIST's IDX files; null: the usual places, then the shipped 10,000-digit sample.</summary>
    public string? DataRoot { get; init; }
    /// <summary>Seed for weights and shuffling, so every device trains the same model on the same batches.</summary>
    public long Seed { get; init; }
}

/// <summary>One model on one device.</summary>
/// <param name="Model">torchvision name.</param>
/// <param name="Device">Device string ("cpu", "cuda:0", "opencl:0").</param>
/// <param name="EpochSeconds">Wall time of each epoch (data loading, forward, backward, Adam step).</param>
/// <param name="LastLoss">The loss of the last batch, a sanity check that training ran.</param>
/// <param name="SpeedupOverCpu">CPU mean epoch time ÷ this device's; null when the CPU was not measured.</param>
public sealed record DeviceBenchmarkRow(string Model, string Device, IReadOnlyList<double> EpochSeconds, double LastLoss, double? SpeedupOverCpu)
{
    /// <summary>Mean epoch time in seconds.</summary>
    public double MeanEpochSeconds => EpochSeconds.Average();
}

/// <summary>The measurements of one run, printable as a table and as JSON.</summary>
public sealed class DeviceBenchmarkReport(DeviceBenchmarkOptions options, IReadOnlyList<DeviceBenchmarkRow> rows)
{
    /// <summary>The settings the run used.</summary>
    public DeviceBenchmarkOptions Options { get; } = options;
    /// <summary>One row per model and device.</summary>
    public IReadOnlyList<DeviceBenchmarkRow> Rows { get; } = rows;

    /// <summary>A plain-text table: model, device, mean epoch seconds, speed-up over the CPU, last loss.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Options.Images} MNIST images at {Options.ImageSize}x{Options.ImageSize}, batch {Options.BatchSize}, {Options.Epochs} epoch(s), Adam lr 1e-3");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"model",-18} {"device",-10} {"epoch s",10} {"vs CPU",8} {"last loss",10}");
        foreach (var r in Rows)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Model,-18} {r.Device,-10} {r.MeanEpochSeconds,10:F2} {(r.SpeedupOverCpu is double s ? s.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-"),8} {r.LastLoss,10:F4}");
        return sb.ToString();
    }

    /// <summary>The report as JSON: <c>{"options": {...}, "results": [{"model", "device", "epoch_seconds", "mean_epoch_seconds", "speedup_over_cpu", "last_loss"}]}</c>.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("options");
            w.WriteNumber("image_size", Options.ImageSize);
            w.WriteNumber("images", Options.Images);
            w.WriteNumber("batch_size", Options.BatchSize);
            w.WriteNumber("epochs", Options.Epochs);
            w.WriteNumber("workers", Options.Workers);
            w.WriteNumber("seed", Options.Seed);
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (var r in Rows)
            {
                w.WriteStartObject();
                w.WriteString("model", r.Model);
                w.WriteString("device", r.Device);
                w.WriteStartArray("epoch_seconds");
                foreach (var s in r.EpochSeconds) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteNumber("mean_epoch_seconds", r.MeanEpochSeconds);
                if (r.SpeedupOverCpu is double sp) w.WriteNumber("speedup_over_cpu", sp); else w.WriteNull("speedup_over_cpu");
                w.WriteNumber("last_loss", r.LastLoss);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}

/// <summary>
/// The seed programs' device comparison, done right: MNIST digits resized to a square and repeated to 3 channels, a
/// subset of N images, a shuffling DataLoader with workers, torchvision models with a 10-class head, Adam (lr 1e-3)
/// and cross-entropy on the full logits (the seed's <c>model(x)[:, 0]</c> against float targets trained nothing
/// useful), timed per epoch on every device, with each accelerator's speed-up over the CPU.
/// </summary>
public static class DeviceBenchmark
{
    /// <summary>The devices a run uses by default: the CPU, then each available CUDA and OpenCL device.</summary>
    public static IReadOnlyList<Device> AvailableDevices()
    {
        var list = new List<Device> { Device.Cpu };
        for (int i = 0; i < Torch.Cuda.DeviceCount(); i++) list.Add(Device.Parse($"cuda:{i}"));
        for (int i = 0; i < Torch.OpenCL.DeviceCount(); i++) list.Add(Device.Parse($"opencl:{i}"));
        return list;
    }

    /// <summary>
    /// Runs every model on every device. <paramref name="progress"/> receives one line per finished epoch.
    /// </summary>
    public static DeviceBenchmarkReport Run(DeviceBenchmarkOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= new DeviceBenchmarkOptions();
        if (options.ImageSize < 32) throw new ArgumentException($"image size {options.ImageSize} is too small for the zoo's models (at least 32)");
        if (options.Images < 1 || options.BatchSize < 1 || options.Epochs < 1)
            throw new ArgumentException("images, batch size and epochs must be positive");
        foreach (var m in options.Models)
            if (!Models.Models.List().Contains(m)) throw new ArgumentException($"Unknown model {m}; known: {string.Join(", ", Models.Models.List())}");
        var devices = options.Devices ?? AvailableDevices();

        // The seed's PIL pipeline is Resize → Grayscale(3) → ToTensor; on tensors ToTensor takes [H, W] first, then the
        // single channel is repeated to three.
        var transform = new Compose(new Resize(options.ImageSize, options.ImageSize), new ToTensor(), new Grayscale(3));
        var mnist = new MNIST(options.DataRoot, train: true, transform: transform);
        if (options.Images > mnist.Count) throw new ArgumentException($"asked for {options.Images} images; the dataset at {mnist.Root} holds {mnist.Count}");
        var subset = new Subset<(Tensor Image, long Label)>(mnist, [.. Enumerable.Range(0, options.Images)]);

        var rows = new List<DeviceBenchmarkRow>();
        foreach (var name in options.Models)
        {
            double? cpuMean = null;
            foreach (var device in devices)
            {
                var times = new List<double>();
                double lastLoss = double.NaN;
                Torch.ManualSeed(options.Seed);
                var model = Models.Models.Get(name, numClasses: 10);
                model.To(device);
                model.Train();
                var optimizer = new Adam(model.Parameters(), lr: 1e-3);
                var shuffle = new Generator().ManualSeed(options.Seed);
                var loader = new DataLoader<(Tensor Image, long Label)>(subset, options.BatchSize, shuffle: true, numWorkers: options.Workers, generator: shuffle);
                for (int epoch = 0; epoch < options.Epochs; epoch++)
                {
                    var sw = Stopwatch.StartNew();
                    foreach (var batch in loader)
                    {
                        var x = batch[0].To(device);
                        var y = batch[1].To(device);
                        var loss = Nn.Functional.CrossEntropy(model.Forward(x), y);
                        optimizer.ZeroGrad();
                        loss.Backward();
                        optimizer.Step();
                        lastLoss = loss.Item<float>();
                    }
                    times.Add(sw.Elapsed.TotalSeconds);
                    progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{name} on {device}: epoch {epoch + 1}/{options.Epochs} {times[^1]:F2} s, loss {lastLoss:F4}"));
                }
                double mean = times.Average();
                if (device.Type == DeviceType.Cpu) cpuMean = mean;
                rows.Add(new DeviceBenchmarkRow(name, device.ToString(), times, lastLoss, cpuMean is double c ? c / mean : null));
            }
        }
        return new DeviceBenchmarkReport(options, rows);
    }
}
