using Ignis.Autograd;

namespace Ignis;

// Op family: out-of-place index updates (index_add, index_copy, masked_scatter). Each writes into a copy through the
// scatter primitives and records ATen's gradients: the untouched positions pass the gradient to self, the sources
// receive the gradient gathered from where they went.
public partial class Tensor
{
    // The 1-D index expanded to the source's shape along dim, as scatter needs it.
    Tensor ExpandIndex(int d, Tensor index, Tensor source, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}(): Expected dtype int64 for index");
        if (index.Dim > 1) throw new ArgumentException($"{op}(): Index is supposed to be a vector");
        long n = index.Numel;
        long srcAlong = source.Dim == 0 ? 1 : source.shape[d];
        if (srcAlong != n)
            throw new ArgumentException($"{op}(): Number of indices ({n}) should be equal to source.size(dim) ({srcAlong})");
        if (Dim > 0 && source.Dim != Dim) throw new ArgumentException($"{op}(): Source/destination tensor must have same slice shapes. Destination slice shape: {ShapeStr(shape)} at dimension {d} and source slice shape: {ShapeStr(source.shape)} at dimension {d}.");
        var view = Enumerable.Repeat(1L, Math.Max(Dim, 1)).ToArray();
        view[Dim == 0 ? 0 : d] = n;
        return index.Reshape(view).ExpandRaw(Dim == 0 ? [n] : source.shape).ContiguousRaw();
    }

    /// <summary>
    /// A copy with <paramref name="alpha"/>·source added at the positions <paramref name="index"/> names along
    /// <paramref name="dim"/> (<c>index_add(dim, index, source, alpha=1)</c>); repeated positions accumulate.
    /// </summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source, double alpha = 1)
    {
        int d = NormDim(dim, Dim);
        var idx = ExpandIndex(d, index, source, "index_add");
        var src = alpha == 1 ? source : source.Mul(alpha);
        return ScatterAdd(d, idx, src).NamedAs("IndexAddBackward0");
    }

    /// <summary>
    /// A copy with source's slices written at the positions <paramref name="index"/> names along <paramref name="dim"/>
    /// (<c>index_copy(dim, index, source)</c>).
    /// </summary>
    public Tensor IndexCopy(int dim, Tensor index, Tensor source)
    {
        int d = NormDim(dim, Dim);
        var idx = ExpandIndex(d, index, source, "index_copy");
        if (source.DType != DType) throw new ArgumentException($"index_copy_(): self and source expected to have the same dtype, but got (self) {DType.ScalarTypeName()} and (source) {source.DType.ScalarTypeName()}");
        var r = CopyRaw();
        Backend.Scatter(r, d, idx, source);
        return Engine.Record(r, "IndexCopyBackward0", [this, source], g =>
        {
            // self: the gradient with the overwritten slices zeroed; source: the gradient at the slices it wrote.
            var gSelf = g.CopyRaw();
            Backend.Scatter(gSelf, d, idx, Torch.ZerosLike(source).To(g.DType));
            return [gSelf, g.Gather(d, idx)];
        }, Engine.Attrs(("dim", d)), saved: [index]);
    }

    /// <summary>
    /// A copy where the positions <paramref name="mask"/> selects (broadcast to this shape) take source's elements in
    /// row-major order (<c>masked_scatter(mask, source)</c>); source needs at least as many elements as the mask selects.
    /// </summary>
    public Tensor MaskedScatter(Tensor mask, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(source);
        if (mask.DType != DType.Bool) throw new ArgumentException($"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.DType.ScalarTypeName()}");
        if (source.DType != DType) throw new ArgumentException($"masked_scatter: expected self and source to have same dtypes but got {DType.ScalarTypeName()} and {source.DType.ScalarTypeName()}");
        var m = mask.ExpandRaw(BroadcastShapes(shape, mask.shape)).ContiguousRaw();
        if (!m.shape.SequenceEqual(shape)) throw new ArgumentException($"masked_scatter: mask of shape {ShapeStr(mask.shape)} does not broadcast to {ShapeStr(shape)}");
        var pos = m.Reshape(-1).Nonzero().Reshape(-1);
        long k = pos.Numel;
        if (source.Numel < k) throw new ArgumentException($"masked_scatter: expected source to have at least {k} elements (the number of selected positions), got {source.Numel}");
        var srcFlat = source.Reshape(-1);
        var r = CopyRaw();
        if (k > 0)
        {
            using var _ = Torch.NoGrad();
            Backend.Scatter(r.AsStridedRaw([r.Numel], [1], r.offset), 0, pos, srcFlat.Narrow(0, 0, k).ContiguousRaw());
        }
        var srcShape = source.shape;
        return Engine.Record(r, "MaskedScatterBackward0", [this, source], g =>
        {
            var gSelf = g.MaskedFill(m, 0);
            var taken = g.Reshape(-1).IndexSelect(0, pos);
            var gSrc = Torch.Zeros([srcFlat.Numel], g.DType, g.Device);
            if (k > 0) gSrc = Torch.Cat([taken, gSrc.Narrow(0, k, srcFlat.Numel - k)]);
            return [gSelf, gSrc.Reshape(srcShape)];
        }, saved: [mask]);
    }
}
