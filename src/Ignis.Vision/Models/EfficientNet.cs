using Ignis.Nn;
using Ignis.Vision.Ops;

namespace Ignis.Vision.Models;

/// <summary>One EfficientNet stage's settings (<c>MBConvConfig</c>): channels scaled by width, depth by the depth multiplier.</summary>
public sealed record MBConvConfig
{
    /// <summary>Creates the settings (<c>MBConvConfig(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult, depth_mult)</c>).</summary>
    public MBConvConfig(double expandRatio, int kernel, int stride, int inputChannels, int outChannels, int numLayers, double widthMult = 1.0, double depthMult = 1.0)
    {
        ExpandRatio = expandRatio;
        Kernel = kernel;
        Stride = stride;
        InputChannels = AdjustChannels(inputChannels, widthMult);
        OutChannels = AdjustChannels(outChannels, widthMult);
        NumLayers = (int)Math.Ceiling(numLayers * depthMult);
    }

    /// <summary>torchvision's <c>adjust_channels</c>.</summary>
    public static int AdjustChannels(double channels, double widthMult, int? minValue = null) => MobileNetV2.MakeDivisible(channels * widthMult, 8, minValue);

    /// <summary>Expansion ratio.</summary>
    public double ExpandRatio { get; init; }
    /// <summary>Depthwise kernel size.</summary>
    public int Kernel { get; init; }
    /// <summary>Stride of the stage's first block.</summary>
    public int Stride { get; init; }
    /// <summary>Input channels.</summary>
    public int InputChannels { get; init; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; init; }
    /// <summary>Blocks in the stage.</summary>
    public int NumLayers { get; init; }
}

/// <summary>EfficientNet B0–B7 as torchvision 0.14 builds them (<c>torchvision.models.EfficientNet</c>).</summary>
public sealed class EfficientNet : Module<Tensor, Tensor>
{
    /// <summary>torchvision's B-series stage table for the given multipliers (<c>_efficientnet_conf</c>).</summary>
    public static MBConvConfig[] Conf(double widthMult, double depthMult) =>
    [
        new(1, 3, 1, 32, 16, 1, widthMult, depthMult),
        new(6, 3, 2, 16, 24, 2, widthMult, depthMult),
        new(6, 5, 2, 24, 40, 2, widthMult, depthMult),
        new(6, 3, 2, 40, 80, 3, widthMult, depthMult),
        new(6, 5, 1, 80, 112, 3, widthMult, depthMult),
        new(6, 5, 2, 112, 192, 4, widthMult, depthMult),
        new(6, 3, 1, 192, 320, 1, widthMult, depthMult),
    ];

    /// <summary>
    /// Creates the model (<c>EfficientNet(inverted_residual_setting, dropout, stochastic_depth_prob, num_classes, norm_layer,
    /// last_channel)</c>); <paramref name="normLayer"/> defaults to <c>nn.BatchNorm2d</c>.
    /// </summary>
    public EfficientNet(MBConvConfig[] invertedResidualSetting, double dropout, double stochasticDepthProb = 0.2, int numClasses = 1000,
        Func<long, Module<Tensor, Tensor>>? normLayer = null, int? lastChannel = null)
    {
        if (invertedResidualSetting.Length == 0) throw new ArgumentException("The inverted_residual_setting should not be empty");
        normLayer ??= c => new BatchNorm2d(c);
        static Module<Tensor, Tensor> Silu() => new SiLU(true);
        var layers = new Sequential(new Conv2dNormActivation(3, invertedResidualSetting[0].InputChannels, 3, 2, normLayer: normLayer, activationLayer: Silu));
        int totalBlocks = invertedResidualSetting.Sum(c => c.NumLayers), blockId = 0;
        foreach (var cnf in invertedResidualSetting)
        {
            var stage = new Sequential();
            for (int i = 0; i < cnf.NumLayers; i++)
            {
                var blockCnf = stage.Count > 0 ? cnf with { InputChannels = cnf.OutChannels, Stride = 1 } : cnf;
                double sdProb = stochasticDepthProb * blockId / totalBlocks;
                stage.Append(new MBConv(blockCnf, sdProb, normLayer));
                blockId++;
            }
            layers.Append(stage);
        }
        int lastIn = invertedResidualSetting[^1].OutChannels, lastOut = lastChannel ?? 4 * lastIn;
        layers.Append(new Conv2dNormActivation(lastIn, lastOut, kernelSize: 1, normLayer: normLayer, activationLayer: Silu));
        Features = layers;
        Avgpool = new AdaptiveAvgPool2d(1);
        Classifier = new Sequential(new Dropout(dropout, true), new Linear(lastOut, numClasses));
        ZooInit.MobileStyle(this, l =>
        {
            double range = 1.0 / Math.Sqrt(l.OutFeatures);
            Init.Uniform_(l.Weight, -range, range);
            Init.Zeros_(l.Bias!);
        });
    }

    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>Global pool (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>classifier</c>); replace <c>Classifier[1]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Avgpool.Forward(Features.Forward(input)).Flatten(1));

    /// <summary>Mobile inverted bottleneck with squeeze-excitation and stochastic depth (<c>efficientnet.MBConv</c>).</summary>
    public sealed class MBConv : Module<Tensor, Tensor>
    {
        readonly bool useResConnect;

        /// <summary>Creates the block.</summary>
        public MBConv(MBConvConfig cnf, double stochasticDepthProb, Func<long, Module<Tensor, Tensor>> normLayer)
        {
            if (cnf.Stride < 1 || cnf.Stride > 2) throw new ArgumentException("illegal stride value");
            useResConnect = cnf.Stride == 1 && cnf.InputChannels == cnf.OutChannels;
            static Module<Tensor, Tensor> Silu() => new SiLU(true);
            var layers = new Sequential();
            int expanded = MBConvConfig.AdjustChannels(cnf.InputChannels, cnf.ExpandRatio);
            if (expanded != cnf.InputChannels)
                layers.Append(new Conv2dNormActivation(cnf.InputChannels, expanded, kernelSize: 1, normLayer: normLayer, activationLayer: Silu));
            layers.Append(new Conv2dNormActivation(expanded, expanded, kernelSize: cnf.Kernel, stride: cnf.Stride, groups: expanded,
                normLayer: normLayer, activationLayer: Silu));
            int squeeze = Math.Max(1, cnf.InputChannels / 4);
            layers.Append(new SqueezeExcitation(expanded, squeeze, activation: Silu));
            layers.Append(new Conv2dNormActivation(expanded, cnf.OutChannels, kernelSize: 1, normLayer: normLayer,
                activationLayer: Conv2dNormActivation.NoActivation));
            Block = layers;
            stochastic_depth = new StochasticDepth(stochasticDepthProb, "row");
            OutChannels = cnf.OutChannels;
        }

        /// <summary>The block's layers (<c>block</c>).</summary>
        public Sequential Block { get; }
#pragma warning disable IDE1006 // torchvision's module name
        readonly StochasticDepth stochastic_depth;
#pragma warning restore IDE1006
        /// <summary>The residual branch's stochastic depth (<c>stochastic_depth</c>).</summary>
        public StochasticDepth StochasticDepth => stochastic_depth;
        /// <summary>Output channels.</summary>
        public int OutChannels { get; }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var r = Block.Forward(input);
            return useResConnect ? stochastic_depth.Forward(r).Add(input) : r;
        }
    }
}
