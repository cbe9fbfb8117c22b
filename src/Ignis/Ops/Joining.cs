using Ignis.Autograd;

namespace Ignis;

public partial class Tensor
{
    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller); views (<c>split</c>).</summary>
    public Tensor[] Split(long splitSize, int dim = 0)
    {
        int d = NormDim(dim, Dim);
        if (splitSize < 0) throw new ArgumentException($"split expects split_size be non-negative, but got split_size={splitSize}");
        long size = shape[d];
        if (splitSize == 0 && size != 0) throw new ArgumentException($"split_size can only be 0 if dimension size is 0, but got dimension size of {size}");
        var parts = new List<Tensor>();
        long n = splitSize == 0 ? 1 : Math.Max(1, (size + splitSize - 1) / splitSize);
        for (long i = 0; i < n; i++)
        {
            long s = i * splitSize, len = Math.Min(splitSize, size - s);
            parts.Add(SliceInternal(d, s, s + len, 1, "SplitBackward0"));
        }
        return parts.ToArray();
    }

    /// <summary>Splits into pieces of the given sizes (<c>split(list)</c> / <c>split_with_sizes</c>).</summary>
    public Tensor[] Split(long[] sizes, int dim = 0)
    {
        int d = NormDim(dim, Dim);
        if (sizes.Sum() != shape[d])
            throw new ArgumentException($"split_with_sizes expects split_sizes to sum exactly to {shape[d]} (input tensor's size at dimension {d}), but got split_sizes={ShapeStr(sizes)}");
        var parts = new Tensor[sizes.Length];
        long s = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = SliceInternal(d, s, s + sizes[i], 1, "SplitWithSizesBackward0");
            s += sizes[i];
        }
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views (<c>chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException("chunk expects `chunks` to be greater than 0, got: " + chunks);
        int d = NormDim(dim, Dim);
        long splitSize = (shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(splitSize, shape[d] == 0 ? 0 : 1), d);
    }

    /// <summary>Gathers values along <paramref name="dim"/> at int64 <paramref name="index"/> (<c>gather</c>).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = NormDim(dim, Dim);
        if (index.DType != DType.Int64) throw new ArgumentException("gather(): Expected dtype int64 for index");
        if (index.Dim != Dim && !(Dim == 0 && index.Dim <= 1))
            throw new ArgumentException("Index tensor must have the same number of dimensions as input tensor");
        for (int i = 0; i < Dim; i++)
            if (i != d && index.shape[i] > shape[i])
                throw new ArgumentException($"Size does not match at dimension {i} expected index {ShapeStr(index.shape)} to be smaller than self {ShapeStr(shape)} apart from dimension {d}");
        CheckSameDevice(this, index);
        var r = NewEmpty(index.shape);
        Backend.Gather(this, d, index, r);
        var inShape = shape;
        return Engine.Record(r, "GatherBackward0", [this], g => [Torch.Zeros(inShape, g.DType, g.Device).ScatterAdd(d, index, g)], Engine.Attrs(("dim", d)),
            saved: [index]);
    }

    /// <summary>Out-of-place scatter-add: a copy of this with <paramref name="src"/> added at <paramref name="index"/> along <paramref name="dim"/> (<c>scatter_add</c>).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
    {
        int d = NormDim(dim, Dim);
        if (index.DType != DType.Int64) throw new ArgumentException("scatter(): Expected dtype int64 for index");
        if (src.DType != DType) throw new ArgumentException($"scatter(): Expected self.dtype to be equal to src.dtype");
        if (index.Dim != Dim && !(Dim == 0 && index.Dim <= 1))
            throw new ArgumentException("Index tensor must have the same number of dimensions as self tensor");
        CheckSameDevice(this, index);
        CheckSameDevice(this, src);
        var r = CopyRaw();
        Backend.ScatterAdd(r, d, index, src);
        return Engine.Record(r, "ScatterAddBackward0", [this, src], g => [g, g.Gather(d, index)], Engine.Attrs(("dim", d)), saved: [index]);
    }

    /// <summary>Selects entries along <paramref name="dim"/> by a 1-D int64 index (<c>index_select</c>).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        int d = NormDim(dim, Dim);
        if (index.Dim > 1) throw new ArgumentException("index_select(): Index is supposed to be a vector");
        if (index.DType.Kind is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"index_select(): Expected dtype int32 or int64 for index");
        CheckSameDevice(this, index);
        var idx = index.DType == DType.Int64 ? index : index.ToDTypeRaw(DType.Int64);
        long n = idx.Numel;
        var outShape = (long[])shape.Clone();
        if (Dim > 0) outShape[d] = n;
        var viewShape = Enumerable.Repeat(1L, Math.Max(Dim, 1)).ToArray();
        viewShape[Dim == 0 ? 0 : d] = n;
        var full = idx.Reshape(viewShape).Detach().ExpandRaw(Dim == 0 ? [n] : outShape);
        var r = NewEmpty(Dim == 0 ? [] : outShape);
        Backend.Gather(this, d, Dim == 0 ? full.AsStridedRaw([], [], full.offset) : full, r);
        var inShape = shape;
        return Engine.Record(r, "IndexSelectBackward0", [this], g =>
        {
            var z = Torch.Zeros(inShape, g.DType, g.Device);
            return [Dim == 0 ? g : z.ScatterAdd(d, full.ContiguousRaw(), g)];
        }, Engine.Attrs(("dim", d)), saved: [index]);
    }

    /// <summary>Replaces elements where <paramref name="mask"/> is true with <paramref name="value"/> (<c>masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        CheckMask(mask, "masked_fill_");
        var outShape = BroadcastShapes(shape, mask.shape);
        var r = Empty(outShape, DType, Device);
        Backend.Where(mask.ExpandRaw(outShape), Torch.Full([], value, DType, Device).ExpandRaw(outShape), ExpandRaw(outShape), r);
        return Engine.Record(r, "MaskedFillBackward0", [this], g => [Torch.Where(mask, Torch.ZerosLike(g), g)], Engine.Attrs(("value", value)),
            saved: [mask]);
    }
}

public static partial class Torch
{
    /// <summary>Concatenates along an existing dimension (<c>torch.cat</c>), promoting dtypes.</summary>
    public static Ignis.Tensor Cat(IReadOnlyList<Ignis.Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("torch.cat(): expected a non-empty list of Tensors");
        // Legacy rule: 1-D empty tensors are skipped.
        var parts = tensors.Where(t => !(t.Dim == 1 && t.shape[0] == 0)).ToList();
        if (parts.Count == 0) return tensors[0].Clone();
        var first = parts[0];
        if (first.Dim == 0) throw new ArgumentException("zero-dimensional tensor (at position 0) cannot be concatenated");
        int d = Ignis.Tensor.NormDim(dim, first.Dim);
        long total = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var t = parts[i];
            if (t.Dim != first.Dim)
                throw new ArgumentException($"Tensors must have same number of dimensions: got {first.Dim} and {t.Dim}");
            for (int k = 0; k < t.Dim; k++)
                if (k != d && t.shape[k] != first.shape[k])
                    throw new ArgumentException($"Sizes of tensors must match except in dimension {d}. Expected size {first.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.");
            if (t.Device != first.Device)
                throw new ArgumentException($"Expected all tensors to be on the same device, but found at least two devices, {first.Device} and {t.Device}!");
            total += t.shape[d];
        }
        var dt = Ignis.Tensor.ResultType(parts.ToArray());
        var outShape = (long[])first.shape.Clone();
        outShape[d] = total;
        var r = Ignis.Tensor.Empty(outShape, dt, first.Device);
        long off = 0;
        var offsets = new long[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            offsets[i] = off;
            r.AsStridedRaw(Slice(outShape, d, parts[i].shape[d]), r.strides, off * r.strides[d]).CopyFrom(parts[i]);
            off += parts[i].shape[d];
        }
        return Engine.Record(r, "CatBackward0", parts.ToArray(), g =>
            parts.Select((p, i) => (Ignis.Tensor?)g.Narrow(d, offsets[i], p.shape[d])).ToArray(), Engine.Attrs(("dim", d)));
    }

    static long[] Slice(long[] shape, int d, long len)
    {
        var s = (long[])shape.Clone();
        s[d] = len;
        return s;
    }

    /// <summary>Stacks equal-shaped tensors along a new dimension (<c>torch.stack</c>).</summary>
    public static Ignis.Tensor Stack(IReadOnlyList<Ignis.Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("stack expects a non-empty TensorList");
        var s0 = tensors[0].shape;
        for (int i = 1; i < tensors.Count; i++)
            if (!tensors[i].shape.SequenceEqual(s0))
                throw new ArgumentException($"stack expects each tensor to be equal size, but got {Ignis.Tensor.ShapeStr(s0)} at entry 0 and {Ignis.Tensor.ShapeStr(tensors[i].shape)} at entry {i}");
        int d = Ignis.Tensor.NormDim(dim, s0.Length + 1);
        Ignis.Tensor r;
        using (NoGrad()) r = Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
        return Engine.Record(r, "StackBackward0", tensors.ToArray(), g =>
            Enumerable.Range(0, tensors.Count).Select(i => (Ignis.Tensor?)g.Select(d, i)).ToArray(), Engine.Attrs(("dim", d)));
    }

    /// <summary>Elementwise choice: <paramref name="x"/> where <paramref name="condition"/> is true, else <paramref name="y"/> (<c>torch.where</c>).</summary>
    public static Ignis.Tensor Where(Ignis.Tensor condition, Ignis.Tensor x, Ignis.Tensor y)
    {
        if (condition.DType != DType.Bool)
            throw new ArgumentException($"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.DType.ScalarTypeName()}");
        var dt = Ignis.Tensor.ResultType(x, y);
        var shape = Ignis.Tensor.BroadcastShapes(Ignis.Tensor.BroadcastShapes(condition.shape, x.shape), y.shape);
        (condition, var xd) = Ignis.Tensor.SameDeviceOperands(condition, x);
        (condition, var yd) = Ignis.Tensor.SameDeviceOperands(condition, y);
        var xc = xd.DType == dt ? xd : xd.ToDTypeRaw(dt);
        var yc = yd.DType == dt ? yd : yd.ToDTypeRaw(dt);
        var r = Ignis.Tensor.Empty(shape, dt, condition.Device);
        r.Backend.Where(condition.ExpandRaw(shape), xc.ExpandRaw(shape), yc.ExpandRaw(shape), r);
        return Engine.Record(r, "WhereBackward0", [x, y], g =>
        {
            var z = ZerosLike(g);
            return [Where(condition, g, z), Where(condition, z, g)];
        }, saved: [condition]);
    }

    /// <summary><c>torch.where(cond, x, scalar)</c>.</summary>
    public static Ignis.Tensor Where(Ignis.Tensor condition, Ignis.Tensor x, double y) => Where(condition, x, Ignis.Tensor.Wrap(y, x.Device));

    /// <summary><c>torch.where(cond, scalar, y)</c>.</summary>
    public static Ignis.Tensor Where(Ignis.Tensor condition, double x, Ignis.Tensor y) => Where(condition, Ignis.Tensor.Wrap(x, y.Device), y);
}
