using Ignis.Nn;

namespace Ignis.Vision.Ops;

/// <summary>
/// Squeeze-and-excitation block (<c>torchvision.ops.SqueezeExcitation</c>, Hu et al.): global average pool, 1×1 conv
/// down to <c>squeezeChannels</c>, activation, 1×1 conv back, scale activation, and the input scaled channel-wise.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the block. <paramref name="activation"/> defaults to <c>nn.ReLU()</c> and <paramref name="scaleActivation"/>
    /// to <c>nn.Sigmoid()</c>, as torchvision's.
    /// </summary>
    public SqueezeExcitation(long inputChannels, long squeezeChannels, Func<Module<Tensor, Tensor>>? activation = null,
        Func<Module<Tensor, Tensor>>? scaleActivation = null)
    {
        avgpool = new AdaptiveAvgPool2d(1);
        fc1 = new Conv2d(inputChannels, squeezeChannels, 1);
        fc2 = new Conv2d(squeezeChannels, inputChannels, 1);
        this.activation = activation?.Invoke() ?? new ReLU();
        scale_activation = scaleActivation?.Invoke() ?? new Sigmoid();
    }

    // Field order is registration order (torchvision's attribute order), so state-dict keys match.
    readonly AdaptiveAvgPool2d avgpool;
    readonly Conv2d fc1;
    readonly Conv2d fc2;
    readonly Module<Tensor, Tensor> activation;
#pragma warning disable IDE1006 // the field's name is torchvision's module name
    readonly Module<Tensor, Tensor> scale_activation;
#pragma warning restore IDE1006

    /// <summary>The channel weights in (0, 1) for <paramref name="input"/> (<c>_scale</c>).</summary>
    public Tensor Scale(Tensor input) => scale_activation.Forward(fc2.Forward(activation.Forward(fc1.Forward(avgpool.Forward(input)))));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Scale(input).Mul(input);
}
