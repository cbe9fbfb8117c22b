using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    int[] ReduceDims(int[]? dims)
    {
        if (dims is null || dims.Length == 0) return Enumerable.Range(0, Dim).ToArray();
        var set = new SortedSet<int>();
        foreach (int d in dims)
            if (!set.Add(NormDim(d, Dim)))
                throw new ArgumentException($"dim {NormDim(d, Dim)} appears multiple times in the list of dims");
        return Dim == 0 ? [] : set.ToArray();
    }

    long[] ReducedShape(int[] dims, bool keepDim)
    {
        var r = new List<long>();
        for (int d = 0; d < Dim; d++)
        {
            if (dims.Contains(d)) { if (keepDim) r.Add(1); }
            else r.Add(shape[d]);
        }
        return r.ToArray();
    }

    /// <summary>Moves reduced dims last, makes the data contiguous and reduces each row in the backend.</summary>
    Tensor ReduceRaw(ReduceOp op, int[] dims, bool keepDim, DType compute, out Tensor? indices, bool wantIndices = false, double arg = 0)
    {
        var x = DType == compute ? this : ToDTypeRaw(compute);
        if (dims.Length == Dim && x.IsContiguous)
        {
            // A contiguous tensor reduced over every dim is one row as it lies: no permutation, copy or LINQ (a full sum
            // of a small tensor — the polynomial fit's five per iteration — spent more on those than on the sum).
            long n = x.Numel;
            var whole = Empty(keepDim ? Enumerable.Repeat(1L, Dim).ToArray() : [], compute, Device);
            indices = wantIndices ? Empty(whole.shape, DType.Int64, Device) : null;
            Backend.Reduce(op, x.AsStridedRaw([1, n], [n, 1], x.offset), whole.AsStridedRaw([1], [1], 0), indices?.AsStridedRaw([1], [1], 0), arg);
            return whole;
        }
        var keep = Enumerable.Range(0, Dim).Where(d => !dims.Contains(d)).ToArray();
        var perm = keep.Concat(dims).ToArray();
        long rows = 1, k = 1;
        foreach (int d in keep) rows *= shape[d];
        foreach (int d in dims) k *= shape[d];
        var xp = x.AsStridedRaw(perm.Select(d => shape[d]).ToArray(), perm.Select(d => x.strides[d]).ToArray(), x.offset).ContiguousRaw();
        var x2 = xp.AsStridedRaw([rows, k], [k, 1], xp.offset);
        var outShape = ReducedShape(dims, keepDim);
        var dst = Empty(outShape, compute, Device);
        indices = wantIndices ? Empty(outShape, DType.Int64, Device) : null;
        if (rows > 0)
            Backend.Reduce(op, x2, dst.AsStridedRaw([rows], [1], 0), indices?.AsStridedRaw([rows], [1], 0), arg);
        return dst;
    }

    /// <summary>Expands a reduced gradient (or statistic) back over the reduced dims.</summary>
    Tensor Unreduce(Tensor g, int[] dims, bool keepDim)
    {
        if (!keepDim)
            foreach (int d in dims) g = g.Unsqueeze(d);
        return g.Expand(shape);
    }

    /// <summary>Sum of all elements (<c>sum()</c>); integer and bool inputs sum to int64.</summary>
    public Tensor Sum() => SumCore(null, false, "SumBackward0");

    /// <summary>Sum over <paramref name="dim"/> (<c>sum(dim, keepdim)</c>).</summary>
    public Tensor Sum(int dim, bool keepDim = false) => SumCore([dim], keepDim, "SumBackward1");

    /// <summary>Sum over several dims (<c>sum(dims, keepdim)</c>).</summary>
    public Tensor Sum(int[] dims, bool keepDim = false) => SumCore(dims, keepDim, "SumBackward1");

    Tensor SumCore(int[]? dimsIn, bool keepDim, string name)
    {
        var dims = ReduceDims(dimsIn);
        var compute = DType.IsFloatingPoint() ? DType : DType.Int64;
        var r = ReduceRaw(ReduceOp.Sum, dims, keepDim, compute, out _);
        return Engine.Record(r, name, [this], g => [Unreduce(g, dims, keepDim)], Engine.Attrs(("dim", dims), ("keepdim", keepDim)));
    }

    /// <summary>Mean of all elements (<c>mean()</c>).</summary>
    public Tensor Mean() => MeanCore(null, false, "MeanBackward0");

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => MeanCore([dim], keepDim, "MeanBackward1");

    /// <summary>Mean over several dims.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false) => MeanCore(dims, keepDim, "MeanBackward1");

    Tensor MeanCore(int[]? dimsIn, bool keepDim, string name)
    {
        if (!DType.IsFloatingPoint())
            throw new ArgumentException($"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {DType.ScalarTypeName()}");
        var dims = ReduceDims(dimsIn);
        long k = 1;
        foreach (int d in dims) k *= shape[d];
        var s = ReduceRaw(ReduceOp.Sum, dims, keepDim, DType, out _);
        var r = NewEmpty(s.shape);
        Backend.BinaryScalar(BinaryOp.Div, s, new Scalar((double)k), r, scalarFirst: false);
        return Engine.Record(r, name, [this], g => [Unreduce(g, dims, keepDim).Div((double)k)], Engine.Attrs(("dim", dims), ("keepdim", keepDim)));
    }

    /// <summary>Product of all elements (<c>prod()</c>).</summary>
    public Tensor Prod() => ProdCore(null, false, "ProdBackward0");

    /// <summary>Product over <paramref name="dim"/>.</summary>
    public Tensor Prod(int dim, bool keepDim = false) => ProdCore([dim], keepDim, "ProdBackward1");

    Tensor ProdCore(int[]? dimsIn, bool keepDim, string name)
    {
        var dims = ReduceDims(dimsIn);
        var compute = DType.IsFloatingPoint() ? DType : DType.Int64;
        var r = ReduceRaw(ReduceOp.Prod, dims, keepDim, compute, out _);
        var x = this;
        return Engine.Record(r, name, [this], g =>
        {
            // Product of the other elements, exact when the row has zeros (one zero: only it gets a gradient).
            var zero = x.Eq(0.0);
            var zeros = zero.Sum(dims, keepDim: true);
            var nonZeroProd = Torch.Where(zero, Torch.OnesLike(x), x).Prod(dims, true);
            var others = Torch.Where(zero,
                Torch.Where(zeros.Eq(1L), nonZeroProd, Torch.ZerosLike(nonZeroProd)).Expand(x.shape),
                Torch.Where(zeros.Eq(0L), nonZeroProd, Torch.ZerosLike(nonZeroProd)).Expand(x.shape).Div(x));
            return [Unreduce(g, dims, keepDim).Mul(others)];
        }, Engine.Attrs(("dim", dims), ("keepdim", keepDim)), saved: [x, r]);
    }

    Tensor Prod(int[] dims, bool keepDim)
    {
        var compute = DType.IsFloatingPoint() ? DType : DType.Int64;
        return ReduceRaw(ReduceOp.Prod, dims, keepDim, compute, out _);
    }

    /// <summary>Largest element (<c>max()</c>); gradient shared evenly between ties.</summary>
    public Tensor Max() => ExtremeAll(ReduceOp.Max, "MaxBackward1", "max");

    /// <summary>Smallest element (<c>min()</c>).</summary>
    public Tensor Min() => ExtremeAll(ReduceOp.Min, "MinBackward1", "min");

    Tensor ExtremeAll(ReduceOp op, string name, string fn)
    {
        if (Numel == 0)
            throw new ArgumentException($"{fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        var dims = ReduceDims(null);
        var r = ReduceRaw(op, dims, false, DType, out _);
        var x = this;
        return Engine.Record(r, name, [this], g =>
        {
            // evenly_distribute_backward: a NaN result came from the NaN elements, which == cannot find.
            var mask = x.Eq(r).LogicalOr(x.IsNan().LogicalAnd(r.IsNan())).To(g.DType);
            return [mask.Mul(g).Div(mask.Sum())];
        }, Engine.Attrs(("dim", dims)), saved: [x, r]);
    }

    /// <summary>Max along a dim with the index of its first occurrence (<c>max(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeDim(ReduceOp.Max, dim, keepDim, "MaxBackward0", "max");

    /// <summary>Min along a dim with its index (<c>min(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeDim(ReduceOp.Min, dim, keepDim, "MinBackward0", "min");

    (Tensor, Tensor) ExtremeDim(ReduceOp op, int dim, bool keepDim, string name, string fn)
    {
        int d = NormDim(dim, Dim);
        if (Dim > 0 && shape[d] == 0)
            throw new ArgumentOutOfRangeException(null, $"{fn}(): Expected reduction dim {d} to have non-zero size.");
        int[] dims = Dim == 0 ? [] : [d];
        var r = ReduceRaw(op, dims, keepDim, DType, out var idx, wantIndices: true);
        var inShape = shape;
        var res = Engine.Record(r, name, [this], g =>
        {
            var gi = keepDim || Dim == 0 ? g : g.Unsqueeze(d);
            var ii = keepDim || Dim == 0 ? idx! : idx!.Unsqueeze(d);
            return [Torch.Zeros(inShape, g.DType, g.Device).ScatterAdd(Dim == 0 ? 0 : d, ii, gi)];
        }, Engine.Attrs(("dim", dims), ("keepdim", keepDim)), saved: [idx]);
        return (res, idx!);
    }

    /// <summary>Index of the max of the flattened tensor, or along <paramref name="dim"/> (<c>argmax</c>).</summary>
    public Tensor Argmax(int? dim = null, bool keepDim = false) => dim is int d ? Max(d, keepDim).Indices : Reshape(-1).Max(0).Indices;

    /// <summary><c>argmin</c>.</summary>
    public Tensor Argmin(int? dim = null, bool keepDim = false) => dim is int d ? Min(d, keepDim).Indices : Reshape(-1).Min(0).Indices;

    /// <summary>Variance of all elements (<c>var(unbiased)</c>).</summary>
    public Tensor Var(bool unbiased = true) => VarCore(null, unbiased ? 1 : 0, false, false);

    /// <summary>Variance along <paramref name="dim"/>.</summary>
    public Tensor Var(int dim, bool unbiased = true, bool keepDim = false) => VarCore([dim], unbiased ? 1 : 0, keepDim, false);

    /// <summary>Variance along several dims.</summary>
    public Tensor Var(int[] dims, bool unbiased = true, bool keepDim = false) => VarCore(dims, unbiased ? 1 : 0, keepDim, false);

    /// <summary>Standard deviation of all elements (<c>std(unbiased)</c>).</summary>
    public Tensor Std(bool unbiased = true) => VarCore(null, unbiased ? 1 : 0, false, true);

    /// <summary>Standard deviation along <paramref name="dim"/>.</summary>
    public Tensor Std(int dim, bool unbiased = true, bool keepDim = false) => VarCore([dim], unbiased ? 1 : 0, keepDim, true);

    /// <summary>Standard deviation along several dims.</summary>
    public Tensor Std(int[] dims, bool unbiased = true, bool keepDim = false) => VarCore(dims, unbiased ? 1 : 0, keepDim, true);

    /// <summary>
    /// Variance over <paramref name="dims"/> (all when null) dividing by N − <paramref name="correction"/>
    /// (<c>var(dim, correction=c, keepdim)</c>; correction 1 is Bessel's, 0 the population variance).
    /// </summary>
    public Tensor Var(int[]? dims, double correction, bool keepDim = false) => VarCore(dims, correction, keepDim, false);

    /// <summary>Variance along <paramref name="dim"/> with N − <paramref name="correction"/> (<c>var(dim, correction=c)</c>).</summary>
    public Tensor Var(int dim, double correction, bool keepDim = false) => VarCore([dim], correction, keepDim, false);

    /// <summary>Standard deviation with N − <paramref name="correction"/> (<c>std(dim, correction=c, keepdim)</c>).</summary>
    public Tensor Std(int[]? dims, double correction, bool keepDim = false) => VarCore(dims, correction, keepDim, true);

    /// <summary>Standard deviation along <paramref name="dim"/> with N − <paramref name="correction"/>.</summary>
    public Tensor Std(int dim, double correction, bool keepDim = false) => VarCore([dim], correction, keepDim, true);

    Tensor VarCore(int[]? dimsIn, double correction, bool keepDim, bool std)
    {
        if (!DType.IsFloatingPoint())
            throw new ArgumentException($"std and var only support floating point and complex dtypes");
        var dims = ReduceDims(dimsIn);
        long n = 1;
        foreach (int d in dims) n *= shape[d];
        var v = ReduceRaw(ReduceOp.Var, dims, keepDim, DType, out _, arg: correction);
        Tensor r = v;
        if (std)
        {
            r = v.NewEmpty(v.shape);
            Backend.Unary(UnaryOp.Sqrt, v, r);
        }
        var x = this;
        return Engine.Record(r, std ? "StdBackward0" : "VarBackward0", [this], g =>
        {
            var centered = x.Sub(x.Mean(dims, true));
            var scale = Unreduce(g, dims, keepDim).Div(n - correction);
            return std
                ? [scale.Mul(centered).Div(Unreduce(r, dims, keepDim))]
                : [scale.Mul(centered).Mul(2.0)];
        }, Engine.Attrs(("dim", dims), ("keepdim", keepDim), ("correction", correction)), saved: [x, std ? r : null]);
    }

    /// <summary>log Σ exp along dims, computed stably (<c>logsumexp</c>).</summary>
    public Tensor Logsumexp(int dim, bool keepDim = false) => Logsumexp([dim], keepDim);

    /// <summary><c>logsumexp</c> over several dims.</summary>
    public Tensor Logsumexp(int[] dimsIn, bool keepDim = false)
    {
        var dims = ReduceDims(dimsIn);
        var x = AsFloating();
        Tensor r;
        using (Torch.NoGrad())
        {
            var m = x.ReduceRaw(ReduceOp.Max, dims, true, x.DType, out _);
            m = Torch.Where(m.IsFinite(), m, Torch.ZerosLike(m));
            r = x.Sub(m).Exp().Sum(dims, true).Log().Add(m);
            if (!keepDim) r = r.Reshape(ReducedShape(dims, false));
        }
        return Engine.Record(r, "LogsumexpBackward0", [this], g => [Unreduce(g, dims, keepDim).Mul(x.Sub(Unreduce(r, dims, keepDim)).Exp())], Engine.Attrs(("dim", dims), ("keepdim", keepDim)),
            saved: [x, r]);
    }

    /// <summary>Softmax along <paramref name="dim"/> (<c>softmax</c>), one fused kernel per row.</summary>
    public Tensor Softmax(int dim) => SoftmaxCore(dim, log: false, "SoftmaxBackward0");

    /// <summary>log(softmax) along <paramref name="dim"/>, computed stably in one fused kernel (<c>log_softmax</c>).</summary>
    public Tensor LogSoftmax(int dim) => SoftmaxCore(dim, log: true, "LogSoftmaxBackward0");

    Tensor SoftmaxCore(int dim, bool log, string name)
    {
        int d = NormDim(dim, Dim);
        var x = AsFloating();
        // The kernels work on contiguous rows; another dim is moved last and back (views, one copy each way).
        var moved = Dim == 0 ? x.AsStridedRaw([1], [1], x.offset) : x.Transpose(d, Dim - 1).Detach();
        var rowsIn = moved.ContiguousRaw();
        long k = Dim == 0 ? 1 : shape[d];
        long rows = k == 0 ? 0 : rowsIn.Numel / k;
        var y2 = Output(rowsIn.shape, x.DType, Device);
        if (rows > 0) Backend.Softmax(rowsIn.AsStridedRaw([rows, k], [k, 1], rowsIn.offset), y2.AsStridedRaw([rows, k], [k, 1], 0), log);
        var y = Dim == 0 ? y2.AsStridedRaw([], [], 0) : y2.Transpose(d, Dim - 1).Detach();
        var moveBack = Dim == 0 ? (Func<Tensor, Tensor>)(t => t.AsStridedRaw([], [], t.offset)) : t => t.Transpose(d, Dim - 1).Detach();
        return Engine.Record(y, name, [this], g =>
        {
            var gm = (Dim == 0 ? g.AsStridedRaw([1], [1], g.offset) : g.Transpose(d, Dim - 1).Detach()).ContiguousRaw();
            var gx = Output(y2.shape, g.DType, g.Device);
            if (rows > 0)
                Backend.SoftmaxBackward(y2.AsStridedRaw([rows, k], [k, 1], 0), gm.AsStridedRaw([rows, k], [k, 1], gm.offset),
                    gx.AsStridedRaw([rows, k], [k, 1], 0), log);
            return [moveBack(gx)];
        }, Engine.Attrs(("dim", d)), saved: [y]);
    }

    /// <summary>Inclusive prefix sum along <paramref name="dim"/> (<c>cumsum</c>); integers accumulate in int64.</summary>
    public Tensor Cumsum(int dim)
    {
        int d = NormDim(dim, Dim);
        var compute = DType.IsFloatingPoint() ? DType : DType.Int64;
        var x = DType == compute ? this : ToDTypeRaw(compute);
        Tensor r;
        if (Dim == 0) r = x.CopyRaw();
        else
        {
            var moved = x.Transpose(d, Dim - 1).Detach().ContiguousRaw();
            long k = shape[d], rows = k == 0 ? 0 : Numel / k;
            var outMoved = moved.NewEmpty(moved.shape);
            if (rows > 0)
                Backend.Cumsum(moved.AsStridedRaw([rows, k], [k, 1], moved.offset), outMoved.AsStridedRaw([rows, k], [k, 1], 0));
            r = outMoved.Transpose(d, Dim - 1).Detach().ContiguousRaw();
        }
        // Σ_{j≥i} g_j = total − cumsum_i + g_i.
        return Engine.Record(r, "CumsumBackward0", [this], g => Dim == 0 ? [g] : [g.Sum(d, true).Sub(g.Cumsum(d)).Add(g)], Engine.Attrs(("dim", d)));
    }
}
