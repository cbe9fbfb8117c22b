using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Ignis.AcceptanceTests;

/// <summary>
/// The acceptance bar, on the real data, running the samples' own code. PyTorch 1.13 reference runs of the same
/// programs (tools/reference/mnist_*.py, seed 1): MLP 0.884 on Fashion-MNIST after 10 epochs and 0.949 on the MNIST
/// sample; CNN 0.892 on Fashion-MNIST after 2 epochs.
/// </summary>
public class SeedProgramAccuracyTests
{
    [Fact]
    public void Mlp_reaches_94_percent_on_the_shipped_mnist_sample() =>
        Assert.InRange(MnistMlp.Run(["--data", "mnist", "--epochs", "10"]), 0.94, 1.0);

    [Fact]
    public void Mlp_reaches_87_percent_on_fashion_mnist_after_10_epochs() =>
        Assert.InRange(MnistMlp.Run(["--data", "fashion", "--epochs", "10"]), 0.87, 1.0);

    [Fact]
    public void Cnn_reaches_88_percent_on_fashion_mnist_after_2_epochs() =>
        Assert.InRange(MnistCnn.Run(["--data", "fashion", "--epochs", "2", "--log-interval", "1000"]), 0.88, 1.0);
}
