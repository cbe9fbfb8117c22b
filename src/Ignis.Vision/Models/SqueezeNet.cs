using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>SqueezeNet 1.0 / 1.1 as torchvision 0.14 builds them (<c>torchvision.models.SqueezeNet</c>).</summary>
public sealed class SqueezeNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the model; <paramref name="version"/> is "1_0" or "1_1".</summary>
    public SqueezeNet(string version = "1_0", int numClasses = 1000, double dropout = 0.5)
    {
        NumClasses = numClasses;
        Features = version switch
        {
            "1_0" => new Sequential(
                new Conv2d(3, 96, 7, stride: 2), new ReLU(true), new MaxPool2d(3, 2, ceilMode: true),
                new Fire(96, 16, 64, 64), new Fire(128, 16, 64, 64), new Fire(128, 32, 128, 128),
                new MaxPool2d(3, 2, ceilMode: true),
                new Fire(256, 32, 128, 128), new Fire(256, 48, 192, 192), new Fire(384, 48, 192, 192), new Fire(384, 64, 256, 256),
                new MaxPool2d(3, 2, ceilMode: true),
                new Fire(512, 64, 256, 256)),
            "1_1" => new Sequential(
                new Conv2d(3, 64, 3, stride: 2), new ReLU(true), new MaxPool2d(3, 2, ceilMode: true),
                new Fire(64, 16, 64, 64), new Fire(128, 16, 64, 64),
                new MaxPool2d(3, 2, ceilMode: true),
                new Fire(128, 32, 128, 128), new Fire(256, 32, 128, 128),
                new MaxPool2d(3, 2, ceilMode: true),
                new Fire(256, 48, 192, 192), new Fire(384, 48, 192, 192), new Fire(384, 64, 256, 256), new Fire(512, 64, 256, 256)),
            _ => throw new ArgumentException($"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected"),
        };
        var finalConv = new Conv2d(512, numClasses, 1);
        Classifier = new Sequential(new Dropout(dropout), finalConv, new ReLU(true), new AdaptiveAvgPool2d(1, 1));
        foreach (var m in Modules())
        {
            if (m is not Conv2d c) continue;
            if (ReferenceEquals(c, finalConv)) Init.Normal_(c.Weight, 0.0, 0.01);
            else Init.KaimingUniform_(c.Weight);
            if (c.Bias is not null) Init.Constant_(c.Bias, 0);
        }
    }

    /// <summary>The class count the head was built for.</summary>
    public int NumClasses { get; }
    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>The head (<c>classifier</c>): dropout, 1×1 conv to the classes, ReLU, global pool.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Features.Forward(input)).Flatten(1);

    /// <summary>Squeeze 1×1, then parallel 1×1 and 3×3 expansions concatenated (<c>torchvision.models.squeezenet.Fire</c>).</summary>
    public sealed class Fire : Module<Tensor, Tensor>
    {
        /// <summary>Creates the module.</summary>
        public Fire(int inplanes, int squeezePlanes, int expand1x1Planes, int expand3x3Planes)
        {
            squeeze = new Conv2d(inplanes, squeezePlanes, 1);
            squeeze_activation = new ReLU(true);
            expand1x1 = new Conv2d(squeezePlanes, expand1x1Planes, 1);
            expand1x1_activation = new ReLU(true);
            expand3x3 = new Conv2d(squeezePlanes, expand3x3Planes, 3, padding: 1);
            expand3x3_activation = new ReLU(true);
        }

#pragma warning disable IDE1006 // field names are torchvision's module names (state-dict keys)
        readonly Conv2d squeeze;
        readonly ReLU squeeze_activation;
        readonly Conv2d expand1x1;
        readonly ReLU expand1x1_activation;
        readonly Conv2d expand3x3;
        readonly ReLU expand3x3_activation;
#pragma warning restore IDE1006

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var x = squeeze_activation.Forward(squeeze.Forward(input));
            return Torch.Cat([expand1x1_activation.Forward(expand1x1.Forward(x)), expand3x3_activation.Forward(expand3x3.Forward(x))], 1);
        }
    }
}
