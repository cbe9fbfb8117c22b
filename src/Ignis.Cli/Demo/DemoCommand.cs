using Ignis.Keras;
using Ignis.Nn;
using Ignis.Vision;
using Spectre.Console;

namespace Ignis.Cli.Demo;

/// <summary>
/// <c>ignis demo</c>: the README's main job on what ships with the tool — TensorFlow's quick-start MLP (Flatten →
/// Dense 128 ReLU → Dropout 0.2 → Dense 10, Adam, sparse categorical cross-entropy) trained with <c>Fit</c> on the
/// 10,000-digit MNIST sample, with a live progress bar; then test accuracy, a few test digits drawn in ASCII with the
/// model's predictions, and where the weights were saved.
/// </summary>
internal static class DemoCommand
{
    public static int Run(int epochs, long seed, string outDir, string deviceSpec, TextWriter output)
    {
        var console = Doctor.DoctorCommand.ConsoleFor(output);
        var device = PickDevice(deviceSpec);
        var train = new MNIST();
        var test = new MNIST(train: false);
        console.MarkupLine($"[bold]ignis demo[/]: an MLP on {train.Count:N0} MNIST training digits ({Markup.Escape(train.Root)}), " +
                           $"{test.Count:N0} test digits, {epochs} epoch(s), device [bold]{device}[/]");

        Torch.ManualSeed(seed);
        var model = new Sequential(new Flatten(), new Linear(28 * 28, 128), new ReLU(), new Dropout(0.2), new Linear(128, 10));
        model.To(device);
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"], fromLogits: true);
        var x = train.Data.Float().Div(255.0);
        var xTest = test.Data.Float().Div(255.0);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        History? history = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var bar = new ProgressBar(ctx, epochs);
                history = model.Fit(x, train.Targets, epochs, batchSize: 32, validationData: (xTest, test.Targets),
                    callbacks: [new ProgressCallback(bar)]);
            });
        var final = model.Evaluate(xTest, test.Targets);
        console.MarkupLine($"test accuracy: [bold]{final["accuracy"]:F4}[/] (loss {final["loss"]:F4}) after {clock.Elapsed.TotalSeconds:F1} s");

        // A few test digits as the model sees them, with its answers.
        model.Eval();
        Tensor predicted;
        using (Torch.NoGrad()) predicted = model.Forward(xTest.Narrow(0, 0, 4).To(device)).Argmax(1).Cpu();
        var labels = test.Targets.Narrow(0, 0, 4).ToArray<long>();
        var preds = predicted.ToArray<long>();
        var pixels = test.Data.Narrow(0, 0, 4).ToArray<byte>();
        for (int i = 0; i < 4; i++)
        {
            output.WriteLine($"digit {i + 1}: label {labels[i]}, predicted {preds[i]}{(labels[i] == preds[i] ? "" : "  (wrong)")}");
            var art = Ascii(pixels.AsSpan(i * 784, 784)).ToList();
            // The digit only: MNIST centres it in blank margins.
            while (art.Count > 0 && art[0].Length == 0) art.RemoveAt(0);
            while (art.Count > 0 && art[^1].Length == 0) art.RemoveAt(art.Count - 1);
            foreach (var line in art) output.WriteLine("    " + line);
        }

        Directory.CreateDirectory(outDir);
        string path = Path.GetFullPath(Path.Combine(outDir, "mnist-mlp.pth"));
        Torch.Save(model.StateDict(), path);
        console.MarkupLine($"model saved to [bold]{Markup.Escape(path)}[/] (PyTorch's format: torch.load(path) reads it)");
        return final["accuracy"] > 0.5 ? 0 : 1;
    }

    /// <summary>auto: CUDA, else an OpenCL GPU, else the CPU (a CPU OpenCL driver is slower than Ignis' own CPU kernels).</summary>
    internal static Device PickDevice(string spec)
    {
        if (spec != "auto") return Device.Parse(spec);
        if (Torch.Cuda.IsAvailable()) return Device.Parse("cuda");
        foreach (var d in OpenCL.OpenCLBackend.DeviceInfos)
            if (!Doctor.DoctorAnalysis.IsCpuDriver(d))
                return new Device(DeviceType.OpenCL, d.Index);
        return Device.Cpu;
    }

    /// <summary>A 28×28 digit as 14 lines of 28 characters (two pixel rows per line), darker pixels as denser characters.</summary>
    internal static IEnumerable<string> Ascii(ReadOnlySpan<byte> image)
    {
        const string ramp = " .:-=+*#%@";
        var lines = new List<string>(14);
        for (int r = 0; r < 28; r += 2)
        {
            var chars = new char[28];
            for (int c = 0; c < 28; c++)
            {
                int v = Math.Max(image[r * 28 + c], image[(r + 1) * 28 + c]);
                chars[c] = ramp[v * (ramp.Length - 1) / 255];
            }
            lines.Add(new string(chars).TrimEnd());
        }
        return lines;
    }

    /// <summary>Feeds Fit's progress events to a Spectre progress bar: one task per epoch with loss, accuracy and images/s.</summary>
    sealed class ProgressBar(ProgressContext ctx, int epochs) : ITrainingProgress
    {
        ProgressTask? task;
        int epoch;

        public void EpochStarted(int epoch, int epochs, int steps)
        {
            this.epoch = epoch;
            task = ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: Math.Max(steps, 1));
        }

        public void BatchEnded(int step, int steps, IReadOnlyDictionary<string, double> logs, double samplesPerSecond)
        {
            if (task is null) return;
            task.Value = step;
            if (step % 20 == 0 || step == steps)
                task.Description = $"epoch {epoch}/{epochs} batch {step}/{steps} loss {logs["loss"]:F4} acc {logs["accuracy"]:F4} {samplesPerSecond:N0} img/s";
        }

        public void EpochEnded(int epoch, IReadOnlyDictionary<string, double> logs, TimeSpan elapsed)
        {
            if (task is null) return;
            task.Description = $"epoch {epoch}/{epochs} loss {logs["loss"]:F4} acc {logs["accuracy"]:F4} test acc {logs["val_accuracy"]:F4}";
            task.StopTask();
        }
    }
}
