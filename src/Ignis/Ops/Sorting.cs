using Ignis.Autograd;

namespace Ignis;

// Op family: sorting and selection (sort, argsort, topk). The backend sorts contiguous rows; another dim is moved
// last and back. Gradients scatter the incoming gradient to the selected positions (ATen's
// value_selecting_reduction_backward), so they are exact for any k.
public partial class Tensor
{
    /// <summary>
    /// Sorts along <paramref name="dim"/> (<c>sort(dim=-1, descending=False, stable=False)</c>), returning the values and
    /// their int64 positions. Always stable here (equal values keep their order, which <paramref name="stable"/>=false also
    /// permits); NaN sorts above every number, so last ascending and first descending, as in PyTorch.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = false)
    {
        _ = stable;
        int d = NormDim(dim, Dim);
        var (values, indices) = RowSelect(d, k: null, descending, "sort");
        return (RecordSelection(values, indices, d, "SortBackward0", Engine.Attrs(("dim", d), ("descending", descending))), indices);
    }

    /// <summary>The positions that would sort the tensor along <paramref name="dim"/> (<c>argsort</c>).</summary>
    public Tensor Argsort(int dim = -1, bool descending = false, bool stable = false) => Sort(dim, descending, stable).Indices;

    /// <summary>
    /// The <paramref name="k"/> largest (or, with <paramref name="largest"/> false, smallest) entries along
    /// <paramref name="dim"/>, best first, and their positions (<c>topk(k, dim=-1, largest=True, sorted=True)</c>).
    /// Results are always sorted. Selection uses a bounded heap when k is small, not a full sort.
    /// </summary>
    public (Tensor Values, Tensor Indices) Topk(long k, int dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted;
        int d = NormDim(dim, Dim);
        long size = Dim == 0 ? 1 : shape[d];
        if (k < 0 || k > size) throw new ArgumentOutOfRangeException(nameof(k), $"selected index k out of range (k = {k}, size of dim {d} = {size}, shape [{string.Join(", ", shape)}])");
        var (values, indices) = RowSelect(d, k, largest, "topk");
        return (RecordSelection(values, indices, d, "TopkBackward0", Engine.Attrs(("dim", d), ("k", k), ("largest", largest))), indices);
    }

    (Tensor Values, Tensor Indices) RowSelect(int d, long? k, bool descending, string op)
    {
        if (DType == DType.Bool) throw new UnsupportedDTypeException(op, DType);
        // The kernels work on contiguous rows: move dim d last (a view), copy, and move the results back.
        var moved = Dim == 0 ? AsStridedRaw([1], [1], offset) : Transpose(d, Dim - 1).Detach();
        var rowsIn = moved.ContiguousRaw();
        long n = moved.shape[^1], take = k ?? n;
        long rows = n == 0 ? 0 : rowsIn.Numel / n;
        var outShape = (long[])moved.shape.Clone();
        outShape[^1] = take;
        var v = Output(outShape, DType, Device);
        var ix = Output(outShape, DType.Int64, Device);
        if (rows > 0 && take > 0)
        {
            var src = rowsIn.AsStridedRaw([rows, n], [n, 1], rowsIn.offset);
            var vv = v.AsStridedRaw([rows, take], [take, 1], 0);
            var iv = ix.AsStridedRaw([rows, take], [take, 1], 0);
            if (k is null) Backend.Sort(src, vv, iv, descending);
            else Backend.TopK(src, (int)take, descending, vv, iv);
        }
        if (!ReferenceEquals(rowsIn, moved) && !ReferenceEquals(rowsIn, this)) rowsIn.storage.Dispose();
        Tensor Back(Tensor t) => Dim == 0 ? t.AsStridedRaw([], [], 0) : t.Transpose(d, Dim - 1).Detach().ContiguousRaw();
        return (Back(v), Back(ix));
    }

    Tensor RecordSelection(Tensor values, Tensor indices, int d, string name, IReadOnlyDictionary<string, object> attrs)
    {
        var inShape = shape;
        var dev = Device;
        return Engine.Record(values, name, [this], g =>
            [Dim == 0 ? g : Empty(inShape, g.DType, dev).ScatterAdd(d, indices, g)], attrs, saved: [indices]);
    }
}

public static partial class Torch
{
    /// <summary><c>torch.sort(input, dim, descending, stable)</c>.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor Indices) Sort(Ignis.Tensor input, int dim = -1, bool descending = false, bool stable = false) =>
        input.Sort(dim, descending, stable);

    /// <summary><c>torch.argsort(input, dim, descending, stable)</c>.</summary>
    public static Ignis.Tensor Argsort(Ignis.Tensor input, int dim = -1, bool descending = false, bool stable = false) =>
        input.Argsort(dim, descending, stable);

    /// <summary><c>torch.topk(input, k, dim, largest, sorted)</c>.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor Indices) Topk(Ignis.Tensor input, long k, int dim = -1, bool largest = true, bool sorted = true) =>
        input.Topk(k, dim, largest, sorted);
}
