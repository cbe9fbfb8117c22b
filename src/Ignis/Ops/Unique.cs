namespace Ignis;

// Op family: unique. Built on the stable row sort: equal values become neighbours, a run starts where a value
// differs from the one before (NaN never equals itself, so each NaN is its own value, as on PyTorch's CPU), and the
// inverse map scatters each run's number back through the sort permutation. Not differentiable (as in PyTorch).
public partial class Tensor
{
    /// <summary>
    /// The distinct elements in ascending order (<c>torch.unique(input, sorted=True, return_inverse, return_counts)</c>),
    /// with, when asked, for every input element the position of its value (shaped like the input) and the number
    /// of occurrences of each value. The result is always sorted (PyTorch permits that for sorted=False too).
    /// Unique along a dim (<c>dim=</c>) is not supported yet.
    /// </summary>
    public (Tensor Values, Tensor? Inverse, Tensor? Counts) Unique(bool sorted = true, bool returnInverse = false, bool returnCounts = false)
    {
        _ = sorted;
        using var _g = Torch.NoGrad();
        var flat = Reshape(-1);
        long n = flat.Numel;
        if (n == 0)
            return (flat.Detach().Clone(), returnInverse ? Torch.Zeros(shape, DType.Int64, Device) : null,
                returnCounts ? Torch.Zeros([0], DType.Int64, Device) : null);
        var (s, perm) = flat.Sort();
        var isStart = n == 1 ? Torch.Ones([1], DType.Bool, Device)
            : Torch.Cat([Torch.Ones([1], DType.Bool, Device), s[1..].Ne(s[..^1])]);
        var values = s[isStart];
        Tensor? inverse = null, counts = null;
        if (returnInverse)
        {
            var group = isStart.To(DType.Int64).Cumsum(0).Sub(1L);
            inverse = Torch.Zeros([n], DType.Int64, Device).IndexPut_([perm], group).Reshape(shape);
        }
        if (returnCounts)
        {
            var starts = isStart.Nonzero().Reshape(-1);
            var ends = Torch.Cat([starts[1..], Torch.Full([1], n, DType.Int64, Device)]);
            counts = ends.Sub(starts);
        }
        return (values, inverse, counts);
    }
}

public static partial class Torch
{
    /// <summary><c>torch.unique(input, sorted, return_inverse, return_counts)</c>; see <see cref="Ignis.Tensor.Unique"/>.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor? Inverse, Ignis.Tensor? Counts) Unique(Ignis.Tensor input, bool sorted = true, bool returnInverse = false, bool returnCounts = false) =>
        input.Unique(sorted, returnInverse, returnCounts);
}
