// The classic PyTorch MNIST example network, written the PyTorch way: a Module subclass, a DataLoader and an explicit
// training loop (conv 32 → conv 64 → max-pool → dropout → fc 128 → dropout → fc 10, log_softmax + NLL, Adam 1e-3).
// Trains on Fashion-MNIST when it is installed (apt-get install dataset-fashion-mnist), else on the shipped MNIST sample.
// Usage: dotnet run -c Release --project samples/MnistCnn -- [--epochs 2] [--batch-size 64] [--seed 1] [--workers 1] [--data fashion|mnist]
using System.Diagnostics;
using System.Globalization;
using Ignis;
using Ignis.Data;
using Ignis.Nn;
using Ignis.Optim;
using Ignis.Vision;
using F = Ignis.Nn.Functional;

return MnistCnn.Run(args) > 0 ? 0 : 1;

/// <summary>The sample as a callable program, so the acceptance tests run exactly this code.</summary>
public static class MnistCnn
{
    /// <summary>Trains and evaluates; returns the test accuracy after the last epoch.</summary>
    public static double Run(string[] args)
    {
        int epochs = 2, batchSize = 64, workers = 1, logInterval = 100;
        long seed = 1;
        string data = "auto";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch-size": batchSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--log-interval": logInterval = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--data": data = args[++i]; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }

        Torch.ManualSeed(seed);
        var toTensor = new ToTensor();
        MNIST trainSet, testSet;
        if (data is "fashion" or "auto" && TryFashion(toTensor, out var fashion)) (trainSet, testSet) = fashion;
        else (trainSet, testSet) = (new MNIST(transform: toTensor), new MNIST(train: false, transform: toTensor));
        Console.WriteLine($"{trainSet.GetType().Name}: {trainSet.Count:N0} training / {testSet.Count:N0} test images from {trainSet.Root}");

        var trainLoader = new DataLoader<(Tensor Image, long Label)>(trainSet, batchSize, shuffle: true, numWorkers: workers);
        var testLoader = new DataLoader<(Tensor Image, long Label)>(testSet, batchSize: 1000);
        var model = new Net();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        Console.WriteLine(model);

        double accuracy = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Train();
            int batchIdx = 0;
            foreach (var batch in trainLoader)
            {
                optimizer.ZeroGrad();
                var output = model.Forward(batch[0]);
                var loss = F.NllLoss(output, batch[1]);
                loss.Backward();
                optimizer.Step();
                if (batchIdx % logInterval == 0)
                    Console.WriteLine($"Train Epoch: {epoch} [{batchIdx * batchSize}/{trainSet.Count} ({100.0 * batchIdx / trainLoader.Count:F0}%)]\tLoss: {loss.Item<float>():F6}");
                batchIdx++;
            }
            accuracy = Test(model, testLoader, testSet.Count, clock.Elapsed, trainSet.Count);
        }
        Console.WriteLine($"test accuracy: {accuracy:F4}");
        return accuracy;
    }

    private static double Test(Net model, DataLoader<(Tensor Image, long Label)> loader, int count, TimeSpan trainTime, int trainCount)
    {
        model.Eval();
        double lossSum = 0;
        long correct = 0;
        using (Torch.NoGrad())
            foreach (var batch in loader)
            {
                var output = model.Forward(batch[0]);
                lossSum += F.NllLoss(output, batch[1], reduction: "sum").Item<float>();
                correct += output.Argmax(1).Eq(batch[1]).Sum().Item<long>();
            }
        Console.WriteLine($"\nTest set: Average loss: {lossSum / count:F4}, Accuracy: {correct}/{count} ({100.0 * correct / count:F0}%)" +
                          $" - epoch took {trainTime.TotalSeconds:F1} s ({trainCount / trainTime.TotalSeconds:N0} images/s)\n");
        return (double)correct / count;
    }

    private static bool TryFashion(ITransform transform, out (MNIST, MNIST) sets)
    {
        try
        {
            sets = (new FashionMNIST(transform: transform), new FashionMNIST(train: false, transform: transform));
            return true;
        }
        catch (FileNotFoundException)
        {
            Console.WriteLine("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); using the shipped MNIST sample.");
            sets = default;
            return false;
        }
    }
}

/// <summary>The network of pytorch/examples mnist/main.py.</summary>
public sealed class Net : Module<Tensor, Tensor>
{
    readonly Conv2d conv1 = new(1, 32, 3, 1);
    readonly Conv2d conv2 = new(32, 64, 3, 1);
    readonly Dropout dropout1 = new(0.25);
    readonly Dropout dropout2 = new(0.5);
    readonly Linear fc1 = new(9216, 128);
    readonly Linear fc2 = new(128, 10);

    public override Tensor Forward(Tensor x)
    {
        x = F.Relu(conv1.Forward(x));
        x = F.Relu(conv2.Forward(x));
        x = F.MaxPool2d(x, [2]);
        x = dropout1.Forward(x).Flatten(1);
        x = F.Relu(fc1.Forward(x));
        x = dropout2.Forward(x);
        return F.LogSoftmax(fc2.Forward(x), 1);
    }
}
