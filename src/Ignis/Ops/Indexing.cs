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
            view.CheckInPlace(value);
            var b = BroadcastShapes(view.shape, value.shape);
            if (!b.SequenceEqual(view.shape))
                throw new ArgumentException($"shape mismatch: value tensor of shape {ShapeStr(value.shape)} cannot be broadcast to indexing result of shape {ShapeStr(view.shape)}");
            view.CopyFrom(value);
        }
    }

    Tensor Index(TensorIndex[] indices)
    {
        int consuming = indices.Count(i => i.K is TensorIndex.Kind.Single or TensorIndex.Kind.Slice);
        if (indices.Count(i => i.K == TensorIndex.Kind.Ellipsis) > 1) throw new ArgumentException("an index can only have a single ellipsis ('...')");
        if (consuming > Dim) throw new ArgumentOutOfRangeException(null, $"too many indices for tensor of dimension {Dim}");
        var t = this;
        int d = 0;
        foreach (var ix in indices)
        {
            switch (ix.K)
            {
                case TensorIndex.Kind.Single:
                    t = t.Select(d, ix.Value);
                    break;
                case TensorIndex.Kind.Slice:
                    if (ix.Step <= 0) throw new ArgumentException("step must be greater than zero");
                    long size = t.shape[d];
                    long start = Clip(ix.Start ?? 0, size), stop = Clip(ix.Stop ?? size, size);
                    t = t.SliceInternal(d, start, Math.Max(start, stop), ix.Step, "SliceBackward0");
                    d++;
                    break;
                case TensorIndex.Kind.None:
                    t = t.Unsqueeze(d);
                    d++;
                    break;
                case TensorIndex.Kind.Ellipsis:
                    d += Dim - consuming;
                    break;
            }
        }
        return ReferenceEquals(t, this) ? Engine.Record(AsStridedRaw(shape, strides, offset), "AliasBackward0", [this], g => [g]) : t;
    }

    static long Clip(long i, long size)
    {
        if (i < 0) i += size;
        return Math.Clamp(i, 0, size);
    }
}
