using Ignis.Autograd;

namespace Ignis;

// Op family: advanced indexing (x[idx], x[mask], x[:, idx] = v, index_put_, nonzero, take), with PyTorch's rules:
// integers and slices apply first as views (PyTorch, unlike NumPy, treats an integer as a select even next to index
// tensors); the index tensors (masks become their nonzero positions) broadcast together; the broadcast dims replace
// the indexed dims in place when those are adjacent, and go first otherwise. Reading gathers through index_select
// on the indexed dims flattened (gradient: index_add, so repeated positions accumulate), reported as IndexBackward0;
// writing scatters into the tensor's own storage at the elements' offsets (last duplicate wins, or accumulates).
public partial class Tensor
{
    /// <summary>The view after the basic indices, and each index tensor with the dim of that view it indexes.</summary>
    sealed record AdvancedPlan(Tensor View, int[] Dims, long[][] Positions, long[] BroadcastShape, bool Adjacent);

    AdvancedPlan PlanAdvanced(TensorIndex[] indices)
    {
        if (indices.Count(i => i.K == TensorIndex.Kind.Ellipsis) > 1) throw new ArgumentException("an index can only have a single ellipsis ('...')");
        int consuming = 0;
        foreach (var ix in indices)
            consuming += ix.K switch
            {
                TensorIndex.Kind.Single or TensorIndex.Kind.Slice => 1,
                TensorIndex.Kind.Tensor => IsMask(ix.Indices!) ? Math.Max(1, ix.Indices!.Dim) : 1,
                _ => 0,
            };
        if (consuming > Dim) throw new ArgumentOutOfRangeException(null, $"too many indices for tensor of dimension {Dim}");
        var t = this;
        int d = 0, orig = 0;
        var dims = new List<int>();
        var idxTensors = new List<Tensor>();
        foreach (var ix in indices)
        {
            switch (ix.K)
            {
                case TensorIndex.Kind.Single or TensorIndex.Kind.Slice or TensorIndex.Kind.None or TensorIndex.Kind.Ellipsis:
                    int before = d;
                    t = ApplyBasicIndex(t, ix, ref d, Dim - consuming);
                    // Position in this tensor's own dims, for messages: None adds a dim this tensor does not have.
                    orig += ix.K switch { TensorIndex.Kind.Single => 1, TensorIndex.Kind.None => 0, _ => d - before };
                    break;
                case TensorIndex.Kind.Tensor:
                    var it = ix.Indices!;
                    if (IsMask(it))
                    {
                        // A k-dim mask indexes k dims with its nonzero positions.
                        var mshape = it.Dim == 0 ? [1L] : it.shape;
                        for (int j = 0; j < mshape.Length; j++)
                            if (d + j >= t.Dim || mshape[j] != t.shape[d + j])
                                throw new ArgumentException(
                                    $"The shape of the mask {ShapeStr(it.shape)} at index {j} does not match the shape of the indexed tensor {ShapeStr(shape)} at index {orig + j}");
                        var mask = (it.Dim == 0 ? it.Reshape(1) : it).Ne(0L).ToArray<bool>();
                        var nz = Nonzero(mask, mshape);
                        for (int j = 0; j < mshape.Length; j++) { dims.Add(d + j); idxTensors.Add(Torch.Tensor(nz[j])); }
                        d += mshape.Length; orig += mshape.Length;
                    }
                    else
                    {
                        if (it.DType != DType.Int64) throw new ArgumentException("tensors used as indices must be long, byte or bool tensors");
                        dims.Add(d); idxTensors.Add(it);
                        d++; orig++;
                    }
                    break;
            }
        }
        var b = idxTensors.Select(x => x.shape).Aggregate(Array.Empty<long>(), BroadcastShapes);
        long nb = b.Aggregate(1L, (p, q) => p * q);
        var positions = new long[dims.Count][];
        for (int i = 0; i < dims.Count; i++)
        {
            var vals = idxTensors[i].ExpandRaw(b).ContiguousRaw().To(Device.Cpu).ToArray<long>();
            long size = t.shape[dims[i]];
            for (long k = 0; k < nb; k++)
            {
                long v = vals[k];
                if (v < -size || v >= size) throw new ArgumentOutOfRangeException(null, $"index {v} is out of bounds for dimension {dims[i]} with size {size}");
                if (v < 0) vals[k] = v + size;
            }
            positions[i] = vals;
        }
        bool adjacent = dims.Zip(dims.Skip(1)).All(p => p.Second == p.First + 1);
        return new AdvancedPlan(t, [.. dims], positions, b, adjacent);
    }

    static bool IsMask(Tensor t) => t.DType.Kind is ScalarType.Bool or ScalarType.UInt8;

    static long[][] Nonzero(bool[] mask, long[] shape)
    {
        int nd = shape.Length;
        var coords = Enumerable.Range(0, nd).Select(_ => new List<long>()).ToArray();
        var strides = new long[nd];
        long st = 1;
        for (int j = nd - 1; j >= 0; j--) { strides[j] = st; st *= shape[j]; }
        for (long e = 0; e < mask.Length; e++)
            if (mask[e])
                for (int j = 0; j < nd; j++) coords[j].Add(e / strides[j] % shape[j]);
        return coords.Select(c => c.ToArray()).ToArray();
    }

    // The result's dims as (broadcast dims, remaining dims) and, for adjacent advanced dims not at the front, the
    // permutation that moves the broadcast block back to where the indexed dims were.
    static int[]? BlockBack(AdvancedPlan p, int restCount)
    {
        int d0 = p.Dims.Length == 0 ? 0 : p.Dims[0], nb = p.BroadcastShape.Length;
        if (!p.Adjacent || d0 == 0) return null;
        var perm = new List<int>();
        for (int i = 0; i < d0; i++) perm.Add(nb + i);
        for (int i = 0; i < nb; i++) perm.Add(i);
        for (int i = d0; i < restCount; i++) perm.Add(nb + i);
        return [.. perm];
    }

    Tensor AdvancedIndex(TensorIndex[] indices)
    {
        var p = PlanAdvanced(indices);
        var t = p.View;
        var rest = Enumerable.Range(0, t.Dim).Where(i => !p.Dims.Contains(i)).ToArray();
        var perm = p.Dims.Concat(rest).ToArray();
        var moved = perm.SequenceEqual(Enumerable.Range(0, t.Dim)) ? t : t.Permute(perm);
        long flatAdv = p.Dims.Aggregate(1L, (acc, i) => acc * t.shape[i]);
        var restShape = rest.Select(i => t.shape[i]).ToArray();
        var flat = moved.Reshape([flatAdv, .. restShape]);
        // Row-major linear position within the indexed dims.
        long nb = p.BroadcastShape.Aggregate(1L, (a, c) => a * c);
        var lin = new long[nb];
        long mul = 1;
        for (int i = p.Dims.Length - 1; i >= 0; i--)
        {
            for (long k = 0; k < nb; k++) lin[k] += p.Positions[i][k] * mul;
            mul *= t.shape[p.Dims[i]];
        }
        var r = flat.IndexSelect(0, Torch.Tensor(lin).To(Device)).Reshape([.. p.BroadcastShape, .. restShape]);
        if (BlockBack(p, rest.Length) is { } back) r = r.Permute(back);
        return r.NamedAs("IndexBackward0");
    }

    /// <summary>
    /// Writes <paramref name="values"/> (broadcast to the indexed shape) at the positions the index tensors select
    /// (<c>index_put_(indices, values, accumulate)</c>); with <paramref name="accumulate"/> repeated positions add up,
    /// otherwise the last one wins. Returns this tensor.
    /// </summary>
    public Tensor IndexPut_(Tensor[] indices, Tensor values, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(indices);
        IndexPutCore(indices.Select(i => (TensorIndex)i).ToArray(), values, accumulate);
        return this;
    }

    void IndexPutCore(TensorIndex[] indices, Tensor values, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(values);
        // PyTorch's __setitem__ applies integers, slices and None first, as a view, and index_put_s into that view, so
        // autograd records the write on this tensor as CopySlices; with only tensors and ellipsis it writes directly.
        var target = indices.Any(i => i.K is TensorIndex.Kind.Single or TensorIndex.Kind.Slice or TensorIndex.Kind.None) ? Index([]) : this;
        target.InPlace(values, () => target.IndexPutWrite(indices, values, accumulate), self =>
        {
            var r = self.CopyRaw();
            r.IndexPutWrite(indices, values, accumulate);
            // self: the gradient with the written positions zeroed (kept whole when accumulating); values: the gradient
            // read back at those positions, which autograd sums to the values' shape.
            return Engine.Record(r, "IndexPutBackward0", [self, values], g =>
            {
                var gSelf = g;
                if (!accumulate)
                {
                    gSelf = g.CopyRaw();
                    gSelf.IndexPutWrite(indices, Torch.Zeros([], g.DType, g.Device), false);
                }
                return [gSelf, g.AdvancedIndex(indices)];
            }, Engine.Attrs(("accumulate", accumulate)), saved: [.. indices.Select(i => i.Indices)]);
        });
    }

    /// <summary>index_put_'s write into this tensor's elements, with PyTorch's shape checks; no autograd.</summary>
    void IndexPutWrite(TensorIndex[] indices, Tensor values, bool accumulate)
    {
        var p = PlanAdvanced(indices);
        var t = p.View;
        var rest = Enumerable.Range(0, t.Dim).Where(i => !p.Dims.Contains(i)).ToArray();
        var restShape = rest.Select(i => t.shape[i]).ToArray();
        long[] resultShape = [.. p.BroadcastShape, .. restShape];
        var back = BlockBack(p, rest.Length);
        var shown = back is null ? resultShape : back.Select(i => resultShape[i]).ToArray();
        long[]? bshape;
        try { bshape = BroadcastShapes(shown, values.shape); }
        catch (ArgumentException) { bshape = null; }
        if (bshape is null || !bshape.SequenceEqual(shown))
            throw new ArgumentException($"shape mismatch: value tensor of shape {ShapeStr(values.shape)} cannot be broadcast to indexing result of shape {ShapeStr(shown)}");
        // Values in (broadcast dims, remaining dims) order, matching the offsets below.
        Tensor v;
        using (Torch.NoGrad())
        {
            v = values.To(DType).To(Device).ExpandRaw(shown);
            if (back is not null) v = v.Permute(Inverse(back));
            v = v.ContiguousRaw().Reshape(-1);
        }
        // Storage offset of every written element: advanced part plus the remaining dims, row-major.
        long nb = p.BroadcastShape.Aggregate(1L, (a, c) => a * c), nr = restShape.Aggregate(1L, (a, c) => a * c);
        var offsets = new long[nb * nr];
        var restOff = new long[nr];
        for (long r = 0, rem; r < nr; r++)
        {
            rem = r;
            long o = 0;
            for (int j = rest.Length - 1; j >= 0; j--) { o += rem % restShape[j] * t.strides[rest[j]]; rem /= restShape[j]; }
            restOff[r] = o;
        }
        long maxOff = 0;
        for (long k = 0; k < nb; k++)
        {
            long a = t.offset;
            for (int i = 0; i < p.Dims.Length; i++) a += p.Positions[i][k] * t.strides[p.Dims[i]];
            for (long r = 0; r < nr; r++) { long o = a + restOff[r]; offsets[k * nr + r] = o; maxOff = Math.Max(maxOff, o); }
        }
        if (offsets.Length == 0) return;
        var target = AsStridedRaw([maxOff + 1], [1], 0);
        var idx = Torch.Tensor(offsets).To(Device);
        if (accumulate) Backend.ScatterAdd(target, 0, idx, v);
        else Backend.Scatter(target, 0, idx, v);
    }

    static int[] Inverse(int[] perm)
    {
        var inv = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
        return inv;
    }

    /// <summary>
    /// The positions of the non-zero elements, one row per element and one column per dim (<c>nonzero()</c>), int64,
    /// in row-major order.
    /// </summary>
    public Tensor Nonzero()
    {
        var flags = (Dim == 0 ? Reshape(1) : this).Ne(0L).To(Device.Cpu).ToArray<bool>();
        var shp = Dim == 0 ? [1L] : shape;
        var nz = Nonzero(flags, shp);
        long n = nz.Length == 0 ? 0 : nz[0].Length;
        var data = new long[n * Dim];
        for (long e = 0; e < n; e++)
            for (int j = 0; j < Dim; j++) data[e * Dim + j] = nz[j][e];
        return Torch.Tensor(data).Reshape(n, Dim).To(Device);
    }

    /// <summary>Elements at flat positions of the row-major tensor, shaped like <paramref name="index"/> (<c>take</c>).</summary>
    public Tensor Take(Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.DType != DType.Int64) throw new ArgumentException($"take(): Expected a long tensor for index, but got {index.DType.ScalarTypeName()}");
        return Reshape(-1)[index].NamedAs("TakeBackward0");
    }
}

public static partial class Torch
{
    /// <summary><c>torch.nonzero(input)</c>.</summary>
    public static Ignis.Tensor Nonzero(Ignis.Tensor input) => input.Nonzero();

    /// <summary><c>torch.take(input, index)</c>.</summary>
    public static Ignis.Tensor Take(Ignis.Tensor input, Ignis.Tensor index) => input.Take(index);
}
