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

public partial class Tensor
{
    /// <summary>
    /// The distinct slices along <paramref name="dim"/>, in lexicographic order of their elements
    /// (<c>torch.unique(input, dim=d, return_inverse, return_counts)</c>); the inverse gives each input slice's position
    /// among them (length: the size of <paramref name="dim"/>), the counts each slice's occurrences. Rows are ordered by
    /// stable sorts on each column from the last to the first (a least-significant-first radix order).
    /// </summary>
    public (Tensor Values, Tensor? Inverse, Tensor? Counts) Unique(int dim, bool sorted = true, bool returnInverse = false, bool returnCounts = false)
    {
        _ = sorted;
        int d = NormDim(dim, Dim);
        using var _g = Torch.NoGrad();
        int zeroDims = shape.Count(s => s == 0);
        if (zeroDims > 1) throw new ArgumentException("Number of zero sized dimensions is more than one, so unique cannot be applied ");
        if (zeroDims == 1 && shape[d] != 0) throw new ArgumentException("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
        var moved = Transpose(0, d);
        long n = shape[d];
        if (n == 0)
            return (Detach().Clone(), returnInverse ? Torch.Zeros([0], DType.Int64, Device) : null, returnCounts ? Torch.Zeros([0], DType.Int64, Device) : null);
        var rows = moved.Reshape(n, -1);
        long m = rows.Shape[1];
        var order = Torch.Arange(n, dtype: DType.Int64, device: Device);
        for (long c = m - 1; c >= 0; c--)
        {
            var key = rows.Select(1, c).IndexSelect(0, order);
            order = order.IndexSelect(0, key.Sort(0, stable: true).Indices);
        }
        var sortedRows = rows.IndexSelect(0, order);
        var isStart = n == 1 ? Torch.Ones([1], DType.Bool, Device)
            : Torch.Cat([Torch.Ones([1], DType.Bool, Device), sortedRows[1..].Ne(sortedRows[..^1]).Any(1)]);
        var starts = isStart.Nonzero().Reshape(-1);
        var movedShape = moved.Shape.ToArray();
        movedShape[0] = starts.Numel;
        var values = sortedRows.IndexSelect(0, starts).Reshape(movedShape).Transpose(0, d).Contiguous();
        Tensor? inverse = null, counts = null;
        if (returnInverse)
        {
            var group = isStart.To(DType.Int64).Cumsum(0).Sub(1L);
            inverse = Torch.Zeros([n], DType.Int64, Device).IndexPut_([order], group);
        }
        if (returnCounts)
        {
            var ends = Torch.Cat([starts[1..], Torch.Full([1], n, DType.Int64, Device)]);
            counts = ends.Sub(starts);
        }
        return (values, inverse, counts);
    }
}

public static partial class Torch
{
    /// <summary><c>torch.unique(input, dim=d, sorted, return_inverse, return_counts)</c>; see <see cref="Ignis.Tensor.Unique(int, bool, bool, bool)"/>.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor? Inverse, Ignis.Tensor? Counts) Unique(Ignis.Tensor input, int dim, bool sorted = true, bool returnInverse = false, bool returnCounts = false) =>
        input.Unique(dim, sorted, returnInverse, returnCounts);

    /// <summary><c>torch.unique(input, sorted, return_inverse, return_counts)</c>; see <see cref="Ignis.Tensor.Unique(bool, bool, bool)"/>.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor? Inverse, Ignis.Tensor? Counts) Unique(Ignis.Tensor input, bool sorted = true, bool returnInverse = false, bool returnCounts = false) =>
        input.Unique(sorted, returnInverse, returnCounts);
}
