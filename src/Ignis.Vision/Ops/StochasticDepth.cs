using Ignis.Nn;

namespace Ignis.Vision.Ops;

/// <summary>torchvision.ops' functional forms.</summary>
public static class VisionFunctional
{
    /// <summary>
    /// Randomly drops whole residual branches (<c>torchvision.ops.stochastic_depth</c>): in training, each row
    /// (<paramref name="mode"/> "row") or the whole batch ("batch") is zeroed with probability <paramref name="p"/> and
    /// the survivors scaled by 1/(1−p). The mask is a Bernoulli draw from the default generator, as torchvision's
    /// <c>torch.empty(size).bernoulli_(1 - p)</c>, so seeded runs match PyTorch's CPU draws.
    /// </summary>
    public static Tensor StochasticDepth(Tensor input, double p, string mode, bool training = true)
    {
        if (p < 0.0 || p > 1.0) throw new ArgumentException($"drop probability has to be between 0 and 1, but got {Py.Repr(p)}");
        if (mode != "batch" && mode != "row") throw new ArgumentException($"mode has to be either 'batch' or 'row', but got {mode}");
        if (!training || p == 0.0) return input;
        double survival = 1.0 - p;
        var size = new long[input.Dim];
        Array.Fill(size, 1L);
        if (mode == "row") size[0] = input.Shape[0];
        var noise = Torch.Empty(size, input.DType, input.Device).Bernoulli_(survival);
        if (survival > 0.0) noise.Div_(survival);
        return input.Mul(noise);
    }
}

/// <summary>
/// Stochastic depth for residual branches (<c>torchvision.ops.StochasticDepth</c>, "Deep Networks with Stochastic
/// Depth"); the identity in eval mode.
/// </summary>
public sealed class StochasticDepth : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; <paramref name="mode"/> is "row" (per sample) or "batch".</summary>
    public StochasticDepth(double p, string mode)
    {
        if (p < 0.0 || p > 1.0) throw new ArgumentException($"drop probability has to be between 0 and 1, but got {Py.Repr(p)}");
        if (mode != "batch" && mode != "row") throw new ArgumentException($"mode has to be either 'batch' or 'row', but got {mode}");
        P = p;
        Mode = mode;
    }

    /// <summary>Drop probability; settable, as PyTorch's <c>module.p = 0.0</c>.</summary>
    public double P
    {
        get => p;
        set
        {
            if (value < 0.0 || value > 1.0) throw new ArgumentException($"drop probability has to be between 0 and 1, but got {Py.Repr(value)}");
            p = value;
        }
    }
    double p;
    /// <summary>"row" or "batch".</summary>
    public string Mode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => VisionFunctional.StochasticDepth(input, P, Mode, Training);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Py.Repr(P)}, mode={Mode}";
}
