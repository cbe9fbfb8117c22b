using Ignis.Nn;
using Ignis.Vision.Ops;

namespace Ignis.Vision.Models;

/// <summary>Layer norm over the channels of an NCHW tensor (<c>torchvision.models.convnext.LayerNorm2d</c>).</summary>
public sealed class LayerNorm2d(long channels, double eps = 1e-5) : LayerNorm([channels], eps)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Torch.LayerNorm(input.Permute(0, 2, 3, 1), NormalizedShape, Weight, Bias, Eps).Permute(0, 3, 1, 2);
}

/// <summary>One ConvNeXt stage (<c>CNBlockConfig</c>): channels, the next stage's channels (null for the last), blocks.</summary>
public sealed record CNBlockConfig(int InputChannels, int? OutChannels, int NumLayers);

/// <summary>ConvNeXt as torchvision 0.14 builds it (<c>torchvision.models.ConvNeXt</c>; tiny = 96/192/384/768, 3/3/9/3).</summary>
public sealed class ConvNeXt : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the model (<c>ConvNeXt(block_setting, stochastic_depth_prob, layer_scale, num_classes)</c>) with
    /// torchvision's initialisation (truncated normal, std 0.02, for convolutions and linears).
    /// </summary>
    public ConvNeXt(CNBlockConfig[] blockSetting, double stochasticDepthProb = 0.0, double layerScale = 1e-6, int numClasses = 1000)
    {
        if (blockSetting.Length == 0) throw new ArgumentException("The block_setting should not be empty");
        static Module<Tensor, Tensor> Norm(long c) => new LayerNorm2d(c, 1e-6);
        var layers = new Sequential(new Conv2dNormActivation(3, blockSetting[0].InputChannels, kernelSize: 4, stride: 4, padding: 0,
            normLayer: Norm, activationLayer: Conv2dNormActivation.NoActivation, bias: true));
        int total = blockSetting.Sum(c => c.NumLayers), blockId = 0;
        foreach (var cnf in blockSetting)
        {
            var stage = new Sequential();
            for (int i = 0; i < cnf.NumLayers; i++)
            {
                double sd = stochasticDepthProb * blockId / (total - 1.0);
                stage.Append(new CNBlock(cnf.InputChannels, layerScale, sd));
                blockId++;
            }
            layers.Append(stage);
            if (cnf.OutChannels is int oc)
                layers.Append(new Sequential(Norm(cnf.InputChannels), new Conv2d(cnf.InputChannels, oc, 2, stride: 2)));
        }
        Features = layers;
        Avgpool = new AdaptiveAvgPool2d(1);
        var last = blockSetting[^1];
        int lastOut = last.OutChannels ?? last.InputChannels;
        Classifier = new Sequential(Norm(lastOut), new Flatten(1), new Linear(lastOut, numClasses));
        foreach (var m in Modules())
        {
            if (m is Conv2d c) { Init.TruncNormal_(c.Weight, std: 0.02); if (c.Bias is not null) Init.Zeros_(c.Bias); }
            else if (m is Linear l) { Init.TruncNormal_(l.Weight, std: 0.02); if (l.Bias is not null) Init.Zeros_(l.Bias); }
        }
    }

    /// <summary>The trunk (<c>features</c>).</summary>
    public Sequential Features { get; set; }
    /// <summary>Global pool (<c>avgpool</c>).</summary>
    public Module<Tensor, Tensor> Avgpool { get; set; }
    /// <summary>The head (<c>classifier</c>): LayerNorm2d, Flatten, Linear; replace <c>Classifier[2]</c> for another number of classes.</summary>
    public Sequential Classifier { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Classifier.Forward(Avgpool.Forward(Features.Forward(input)));

    /// <summary>Depthwise 7×7, LayerNorm, inverted MLP with GELU, layer scale and stochastic depth (<c>convnext.CNBlock</c>).</summary>
    public sealed class CNBlock : Module<Tensor, Tensor>
    {
        /// <summary>Creates the block.</summary>
        public CNBlock(int dim, double layerScale, double stochasticDepthProb)
        {
            Block = new Sequential(
                new Conv2d(dim, dim, 7, padding: 3, groups: dim, bias: true),
                new Permute(0, 2, 3, 1),
                new LayerNorm(dim, 1e-6),
                new Linear(dim, 4 * dim),
                new GELU(),
                new Linear(4 * dim, dim),
                new Permute(0, 3, 1, 2));
            layer_scale = new Parameter(Torch.Ones([dim, 1, 1]).Mul(layerScale));
            stochastic_depth = new StochasticDepth(stochasticDepthProb, "row");
        }

        /// <summary><c>block</c>.</summary>
        public Sequential Block { get; }
#pragma warning disable IDE1006 // torchvision's parameter and module names
        readonly Parameter layer_scale;
        readonly StochasticDepth stochastic_depth;
#pragma warning restore IDE1006
        /// <summary>The per-channel scale of the branch (<c>layer_scale</c>, [dim, 1, 1]).</summary>
        public Parameter LayerScale => layer_scale;

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input) => stochastic_depth.Forward(layer_scale.Mul(Block.Forward(input))).Add(input);
    }
}
