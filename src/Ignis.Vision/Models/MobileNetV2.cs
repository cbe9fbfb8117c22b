using Ignis.Nn;
using Ignis.Vision.Ops;

namespace Ignis.Vision.Models;

/// <summary>MobileNetV2 as torchvision 0.14 builds it (<c>torchvision.models.MobileNetV2</c>).</summary>
public sealed class MobileNetV2 : Module<Tensor, Tensor>
{
    /// <summary>torchvision's <c>_make_divisible</c>: rounds channels to a multiple of <paramref name="divisor"/>, never below 90 %.</summary>
    public static int MakeDivisible(double v, int divisor, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int newV = Math.Max(min, (int)(v + divisor / 2.0) / divisor * divisor);
        if (newV < 0.9 * v) newV += divisor;
        return newV;
    }

    static readonly int[][] DefaultSetting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

    /// <summary>Creates the model (<c>MobileNetV2(num_classes, width_mult, inverted_residual_setting, round_nearest, dropout)</c>).</summary>
    public MobileNetV2(int numClasses = 1000, double widthMult = 1.0, int[][]? invertedResidualSetting = null, int roundNearest = 8, double dropout = 0.2)
    {
        invertedResidualSetting ??= DefaultSetting;
        if (invertedResidualSetting.Length == 0 || invertedResidualSetting[0].Length != 4)
            throw new ArgumentException("inverted_residual_setting should be non-empty or a 4-element list");
        int inputChannel = MakeDivisible(32 * widthMult, roundNearest);
        LastChannel = MakeDivisible(1280 * Math.Max(1.0, widthMult), roundNearest);
        static Module<Tensor, Tensor> Relu6() => new ReLU6(true);
        var features = new Sequential(new Conv2dNormActivation(3, inputChannel, stride: 2, activationLayer: Relu6));
        foreach (var s in invertedResidualSetting)
        {
            int t = s[0], outputChannel = MakeDivisible(s[1] * widthMult, roundNearest), n = s[2], st = s[3];
            for (int i = 0; i < n; i++)
            {
                features.Append(new InvertedResidual(inputChannel, outputChannel, i == 0 ? st : 1, t));
                inputChannel = outputChannel;
            }
        }
        features.Append(new Conv2dNormActivation(inputChannel, LastChannel, kernelSize: 1, activationLayer: Relu6));
        Features = features;
        Classifier = new Sequential(new Dropout(dropout), new Linear(LastChannel, numClasses));
        ZooInit.MobileStyle(this, ZooInit.NormalLinear);
    }

    /// <summary>Channels before the head (<c>last_channel</c>).</summary>
    public int LastChannel { get; }
    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>The head (<c>classifier</c>); replace <c>Classifier[1]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Classifier.Forward(Torch.AdaptiveAvgPool2d(Features.Forward(input), [1, 1]).Flatten(1));

    /// <summary>Expand 1×1, depthwise 3×3, project 1×1, with a shortcut when shapes allow (<c>mobilenetv2.InvertedResidual</c>).</summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        readonly bool useResConnect;

        /// <summary>Creates the block.</summary>
        public InvertedResidual(int inp, int oup, int stride, int expandRatio)
        {
            if (stride != 1 && stride != 2) throw new ArgumentException($"stride should be 1 or 2 insted of {stride}");
            int hidden = (int)Math.Round(inp * (double)expandRatio, MidpointRounding.ToEven);
            useResConnect = stride == 1 && inp == oup;
            static Module<Tensor, Tensor> Relu6() => new ReLU6(true);
            var layers = new Sequential();
            if (expandRatio != 1) layers.Append(new Conv2dNormActivation(inp, hidden, kernelSize: 1, activationLayer: Relu6));
            layers.Append(new Conv2dNormActivation(hidden, hidden, stride: stride, groups: hidden, activationLayer: Relu6));
            layers.Append(new Conv2d(hidden, oup, 1, 1, 0, bias: false));
            layers.Append(new BatchNorm2d(oup));
            Conv = layers;
            OutChannels = oup;
        }

        /// <summary>The block's layers (<c>conv</c>).</summary>
        public Sequential Conv { get; }
        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input) => useResConnect ? input.Add(Conv.Forward(input)) : Conv.Forward(input);
    }
}
