using Ignis.Nn;
using Ignis.Vision.Ops;

namespace Ignis.Vision.Models;

/// <summary>One MobileNetV3 block's settings (<c>InvertedResidualConfig</c>); channels are scaled by the width multiplier.</summary>
public sealed record MobileNetV3BlockConfig
{
    /// <summary>Creates the settings (<c>InvertedResidualConfig(input_channels, kernel, expanded_channels, out_channels, use_se, activation, stride, dilation, width_mult)</c>).</summary>
    public MobileNetV3BlockConfig(int inputChannels, int kernel, int expandedChannels, int outChannels, bool useSe, string activation,
        int stride, int dilation, double widthMult)
    {
        InputChannels = AdjustChannels(inputChannels, widthMult);
        Kernel = kernel;
        ExpandedChannels = AdjustChannels(expandedChannels, widthMult);
        OutChannels = AdjustChannels(outChannels, widthMult);
        UseSe = useSe;
        UseHardswish = activation == "HS";
        Stride = stride;
        Dilation = dilation;
    }

    /// <summary>torchvision's <c>adjust_channels</c>.</summary>
    public static int AdjustChannels(int channels, double widthMult) => MobileNetV2.MakeDivisible(channels * widthMult, 8);

    /// <summary>Input channels.</summary>
    public int InputChannels { get; }
    /// <summary>Depthwise kernel size.</summary>
    public int Kernel { get; }
    /// <summary>Expanded channels.</summary>
    public int ExpandedChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Whether the block has squeeze-excitation.</summary>
    public bool UseSe { get; }
    /// <summary>Hardswish ("HS") rather than ReLU ("RE").</summary>
    public bool UseHardswish { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Dilation.</summary>
    public int Dilation { get; }
}

/// <summary>MobileNetV3 large/small as torchvision 0.14 builds them (<c>torchvision.models.MobileNetV3</c>).</summary>
public sealed class MobileNetV3 : Module<Tensor, Tensor>
{
    /// <summary>torchvision's <c>_mobilenet_v3_conf(arch, width_mult, reduced_tail, dilated)</c>.</summary>
    public static (MobileNetV3BlockConfig[] Setting, int LastChannel) Conf(string arch, double widthMult = 1.0, bool reducedTail = false, bool dilated = false)
    {
        int r = reducedTail ? 2 : 1, d = dilated ? 2 : 1;
        MobileNetV3BlockConfig B(int i, int k, int e, int o, bool se, string a, int s, int dl) => new(i, k, e, o, se, a, s, dl, widthMult);
        return arch switch
        {
            "mobilenet_v3_large" => ([
                B(16, 3, 16, 16, false, "RE", 1, 1), B(16, 3, 64, 24, false, "RE", 2, 1), B(24, 3, 72, 24, false, "RE", 1, 1),
                B(24, 5, 72, 40, true, "RE", 2, 1), B(40, 5, 120, 40, true, "RE", 1, 1), B(40, 5, 120, 40, true, "RE", 1, 1),
                B(40, 3, 240, 80, false, "HS", 2, 1), B(80, 3, 200, 80, false, "HS", 1, 1), B(80, 3, 184, 80, false, "HS", 1, 1),
                B(80, 3, 184, 80, false, "HS", 1, 1), B(80, 3, 480, 112, true, "HS", 1, 1), B(112, 3, 672, 112, true, "HS", 1, 1),
                B(112, 5, 672, 160 / r, true, "HS", 2, d), B(160 / r, 5, 960 / r, 160 / r, true, "HS", 1, d),
                B(160 / r, 5, 960 / r, 160 / r, true, "HS", 1, d)],
                MobileNetV3BlockConfig.AdjustChannels(1280 / r, widthMult)),
            "mobilenet_v3_small" => ([
                B(16, 3, 16, 16, true, "RE", 2, 1), B(16, 3, 72, 24, false, "RE", 2, 1), B(24, 3, 88, 24, false, "RE", 1, 1),
                B(24, 5, 96, 40, true, "HS", 2, 1), B(40, 5, 240, 40, true, "HS", 1, 1), B(40, 5, 240, 40, true, "HS", 1, 1),
                B(40, 5, 120, 48, true, "HS", 1, 1), B(48, 5, 144, 48, true, "HS", 1, 1), B(48, 5, 288, 96 / r, true, "HS", 2, d),
                B(96 / r, 5, 576 / r, 96 / r, true, "HS", 1, d), B(96 / r, 5, 576 / r, 96 / r, true, "HS", 1, d)],
                MobileNetV3BlockConfig.AdjustChannels(1024 / r, widthMult)),
            _ => throw new ArgumentException($"Unsupported model type {arch}"),
        };
    }

    static Module<Tensor, Tensor> Norm(long c) => new BatchNorm2d(c, eps: 0.001, momentum: 0.01);

    /// <summary>Creates the model (<c>MobileNetV3(inverted_residual_setting, last_channel, num_classes, dropout)</c>).</summary>
    public MobileNetV3(MobileNetV3BlockConfig[] invertedResidualSetting, int lastChannel, int numClasses = 1000, double dropout = 0.2)
    {
        if (invertedResidualSetting.Length == 0) throw new ArgumentException("The inverted_residual_setting should not be empty");
        static Module<Tensor, Tensor> Hs() => new Hardswish(true);
        var layers = new Sequential(new Conv2dNormActivation(3, invertedResidualSetting[0].InputChannels, 3, 2, normLayer: Norm, activationLayer: Hs));
        foreach (var cnf in invertedResidualSetting) layers.Append(new InvertedResidual(cnf, Norm));
        int lastIn = invertedResidualSetting[^1].OutChannels, lastOut = 6 * lastIn;
        layers.Append(new Conv2dNormActivation(lastIn, lastOut, kernelSize: 1, normLayer: Norm, activationLayer: Hs));
        Features = layers;
        Avgpool = new AdaptiveAvgPool2d(1);
        Classifier = new Sequential(new Linear(lastOut, lastChannel), new Hardswish(true), new Dropout(dropout, true), new Linear(lastChannel, numClasses));
        ZooInit.MobileStyle(this, ZooInit.NormalLinear);
    }

    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>Global pool (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>classifier</c>); replace <c>Classifier[3]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Avgpool.Forward(Features.Forward(input)).Flatten(1));

    /// <summary>MobileNetV3's block (<c>mobilenetv3.InvertedResidual</c>): expand, depthwise, optional SE (hard-sigmoid), project.</summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        readonly bool useResConnect;

        /// <summary>Creates the block.</summary>
        public InvertedResidual(MobileNetV3BlockConfig cnf, Func<long, Module<Tensor, Tensor>> normLayer)
        {
            if (cnf.Stride < 1 || cnf.Stride > 2) throw new ArgumentException("illegal stride value");
            useResConnect = cnf.Stride == 1 && cnf.InputChannels == cnf.OutChannels;
            Func<Module<Tensor, Tensor>> act = cnf.UseHardswish ? () => new Hardswish(true) : () => new ReLU(true);
            var layers = new Sequential();
            if (cnf.ExpandedChannels != cnf.InputChannels)
                layers.Append(new Conv2dNormActivation(cnf.InputChannels, cnf.ExpandedChannels, kernelSize: 1, normLayer: normLayer, activationLayer: act));
            int stride = cnf.Dilation > 1 ? 1 : cnf.Stride;
            layers.Append(new Conv2dNormActivation(cnf.ExpandedChannels, cnf.ExpandedChannels, kernelSize: cnf.Kernel, stride: stride,
                dilation: cnf.Dilation, groups: cnf.ExpandedChannels, normLayer: normLayer, activationLayer: act));
            if (cnf.UseSe)
            {
                int squeeze = MobileNetV2.MakeDivisible(cnf.ExpandedChannels / 4, 8);
                layers.Append(new SqueezeExcitation(cnf.ExpandedChannels, squeeze, scaleActivation: () => new Hardsigmoid()));
            }
            layers.Append(new Conv2dNormActivation(cnf.ExpandedChannels, cnf.OutChannels, kernelSize: 1, normLayer: normLayer,
                activationLayer: Conv2dNormActivation.NoActivation));
            Block = layers;
            OutChannels = cnf.OutChannels;
        }

        /// <summary>The block's layers (<c>block</c>).</summary>
        public Sequential Block { get; }
        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var r = Block.Forward(input);
            return useResConnect ? r.Add(input) : r;
        }
    }
}
