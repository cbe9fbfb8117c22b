using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

// Op family: linear (F.linear / nn.Linear), composed from matmul and add with addmm's grad_fn name.
public static partial class Functional
{
    /// <summary>x·Wᵀ + b (<c>F.linear</c>); W is [out, in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (input.Dim == 0) throw new ArgumentException("both arguments to linear need to be at least 1D, but they are 0D and 2D");
        long inF = input.Size(-1);
        if (weight.Dim != 2 || weight.Size(1) != inF)
        {
            var rows = input.Numel / Math.Max(inF, 1);
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({rows}x{inF} and {weight.Size(-1)}x{weight.Size(0)})");
        }
        var y = input.MatMul(weight.T);
        if (bias is null) return y;
        var r = y.Add(bias);
        return input.Dim == 2 ? r.NamedAs("AddmmBackward0") : r;
    }
}
