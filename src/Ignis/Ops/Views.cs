using Ignis.Autograd;

namespace Ignis;

public partial class Tensor
{
    /// <summary>Resolves one -1 entry from the element count, as <c>view</c>/<c>reshape</c> do.</summary>
    long[] InferShape(long[] requested)
    {
        var s = (long[])requested.Clone();
        long known = 1;
        int infer = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException("only one dimension can be inferred");
                infer = i;
            }
            else if (s[i] < 0) throw new ArgumentException($"invalid shape dimension {s[i]}");
            else known *= s[i];
        }
        long n = Numel;
        if (infer >= 0)
        {
            if (known == 0 || n % known != 0)
                throw new ArgumentException($"shape '{ShapeStr(requested)}' is invalid for input of size {n}");
            s[infer] = n / known;
        }
        else if (known != n) throw new ArgumentException($"shape '{ShapeStr(requested)}' is invalid for input of size {n}");
        return s;
    }

    /// <summary>Strides that let <paramref name="newShape"/> view this tensor's memory without copying, or null (ATen's computeStride).</summary>
    long[]? ViewStrides(long[] newShape)
    {
        var newStrides = new long[newShape.Length];
        if (Numel == 0 || shape.Length == 0) return ContiguousStrides(newShape);
        int viewD = newShape.Length - 1;
        long chunkBase = strides[^1], tensorNumel = 1, viewNumel = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = viewNumel * chunkBase;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0)
                {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /// <summary>A view with a new shape sharing storage (<c>view</c>); one size may be -1.</summary>
    public Tensor View(params long[] shape)
    {
        var s = InferShape(shape);
        var st = ViewStrides(s) ?? throw new InvalidOperationException(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        var inShape = this.shape;
        return Engine.Record(AsStridedRaw(s, st, offset), "ViewBackward0", [this], g => [g.Reshape(inShape)], Engine.Attrs(("size", s)), view: true);
    }

    /// <summary>A tensor with a new shape (<c>reshape</c>): a view when the layout allows, otherwise a copy.</summary>
    public Tensor Reshape(params long[] shape)
    {
        var s = InferShape(shape);
        var inShape = this.shape;
        if (ViewStrides(s) is { } st)
            return Engine.Record(AsStridedRaw(s, st, offset), "ReshapeAliasBackward0", [this], g => [g.Reshape(inShape)], Engine.Attrs(("shape", s)), view: true);
        var c = CopyRaw();
        return Engine.Record(c.AsStridedRaw(s, ContiguousStrides(s), 0), "UnsafeViewBackward0", [this], g => [g.Reshape(inShape)], Engine.Attrs(("shape", s)));
    }

    /// <summary><c>view_as</c>.</summary>
    public Tensor ViewAs(Tensor other) => View(other.shape);

    /// <summary><c>reshape_as</c>.</summary>
    public Tensor ReshapeAs(Tensor other) => Reshape(other.shape);

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Dim == 0) return Reshape(1);
        int s = NormDim(startDim, Dim), e = NormDim(endDim, Dim);
        if (s > e) throw new ArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        if (s == e) return this;
        var ns = new List<long>();
        for (int d = 0; d < s; d++) ns.Add(shape[d]);
        long m = 1;
        for (int d = s; d <= e; d++) m *= shape[d];
        ns.Add(m);
        for (int d = e + 1; d < Dim; d++) ns.Add(shape[d]);
        return Reshape(ns.ToArray());
    }

    /// <summary>Reorders dimensions (<c>permute</c>).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Dim)
            throw new ArgumentException($"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {Dim} is not equal to len(dims) = {dims.Length}");
        var ns = new long[Dim];
        var nst = new long[Dim];
        var seen = new bool[Dim];
        var inverse = new int[Dim];
        for (int i = 0; i < Dim; i++)
        {
            int d = NormDim(dims[i], Dim);
            if (seen[d]) throw new ArgumentException("permute(): duplicate dims are not allowed.");
            seen[d] = true;
            ns[i] = shape[d];
            nst[i] = strides[d];
            inverse[d] = i;
        }
        return Engine.Record(AsStridedRaw(ns, nst, offset), "PermuteBackward0", [this], g => [g.Permute(inverse)], Engine.Attrs(("dims", dims)), view: true);
    }

    /// <summary>Swaps two dimensions (<c>transpose</c>).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = NormDim(dim0, Dim), b = NormDim(dim1, Dim);
        var ns = (long[])shape.Clone();
        var nst = (long[])strides.Clone();
        (ns[a], ns[b]) = (ns[b], ns[a]);
        (nst[a], nst[b]) = (nst[b], nst[a]);
        return Engine.Record(AsStridedRaw(ns, nst, offset), "TransposeBackward0", [this], g => [g.Transpose(a, b)], Engine.Attrs(("dim0", dim0), ("dim1", dim1)), view: true);
    }

    /// <summary>Transpose of a tensor with at most 2 dimensions (<c>t()</c>).</summary>
    public Tensor T
    {
        get
        {
            if (Dim > 2) throw new ArgumentException($"t() expects a tensor with <= 2 dimensions, but self is {Dim}D");
            if (Dim < 2) return Engine.Record(AsStridedRaw(shape, strides, offset), "TBackward0", [this], g => [g], view: true);
            var r = AsStridedRaw([shape[1], shape[0]], [strides[1], strides[0]], offset);
            return Engine.Record(r, "TBackward0", [this], g => [g.T], view: true);
        }
    }

    /// <summary>Broadcasts to a larger shape without copying (<c>expand</c>); -1 keeps a size.</summary>
    public Tensor Expand(params long[] sizes)
    {
        if (sizes.Length < Dim)
            throw new ArgumentException($"expand(torch.FloatTensor{{{ShapeStr(shape)}}}, size=[{string.Join(", ", sizes)}]): the number of sizes provided ({sizes.Length}) must be greater or equal to the number of dimensions in the tensor ({Dim})");
        var ns = new long[sizes.Length];
        var nst = new long[sizes.Length];
        int lead = sizes.Length - Dim;
        for (int i = sizes.Length - 1; i >= 0; i--)
        {
            int d = i - lead;
            long target = sizes[i];
            if (d < 0)
            {
                if (target < 0) throw new ArgumentException($"The expanded size of the tensor ({target}) isn't allowed in a leading, non-existing dimension {i}");
                ns[i] = target;
                nst[i] = 0;
                continue;
            }
            if (target == -1) target = shape[d];
            if (shape[d] == target) { ns[i] = target; nst[i] = strides[d]; }
            else if (shape[d] == 1) { ns[i] = target; nst[i] = 0; }
            else throw new ArgumentException(
                $"The expanded size of the tensor ({target}) must match the existing size ({shape[d]}) at non-singleton dimension {i}.  Target sizes: {ShapeStr(sizes)}.  Tensor sizes: {ShapeStr(shape)}");
        }
        if (ns.SequenceEqual(shape) && nst.SequenceEqual(strides) && !RequiresGrad) return this;
        return Engine.Record(AsStridedRaw(ns, nst, offset), "ExpandBackward0", [this], g => [g], Engine.Attrs(("size", sizes)), view: true);
    }

    /// <summary><c>expand_as</c>.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.shape);

    /// <summary>Removes all size-1 dimensions (<c>squeeze()</c>).</summary>
    public Tensor Squeeze()
    {
        var keep = Enumerable.Range(0, Dim).Where(d => shape[d] != 1).ToArray();
        var inShape = shape;
        return Engine.Record(AsStridedRaw(keep.Select(d => shape[d]).ToArray(), keep.Select(d => strides[d]).ToArray(), offset),
            "SqueezeBackward0", [this], g => [g.Reshape(inShape)], view: true);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (<c>squeeze(dim)</c>).</summary>
    public Tensor Squeeze(int dim)
    {
        var inShape = shape;
        if (Dim == 0) return Engine.Record(AsStridedRaw(shape, strides, offset), "SqueezeBackward1", [this], g => [g], Engine.Attrs(("dim", dim)), view: true);
        int d = NormDim(dim, Dim);
        if (shape[d] != 1) return Engine.Record(AsStridedRaw(shape, strides, offset), "SqueezeBackward1", [this], g => [g], Engine.Attrs(("dim", dim)), view: true);
        var ns = shape.Where((_, i) => i != d).ToArray();
        var nst = strides.Where((_, i) => i != d).ToArray();
        return Engine.Record(AsStridedRaw(ns, nst, offset), "SqueezeBackward1", [this], g => [g.Reshape(inShape)], Engine.Attrs(("dim", dim)), view: true);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (<c>unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = NormDim(dim, Dim + 1);
        var ns = shape.ToList();
        var nst = strides.ToList();
        long st = d < Dim ? shape[d] * strides[d] : 1;
        ns.Insert(d, 1);
        nst.Insert(d, st);
        return Engine.Record(AsStridedRaw(ns.ToArray(), nst.ToArray(), offset), "UnsqueezeBackward0", [this], g => [g.Squeeze(d)], Engine.Attrs(("dim", dim)), view: true);
    }

    /// <summary>Elements <paramref name="start"/>..<paramref name="start"/>+<paramref name="length"/> along a dimension, as a view (<c>narrow</c>).</summary>
    public Tensor Narrow(int dim, long start, long length)
    {
        if (Dim == 0) throw new ArgumentException("narrow() cannot be applied to a 0-dim tensor.");
        int d = NormDim(dim, Dim);
        long size = shape[d];
        if (start < -size || start > size)
            throw new ArgumentOutOfRangeException(null, $"start out of range (expected to be in range of [{-size}, {size}], but got {start})");
        if (start < 0) start += size;
        if (length < 0 || start + length > size)
            throw new ArgumentException($"start ({start}) + length ({length}) exceeds dimension size ({size}).");
        return SliceInternal(d, start, start + length, 1, "SliceBackward0");
    }

    internal Tensor SliceInternal(int d, long start, long stop, long step, string name)
    {
        long len = stop > start ? (stop - start + step - 1) / step : 0;
        var ns = (long[])shape.Clone();
        var nst = (long[])strides.Clone();
        ns[d] = len;
        nst[d] = strides[d] * step;
        var inShape = shape;
        var r = AsStridedRaw(ns, nst, offset + start * strides[d]);
        return Engine.Record(r, name, [this], g =>
        {
            var z = Torch.Zeros(inShape, g.DType, g.Device);
            z.SliceInternal(d, start, stop, step, name).CopyFrom(g);
            return [z];
        }, Engine.Attrs(("dim", d), ("start", start), ("end", stop), ("step", step)), view: true);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, removing that dimension (<c>select</c>).</summary>
    public Tensor Select(int dim, long index)
    {
        if (Dim == 0) throw new ArgumentOutOfRangeException(null, "select() cannot be applied to a 0-dim tensor.");
        int d = NormDim(dim, Dim);
        long size = shape[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(null, $"index {index} is out of bounds for dimension {d} with size {size}");
        if (index < 0) index += size;
        var ns = shape.Where((_, i) => i != d).ToArray();
        var nst = strides.Where((_, i) => i != d).ToArray();
        var inShape = shape;
        long idx = index;
        return Engine.Record(AsStridedRaw(ns, nst, offset + index * strides[d]), "SelectBackward0", [this], g =>
        {
            var z = Torch.Zeros(inShape, g.DType, g.Device);
            z.Select(d, idx).CopyFrom(g);
            return [z];
        }, Engine.Attrs(("dim", d), ("index", index)), view: true);
    }

    /// <summary>Sums a gradient of a broadcast shape back to <paramref name="target"/> (used by autograd).</summary>
    internal Tensor SumToShape(long[] target)
    {
        var t = this;
        int lead = Dim - target.Length;
        var dims = new List<int>();
        for (int d = 0; d < Dim; d++)
        {
            int td = d - lead;
            if (td < 0 || (target[td] == 1 && shape[d] != 1)) dims.Add(d);
        }
        if (dims.Count > 0) t = t.Sum(dims.ToArray(), keepDim: true);
        return t.Reshape(target);
    }

    /// <summary>The broadcast shape of two shapes, or PyTorch's error naming the mismatching sizes.</summary>
    internal static long[] BroadcastShapes(long[] a, long[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new long[n];
        for (int i = 0; i < n; i++)
        {
            long x = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            long y = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (x != y && x != 1 && y != 1)
                throw new ArgumentException($"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}");
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    /// <summary>A broadcast view of this tensor with no autograd record (kernels only).</summary>
    internal Tensor ExpandRaw(long[] target)
    {
        if (shape.SequenceEqual(target)) return this;
        var nst = new long[target.Length];
        int lead = target.Length - Dim;
        for (int i = 0; i < target.Length; i++)
        {
            int d = i - lead;
            nst[i] = d < 0 || shape[d] == 1 && target[i] != 1 ? 0 : strides[d];
        }
        return AsStridedRaw(target, nst, offset);
    }

    /// <summary>Copies <paramref name="src"/> (broadcast to this shape, dtype converted) into this tensor's memory (<c>copy_</c>, no autograd).</summary>
    internal void CopyFrom(Tensor src)
    {
        if (src.Device != Device) src = src.To(Device);
        Backend.Copy(src.ExpandRaw(shape), this);
    }
}
