// The TensorFlow quick-start model in Ignis's Keras-style API: Flatten → Dense 128 ReLU → Dropout 0.2 → Dense 10,
// Adam, sparse categorical cross-entropy from logits. Trains on Fashion-MNIST when it is installed
// (apt-get install dataset-fashion-mnist), else on the 10,000-digit MNIST sample shipped in data/mnist-sample.
// Usage: dotnet run -c Release --project samples/MnistMlp -- [--epochs 10] [--batch-size 32] [--seed 1] [--data fashion|mnist]
using System.Globalization;
using Ignis;
using Ignis.Keras;
using Ignis.Nn;
using Ignis.Vision;

return MnistMlp.Run(args) > 0 ? 0 : 1;

/// <summary>The sample as a callable program, so the acceptance tests run exactly this code.</summary>
public static class MnistMlp
{
    /// <summary>Trains and evaluates; returns the final test accuracy.</summary>
    public static double Run(string[] args)
    {
        int epochs = 10, batchSize = 32;
        long seed = 1;
        string data = "auto";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch-size": batchSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--data": data = args[++i]; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }

        var (train, test) = Datasets.Load(data);
        Console.WriteLine($"{train.GetType().Name}: {train.Count:N0} training / {test.Count:N0} test images from {train.Root}");

        Torch.ManualSeed(seed);
        var model = new Sequential(
            new Flatten(),
            new Linear(28 * 28, 128),
            new ReLU(),
            new Dropout(0.2),
            new Linear(128, 10));
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"], fromLogits: true);
        Console.WriteLine(model);

        // Pixels scaled to [0, 1], as the TensorFlow tutorial does (x_train / 255.0).
        var x = train.Data.Float().Div(255.0);
        var xTest = test.Data.Float().Div(255.0);
        var history = model.Fit(x, train.Targets, epochs, batchSize, validationData: (xTest, test.Targets),
            callbacks: [new ProgressCallback(new EpochLines())]);
        var final = model.Evaluate(xTest, test.Targets);
        Console.WriteLine($"test loss: {final["loss"]:F4}");
        Console.WriteLine($"test accuracy: {final["accuracy"]:F4}");
        return final["accuracy"];
    }
}

/// <summary>One line per epoch: training loss/accuracy, test accuracy, throughput.</summary>
internal sealed class EpochLines : ITrainingProgress
{
    int epochs;
    double rate;
    public void EpochStarted(int epoch, int epochs, int steps) => this.epochs = epochs;
    public void BatchEnded(int step, int steps, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) => rate = samplesPerSecond;
    public void EpochEnded(int epoch, IReadOnlyDictionary<string, double> logs, TimeSpan elapsed) =>
        Console.WriteLine($"epoch {epoch}/{epochs}: loss {logs["loss"]:F4} - accuracy {logs["accuracy"]:F4} - test_loss {logs["val_loss"]:F4} - " +
                          $"test_accuracy {logs["val_accuracy"]:F4} ({elapsed.TotalSeconds:F1} s, {rate:N0} samples/s)");
}

internal static class Datasets
{
    /// <summary>Fashion-MNIST when asked for or installed, else the shipped MNIST sample.</summary>
    public static (MNIST Train, MNIST Test) Load(string which)
    {
        if (which is "fashion" or "auto")
        {
            try { return (new FashionMNIST(), new FashionMNIST(train: false)); }
            catch (FileNotFoundException) when (which == "auto")
            {
                Console.WriteLine("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); using the shipped MNIST sample.");
            }
        }
        return (new MNIST(), new MNIST(train: false));
    }
}
