using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

// Op family: dropout (F.dropout, F.dropout2d): masks from PyTorch's CPU Bernoulli draws.
public static partial class Functional
{
    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1−p) in training (<c>F.dropout</c>);
    /// the mask uses PyTorch's CPU Bernoulli draws, so seeded runs match PyTorch.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckDropoutP(p);
        if (!training || p == 0) return input;
        if (p == 1) return input.Mul(0.0);
        var noise = Torch.Empty(input.Shape, input.DType, input.Device).Bernoulli_(1 - p, generator).Div_(1 - p);
        return input.Mul(noise);
    }

    /// <summary>Zeroes whole channels of [N, C, H, W] (or unbatched [C, H, W]) input (<c>F.dropout2d</c>).</summary>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckDropoutP(p);
        if (input.Dim is not (3 or 4))
            throw new ArgumentException($"dropout2d: Received a {input.Dim}-D input to dropout2d, which is deprecated and will result in an error in a future release. Expected a 3-D (unbatched) or 4-D (batched) input.");
        if (!training || p == 0) return input;
        if (p == 1) return input.Mul(0.0);
        var s = input.Shape;
        long[] noiseShape = input.Dim == 4 ? [s[0], s[1], 1, 1] : [s[0], 1, 1];
        var noise = Torch.Empty(noiseShape, input.DType, input.Device).Bernoulli_(1 - p, generator).Div_(1 - p);
        return input.Mul(noise);
    }

    internal static void CheckDropoutP(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {Ignis.Py.Repr(p)}");
    }
}
