using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>AlexNet as torchvision 0.14 builds it (<c>torchvision.models.AlexNet</c>, "One weird trick" variant).</summary>
public sealed class AlexNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the model (<c>AlexNet(num_classes, dropout)</c>) with PyTorch's default layer initialisation.</summary>
    public AlexNet(int numClasses = 1000, double dropout = 0.5)
    {
        Features = new Sequential(
            new Conv2d(3, 64, 11, stride: 4, padding: 2), new ReLU(true), new MaxPool2d(3, 2),
            new Conv2d(64, 192, 5, padding: 2), new ReLU(true), new MaxPool2d(3, 2),
            new Conv2d(192, 384, 3, padding: 1), new ReLU(true),
            new Conv2d(384, 256, 3, padding: 1), new ReLU(true),
            new Conv2d(256, 256, 3, padding: 1), new ReLU(true), new MaxPool2d(3, 2));
        Avgpool = new AdaptiveAvgPool2d(6, 6);
        Classifier = new Sequential(
            new Dropout(dropout), new Linear(256 * 6 * 6, 4096), new ReLU(true),
            new Dropout(dropout), new Linear(4096, 4096), new ReLU(true),
            new Linear(4096, numClasses));
    }

    /// <summary>The convolutional trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>Pools to 6×6 (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>classifier</c>); replace <c>Classifier[6]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Avgpool.Forward(Features.Forward(input)).Flatten(1));
}
