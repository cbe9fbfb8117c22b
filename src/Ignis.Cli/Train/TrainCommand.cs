using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ignis.Cli.Demo;
using Ignis.Cli.Doctor;
using Ignis.Data;
using Ignis.Nn;
using Ignis.Optim;
using Ignis.Vision;
using Spectre.Console;
using F = Ignis.Nn.Functional;

namespace Ignis.Cli.Train;

/// <summary>The options of <c>ignis train</c>.</summary>
internal sealed record TrainArgs(string Model, string Data, string? DataRoot, int Epochs, int BatchSize, double Lr, string Optimizer,
    string Device, string Out, long Seed, bool Resume, int ImageSize);

/// <summary>
/// <c>ignis train</c>: a model (mlp, cnn or any zoo model) on a dataset (the MNIST sample, Fashion-MNIST, CIFAR-10 or an
/// ImageFolder) with a progress bar, validation each epoch, a checkpoint written atomically after every epoch, a metrics
/// CSV, and <c>--resume</c> that continues exactly where the last checkpoint left off: model, optimizer state, the
/// global generator (dropout) and the data-order generator are all restored, so the resumed run's weights equal an
/// uninterrupted run's bit for bit. Ctrl-C finishes the current batch, saves and exits.
/// </summary>
internal static class TrainCommand
{
    public const string CheckpointName = "checkpoint.pth";

    public static int Run(TrainArgs a, TextWriter output, CancellationToken cancel = default)
    {
        var console = DoctorCommand.ConsoleFor(output);
        var device = DemoCommand.PickDevice(a.Device);
        var (train, val, classes, channels, side) = LoadData(a);
        Directory.CreateDirectory(a.Out);
        string checkpoint = Path.Combine(a.Out, CheckpointName), csv = Path.Combine(a.Out, "metrics.csv");

        Torch.ManualSeed(a.Seed);
        var model = BuildModel(a.Model, classes, channels, side);
        model.To(device);
        var optimizer = BuildOptimizer(a.Optimizer, model, a.Lr);
        var order = new Generator().ManualSeed(a.Seed);
        int start = 0;
        if (a.Resume && File.Exists(checkpoint))
        {
            start = Restore(checkpoint, a, model, optimizer, order);
            // load_state_dict brings back the saved learning rate; --lr on the resuming command line wins (the same lr: bit-exact).
            foreach (var g in optimizer.ParamGroups) g.Lr = a.Lr;
            console.MarkupLine($"resuming from {Markup.Escape(checkpoint)} after epoch {start}");
        }
        else if (File.Exists(csv)) File.Delete(csv);
        if (start >= a.Epochs)
        {
            console.MarkupLine($"nothing to do: the checkpoint has {start} epoch(s), --epochs is {a.Epochs}");
            return 0;
        }

        var loader = new DataLoader<(Tensor Image, long Label)>(train, a.BatchSize, shuffle: true, generator: order);
        var valLoader = new DataLoader<(Tensor Image, long Label)>(val, Math.Max(a.BatchSize, 256));
        console.MarkupLine($"[bold]ignis train[/]: {Markup.Escape(a.Model)} on {Markup.Escape(a.Data)} ({train.Count:N0} train / {val.Count:N0} validation, " +
                           $"{classes} classes), {a.Optimizer} lr {a.Lr.ToString(CultureInfo.InvariantCulture)}, batch {a.BatchSize}, device [bold]{device}[/], " +
                           $"epochs {start + 1}..{a.Epochs}");
        bool stopped = false;
        for (int epoch = start; epoch < a.Epochs && !stopped; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long seen = 0, correct = 0;
            console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"epoch {epoch + 1}/{a.Epochs}", maxValue: Math.Max(loader.Count, 1));
                    model.Train();
                    int step = 0;
                    foreach (var batch in loader)
                    {
                        var x = batch[0].To(device);
                        var y = batch[1].To(device);
                        var logits = model.Forward(x);
                        var loss = F.CrossEntropy(logits, y);
                        optimizer.ZeroGrad();
                        loss.Backward();
                        optimizer.Step();
                        double l = loss.Item<float>();
                        if (!double.IsFinite(l))
                            throw new InvalidOperationException($"the loss turned {(double.IsNaN(l) ? "NaN" : "infinite")} at epoch {epoch + 1}, batch {step + 1}: " +
                                "training stopped (lower --lr?); the last checkpoint holds the weights before this epoch");
                        lossSum += l * y.Size(0);
                        seen += y.Size(0);
                        using (Torch.NoGrad()) correct += logits.Argmax(1).Eq(y).Sum().Item<long>();
                        task.Value = ++step;
                        if (step % 10 == 0 || step == loader.Count)
                            task.Description = $"epoch {epoch + 1}/{a.Epochs} loss {lossSum / seen:F4} acc {(double)correct / seen:F4} {seen / clock.Elapsed.TotalSeconds:N0} img/s";
                        if (cancel.IsCancellationRequested) break;
                    }
                    task.StopTask();
                });
            if (cancel.IsCancellationRequested)
            {
                // An interrupted epoch is not saved: the checkpoint stays at the last complete epoch, so --resume repeats this one exactly.
                console.MarkupLine($"[yellow]stopped[/]: epoch {epoch + 1} was interrupted; {Markup.Escape(checkpoint)} holds {epoch} complete epoch(s) — `--resume` continues from there");
                stopped = true;
                break;
            }
            var (valLoss, valAcc) = Evaluate(model, valLoader, device);
            Save(checkpoint, a, model, optimizer, order, epoch + 1);
            AppendMetrics(csv, epoch + 1, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), valLoss, valAcc, clock.Elapsed.TotalSeconds);
            console.MarkupLine($"epoch {epoch + 1}/{a.Epochs}: loss {lossSum / Math.Max(seen, 1):F4}, accuracy {(double)correct / Math.Max(seen, 1):F4}, " +
                               $"validation loss {valLoss:F4}, validation accuracy [bold]{valAcc:F4}[/] ({clock.Elapsed.TotalSeconds:F1} s); saved {Markup.Escape(checkpoint)}");
        }
        if (File.Exists(csv))
        {
            var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(','))
                .Select(f => (int.Parse(f[0], CultureInfo.InvariantCulture), P(f[1]), P(f[2]), P(f[3]), P(f[4]))).ToArray();
            Charts.TrainingCurves(rows, Path.Combine(a.Out, "loss.png"), Path.Combine(a.Out, "accuracy.png"));
            console.MarkupLine($"metrics: {Markup.Escape(Path.GetFullPath(csv))}; charts: loss.png, accuracy.png");
        }
        return 0;

        static double P(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }

    static (Dataset<(Tensor Image, long Label)> Train, Dataset<(Tensor Image, long Label)> Val, int Classes, int Channels, int Side) LoadData(TrainArgs a)
    {
        bool zoo = a.Model is not ("mlp" or "cnn");
        int side = zoo ? a.ImageSize : 28;
        ITransform Gray() => zoo ? new Compose(new Resize(side, side), new ToTensor(), new Grayscale(3)) : new ToTensor();
        ITransform Color() => new Compose(new Resize(side, side), new ToTensor());
        switch (a.Data)
        {
            case "mnist-sample":
                return (new MNIST(a.DataRoot, train: true, transform: Gray()), new MNIST(a.DataRoot, train: false, transform: Gray()), 10, zoo ? 3 : 1, side);
            case "fashion-mnist":
                return (new FashionMNIST(a.DataRoot, train: true, transform: Gray()), new FashionMNIST(a.DataRoot, train: false, transform: Gray()), 10, zoo ? 3 : 1, side);
            case "cifar10":
                string root = a.DataRoot ?? throw new ArgumentException("cifar10 needs --data-root: the folder holding cifar-10-batches-bin (downloads are not supported)");
                side = zoo ? a.ImageSize : 32;
                return (new CIFAR10(root, train: true, transform: Color()), new CIFAR10(root, train: false, transform: Color()), 10, 3, side);
            default:
                if (!Directory.Exists(a.Data))
                    throw new ArgumentException($"--data is mnist-sample, fashion-mnist, cifar10 or a folder with train/ and val/ (or test/) ImageFolder trees; '{a.Data}' is none of them");
                string valDir = Directory.Exists(Path.Combine(a.Data, "val")) ? Path.Combine(a.Data, "val") : Path.Combine(a.Data, "test");
                side = zoo ? a.ImageSize : 28;
                var tr = new ImageFolder(Path.Combine(a.Data, "train"), Color());
                return (tr, new ImageFolder(valDir, Color()), tr.Classes.Count, 3, side);
        }
    }

    internal static Module<Tensor, Tensor> BuildModel(string name, int classes, int channels, int side) => name switch
    {
        "mlp" => new Sequential(new Flatten(), new Linear(channels * side * side, 128), new ReLU(), new Dropout(0.2), new Linear(128, classes)),
        // PyTorch's MNIST example network.
        "cnn" => new Sequential(new Conv2d(channels, 32, 3), new ReLU(), new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2), new Dropout(0.25),
            new Flatten(), new Linear(64 * ((side - 4) / 2) * ((side - 4) / 2), 128), new ReLU(), new Dropout(0.5), new Linear(128, classes)),
        _ => Vision.Models.Models.Get(name, numClasses: classes),
    };

    static Optimizer BuildOptimizer(string name, Module model, double lr) => name switch
    {
        "adam" => new Adam(model.Parameters(), lr: lr),
        "adamw" => new AdamW(model.Parameters(), lr: lr),
        "sgd" => new SGD(model.Parameters(), lr: lr, momentum: 0.9),
        _ => throw new ArgumentException($"--optimizer is adam, adamw or sgd, not '{name}'"),
    };

    static (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, DataLoader<(Tensor Image, long Label)> loader, Device device)
    {
        model.Eval();
        double loss = 0;
        long n = 0, correct = 0;
        using (Torch.NoGrad())
            foreach (var batch in loader)
            {
                var x = batch[0].To(device);
                var y = batch[1].To(device);
                var logits = model.Forward(x);
                loss += F.CrossEntropy(logits, y, reduction: "sum").Item<float>();
                correct += logits.Argmax(1).Eq(y).Sum().Item<long>();
                n += y.Size(0);
            }
        return (loss / Math.Max(n, 1), (double)correct / Math.Max(n, 1));
    }

    // What a checkpoint must match to be resumed: the same model, data and seed (lr and epochs may change).
    static string Identity(TrainArgs a) => $"{a.Model}|{a.Data}|{a.ImageSize}|{a.Optimizer}|{a.BatchSize}|{a.Seed}";

    static void Save(string path, TrainArgs a, Module model, Optimizer optimizer, Generator order, int epochs) =>
        Torch.Save(new OrderedDictionary<object, object?>
        {
            ["run"] = Identity(a),
            ["epoch"] = (long)epochs,
            ["model"] = model.StateDict(),
            ["optimizer"] = optimizer.StateDict(),
            ["rng_state"] = Torch.GetRngState(),
            ["data_order_rng_state"] = order.GetState(),
        }, path);   // Torch.Save writes a temp file in the folder and renames it: a kill never leaves half a checkpoint

    static int Restore(string path, TrainArgs a, Module model, Optimizer optimizer, Generator order)
    {
        if (Torch.Load(path) is not OrderedDictionary<object, object?> d || d.GetValueOrDefault("run") is not string run)
            throw new InvalidDataException($"{path} is not an ignis train checkpoint");
        if (run != Identity(a))
            throw new ArgumentException($"{path} was written by a different run ({run}); resume with the same --model, --data, --image-size, --optimizer, --batch-size and --seed, or use another --out");
        var state = d["model"] as IReadOnlyDictionary<string, Tensor> ?? throw new InvalidDataException($"{path}: no model state");
        model.LoadStateDict(state);
        optimizer.LoadStateDict(OptimizerStateDict.FromPyTorch(d["optimizer"]));
        Torch.SetRngState((Tensor)d["rng_state"]!);
        order.SetState((Tensor)d["data_order_rng_state"]!);
        return checked((int)(long)d["epoch"]!);
    }

    static void AppendMetrics(string path, int epoch, double loss, double acc, double valLoss, double valAcc, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!File.Exists(path)) File.WriteAllText(path, "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n");
        var lines = File.ReadAllLines(path).Where(l => !l.StartsWith(epoch.ToString(inv) + ",", StringComparison.Ordinal)).ToList();
        lines.Add(string.Join(',', epoch.ToString(inv), loss.ToString("R", inv), acc.ToString("R", inv), valLoss.ToString("R", inv),
            valAcc.ToString("R", inv), seconds.ToString("F3", inv)));
        File.WriteAllText(path, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
    }
}
