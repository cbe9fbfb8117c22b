using Ignis.Autograd;

namespace Ignis;

public partial class Tensor
{
    /// <summary>
    /// Basic indexing as in PyTorch: <c>t[0]</c>, <c>t[.., 1..3]</c>, <c>t[TensorIndex.Slice(step: 2)]</c>,
    /// <c>t[TensorIndex.Ellipsis, 0]</c>. Results are views. Assigning copies the value into the view.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Subscript")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => indices.Any(i => i.K == TensorIndex.Kind.Tensor) ? AdvancedIndex(indices) : Index(indices);
        set
        {
            if (indices.Any(i => i.K == TensorIndex.Kind.Tensor)) { IndexPutCore(indices, value, accumulate: false); return; }
            var view = Index(indices);
            var b = BroadcastShapes(view.shape, value.shape);
            if (!b.SequenceEqual(view.shape))
                throw new ArgumentException($"shape mismatch: value tensor of shape {ShapeStr(value.shape)} cannot be broadcast to indexing result of shape {ShapeStr(view.shape)}");
            // A write through a view of this tensor: autograd records it on this tensor as CopySlices.
            view.InPlace(value, () => view.CopyFrom(value), self => CopiedFrom(self, value));
        }
    }

    Tensor Index(TensorIndex[] indices)
    {
        int consuming = indices.Count(i => i.K is TensorIndex.Kind.Single or TensorIndex.Kind.Slice);
        if (indices.Count(i => i.K == TensorIndex.Kind.Ellipsis) > 1) throw new ArgumentException("an index can only have a single ellipsis ('...')");
        if (consuming > Dim) throw new ArgumentOutOfRangeException(null, $"too many indices for tensor of dimension {Dim}");
        var t = this;
        int d = 0;
        foreach (var ix in indices) t = ApplyBasicIndex(t, ix, ref d, Dim - consuming);
        return ReferenceEquals(t, this) ? Engine.Record(AsStridedRaw(shape, strides, offset), "AliasBackward0", [this], g => [g], view: true) : t;
    }

    /// <summary>
    /// Applies one integer, slice, None or ellipsis index at dim <paramref name="d"/> of <paramref name="t"/> as a view and
    /// advances <paramref name="d"/> past the dims it leaves; an ellipsis spans <paramref name="ellipsisWidth"/> dims.
    /// </summary>
    static Tensor ApplyBasicIndex(Tensor t, in TensorIndex ix, ref int d, int ellipsisWidth)
    {
        switch (ix.K)
        {
            case TensorIndex.Kind.Single:
                return t.Select(d, ix.Value);
            case TensorIndex.Kind.Slice:
                if (ix.Step <= 0) throw new ArgumentException("step must be greater than zero");
                long size = t.shape[d];
                long start = Clip(ix.Start ?? 0, size), stop = Clip(ix.Stop ?? size, size);
                return t.SliceInternal(d++, start, Math.Max(start, stop), ix.Step, "SliceBackward0");
            case TensorIndex.Kind.None:
                return t.Unsqueeze(d++);
            case TensorIndex.Kind.Ellipsis:
                d += ellipsisWidth;
                return t;
            default:
                throw new ArgumentException("index tensors are handled by advanced indexing");
        }
    }

    static long Clip(long i, long size)
    {
        if (i < 0) i += size;
        return Math.Clamp(i, 0, size);
    }
}
