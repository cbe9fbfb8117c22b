using Ignis.Nn;

namespace Ignis.Vision.Ops;

/// <summary>
/// Convolution, normalisation and activation as one Sequential (<c>torchvision.ops.Conv2dNormActivation</c>): children
/// "0" (Conv2d), "1" (the norm, when present) and "2" (the activation, when present), so state-dict keys match
/// torchvision's.
/// </summary>
public sealed class Conv2dNormActivation : Sequential
{
    /// <summary>Pass as <c>normLayer</c> for no normalisation (PyTorch's <c>norm_layer=None</c>).</summary>
    public static readonly Func<long, Module<Tensor, Tensor>> NoNorm = _ => throw new InvalidOperationException("no norm layer");

    /// <summary>Pass as <c>activationLayer</c> for no activation (PyTorch's <c>activation_layer=None</c>).</summary>
    public static readonly Func<Module<Tensor, Tensor>> NoActivation = () => throw new InvalidOperationException("no activation layer");

    /// <summary>
    /// Creates the block. <paramref name="padding"/> defaults to <c>(kernelSize − 1) / 2 · dilation</c>;
    /// <paramref name="normLayer"/> defaults to <c>nn.BatchNorm2d(outChannels)</c> (<see cref="NoNorm"/> for none) and
    /// <paramref name="activationLayer"/> to <c>nn.ReLU(inplace=True)</c> (<see cref="NoActivation"/> for none);
    /// <paramref name="bias"/> defaults to "no norm layer".
    /// </summary>
    public Conv2dNormActivation(long inChannels, long outChannels, int kernelSize = 3, int stride = 1, int? padding = null,
        int groups = 1, Func<long, Module<Tensor, Tensor>>? normLayer = null, Func<Module<Tensor, Tensor>>? activationLayer = null,
        int dilation = 1, bool? bias = null)
        : base(Build(inChannels, outChannels, kernelSize, stride, padding, groups, normLayer, activationLayer, dilation, bias))
    {
        OutChannels = outChannels;
    }

    /// <summary>Output channels (torchvision's <c>out_channels</c> attribute).</summary>
    public long OutChannels { get; }

    static Module<Tensor, Tensor>[] Build(long inChannels, long outChannels, int kernelSize, int stride, int? padding, int groups,
        Func<long, Module<Tensor, Tensor>>? normLayer, Func<Module<Tensor, Tensor>>? activationLayer, int dilation, bool? bias)
    {
        bool hasNorm = !ReferenceEquals(normLayer, NoNorm);
        bool hasActivation = !ReferenceEquals(activationLayer, NoActivation);
        int pad = padding ?? (kernelSize - 1) / 2 * dilation;
        var layers = new List<Module<Tensor, Tensor>>
        {
            new Conv2d(inChannels, outChannels, kernelSize, stride, pad, dilation, groups, bias ?? !hasNorm),
        };
        if (hasNorm) layers.Add(normLayer?.Invoke(outChannels) ?? new BatchNorm2d(outChannels));
        if (hasActivation) layers.Add(activationLayer?.Invoke() ?? new ReLU(inplace: true));
        return [.. layers];
    }
}

/// <summary>Permutes dims (<c>torchvision.ops.misc.Permute</c>), for ConvNeXt's channels-last blocks.</summary>
public sealed class Permute(params int[] dims) : Module<Tensor, Tensor>
{
    /// <summary>The permutation.</summary>
    public int[] Dims { get; } = (int[])dims.Clone();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Permute(Dims);
}

/// <summary>
/// A multi-layer perceptron as a Sequential (<c>torchvision.ops.MLP</c>): for each hidden size but the last, Linear,
/// optional norm, activation and Dropout; then Linear and Dropout.
/// </summary>
public class Mlp : Sequential
{
    /// <summary>
    /// Creates the MLP. <paramref name="activationLayer"/> defaults to <c>nn.ReLU</c> and receives torchvision's
    /// <c>inplace</c> setting (null: the layer's own default, as PyTorch's <c>inplace=None</c>).
    /// </summary>
    public Mlp(long inChannels, long[] hiddenChannels, Func<long, Module<Tensor, Tensor>>? normLayer = null,
        Func<bool?, Module<Tensor, Tensor>>? activationLayer = null, bool? inplace = true, bool bias = true, double dropout = 0.0)
        : base(Build(inChannels, hiddenChannels, normLayer, activationLayer, inplace, bias, dropout)) { }

    /// <summary>Python's class name, printed by <see cref="Module.ToString"/>.</summary>
    protected override string ReprName => GetType() == typeof(Mlp) ? "MLP" : base.ReprName;

    static Module<Tensor, Tensor>[] Build(long inChannels, long[] hidden, Func<long, Module<Tensor, Tensor>>? normLayer,
        Func<bool?, Module<Tensor, Tensor>>? activationLayer, bool? inplace, bool bias, double dropout)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        long inDim = inChannels;
        foreach (var h in hidden[..^1])
        {
            layers.Add(new Linear(inDim, h, bias));
            if (normLayer is not null) layers.Add(normLayer(h));
            layers.Add(activationLayer?.Invoke(inplace) ?? new ReLU(inplace ?? false));
            layers.Add(new Dropout(dropout, inplace ?? false));
            inDim = h;
        }
        layers.Add(new Linear(inDim, hidden[^1], bias));
        layers.Add(new Dropout(dropout, inplace ?? false));
        return [.. layers];
    }
}
