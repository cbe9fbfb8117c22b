using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>VGG as torchvision 0.14 builds it (<c>torchvision.models.VGG</c>); prints as <c>VGG</c>.</summary>
public sealed class Vgg : Module<Tensor, Tensor>
{
    /// <summary>torchvision's configurations "A" (vgg11), "B" (vgg13), "D" (vgg16) and "E" (vgg19); 0 is a max-pool.</summary>
    public static readonly IReadOnlyDictionary<string, int[]> Configs = new Dictionary<string, int[]>
    {
        ["A"] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        ["B"] = [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        ["D"] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        ["E"] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    };

    /// <summary>torchvision's <c>make_layers(cfg, batch_norm)</c>.</summary>
    public static Sequential MakeLayers(int[] config, bool batchNorm)
    {
        var layers = new Sequential();
        long inChannels = 3;
        foreach (var v in config)
        {
            if (v == 0) { layers.Append(new MaxPool2d(2, 2)); continue; }
            layers.Append(new Conv2d(inChannels, v, 3, padding: 1));
            if (batchNorm) layers.Append(new BatchNorm2d(v));
            layers.Append(new ReLU(true));
            inChannels = v;
        }
        return layers;
    }

    /// <summary>
    /// Creates the model around <paramref name="features"/> (<c>VGG(features, num_classes, init_weights, dropout)</c>);
    /// with <paramref name="initWeights"/> it re-initialises as torchvision does (Kaiming-normal convs, N(0, 0.01) linears).
    /// </summary>
    public Vgg(Sequential features, int numClasses = 1000, bool initWeights = true, double dropout = 0.5)
    {
        Features = features;
        Avgpool = new AdaptiveAvgPool2d(7, 7);
        Classifier = new Sequential(
            new Linear(512 * 7 * 7, 4096), new ReLU(true), new Dropout(dropout),
            new Linear(4096, 4096), new ReLU(true), new Dropout(dropout),
            new Linear(4096, numClasses));
        if (!initWeights) return;
        foreach (var m in Modules())
        {
            switch (m)
            {
                case Conv2d c:
                    Init.KaimingNormal_(c.Weight, mode: "fan_out", nonlinearity: "relu");
                    if (c.Bias is not null) Init.Constant_(c.Bias, 0);
                    break;
                case BatchNorm2d b:
                    Init.Constant_(b.Weight!, 1);
                    Init.Constant_(b.Bias!, 0);
                    break;
                case Linear l:
                    Init.Normal_(l.Weight, 0, 0.01);
                    Init.Constant_(l.Bias!, 0);
                    break;
            }
        }
    }

    /// <summary>The convolutional trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>Pools to 7×7 (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>classifier</c>); replace <c>Classifier[6]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    protected override string ReprName => "VGG";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Avgpool.Forward(Features.Forward(input)).Flatten(1));
}
