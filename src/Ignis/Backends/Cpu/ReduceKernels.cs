using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>Row reductions over a contiguous [rows, k] input; rows run in parallel when large.</summary>
internal static class ReduceKernels
{
    /// <summary>Reduces one row to a value; <paramref name="index"/> receives the arg-index for max/min.</summary>
    delegate T RowReducer<T>(ReadOnlySpan<T> row, out long index);

    /// <summary>Runs <paramref name="reduce"/> over each row of a contiguous [rows, k] input, rows in parallel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForEachRow<T>(TensorView x, TensorView dst, TensorView? indices, RowReducer<T> reduce)
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long[]? ix = indices is null ? null : CpuBackend.Data<long>(indices);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        long xo = x.offset, dOff = dst.offset, dS = dst.strides.Length > 0 ? dst.strides[0] : 0;
        long iOff = indices?.offset ?? 0, iS = indices is { strides.Length: > 0 } ? indices.strides[0] : 0;
        StridedLoop.ParallelRange(rows, k, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                ds[dOff + r * dS] = reduce(new ReadOnlySpan<T>(xs, (int)(xo + r * k), k), out long best);
                if (ix != null) ix[iOff + r * iS] = best;
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Float<T>(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op == ReduceOp.Sum && x.shape[0] == 1 && x.shape[1] >= ParallelSumMin && Numerics.IntraOpThreads.Available > 1)
        {
            T[] ds = CpuBackend.Data<T>(dst);
            ds[dst.offset] = ParallelPairwiseSum(CpuBackend.Data<T>(x), (int)x.offset, (int)x.shape[1], Numerics.IntraOpThreads.Available);
            return;
        }
        RowReducer<T> f = op switch
        {
            ReduceOp.Sum => (ReadOnlySpan<T> row, out long i) => { i = 0; return PairwiseSum(row); },
            ReduceOp.Prod => (ReadOnlySpan<T> row, out long i) => { i = 0; return row.IsEmpty ? T.One : TensorPrimitives.Product(row); },
            ReduceOp.Var => (ReadOnlySpan<T> row, out long i) => { i = 0; return Variance(row, arg); },
            _ => (ReadOnlySpan<T> row, out long i) => { i = ArgBest(row, op == ReduceOp.Max); return row[(int)i]; },
        };
        ForEachRow(x, dst, indices, f);
    }

    /// <summary>Blocked pairwise summation: vectorised blocks, combined in a tree, so error grows like log n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T PairwiseSum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length <= PairwiseBlock) return TensorPrimitives.Sum(x);
        int half = PairwiseHalf(x.Length);
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
    }

    const int PairwiseBlock = 256;

    /// <summary>Where the pairwise tree splits a row longer than a block: half of it, rounded up to whole blocks.</summary>
    static int PairwiseHalf(int n) => (n / 2 + PairwiseBlock - 1) / PairwiseBlock * PairwiseBlock;

    /// <summary>A single row at least this long is summed on several workers.</summary>
    const int ParallelSumMin = 1 << 16;

    /// <summary>
    /// <see cref="PairwiseSum{T}"/> of one long row (a full reduction: the sum of a loss or a benchmark's output) on
    /// <paramref name="workers"/> threads, bit for bit the serial result: the top levels of the same tree split the row
    /// into leaves, each worker sums whole leaves, and the partial sums are combined in the tree's order.
    /// </summary>
    static T ParallelPairwiseSum<T>(T[] xs, int start, int length, int workers) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int depth = 0;
        while ((1 << depth) < workers) depth++;
        var leaves = new List<(int Start, int Length)>(1 << depth);
        // A node is a leaf at the cut depth or where PairwiseSum itself stops splitting; Combine walks the same tree.
        void Split(int s, int n, int d)
        {
            if (d == 0 || n <= PairwiseBlock) { leaves.Add((s, n)); return; }
            int half = PairwiseHalf(n);
            Split(s, half, d - 1);
            Split(s + half, n - half, d - 1);
        }
        Split(start, length, depth);
        var partial = new T[leaves.Count];
        IntraOpPool.For(leaves.Count, i => partial[i] = PairwiseSum(new ReadOnlySpan<T>(xs, leaves[i].Start, leaves[i].Length)));
        int next = 0;
        T Combine(int n, int d)
        {
            if (d == 0 || n <= PairwiseBlock) return partial[next++];
            int half = PairwiseHalf(n);
            T left = Combine(half, d - 1);
            return left + Combine(n - half, d - 1);
        }
        return Combine(length, depth);
    }

    /// <summary>Two-pass variance accumulated in double, as ATen's Welford accumulates in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T Variance<T>(ReadOnlySpan<T> x, double correction) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (n == 0) return T.NaN;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += double.CreateTruncating(x[i]);
        mean /= n;
        double m2 = 0;
        for (int i = 0; i < n; i++)
        {
            double d = double.CreateTruncating(x[i]) - mean;
            m2 += d * d;
        }
        double denom = Math.Max(0, n - correction);
        return T.CreateTruncating(m2 / denom);
    }

    /// <summary>First index of the max (or min); a NaN wins at its first position, as in ATen.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static long ArgBest<T>(ReadOnlySpan<T> row, bool max) where T : INumber<T>
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            T v = row[i];
            if (T.IsNaN(v)) return i;
            if (max ? v > row[best] : v < row[best]) best = i;
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Integer<T>(ReduceOp op, TensorView x, TensorView dst, TensorView? indices) where T : unmanaged, IBinaryInteger<T>
    {
        RowReducer<T> f = op switch
        {
            ReduceOp.Sum => (ReadOnlySpan<T> row, out long i) => { i = 0; T v = T.Zero; foreach (var e in row) v += e; return v; },
            ReduceOp.Prod => (ReadOnlySpan<T> row, out long i) => { i = 0; T v = T.One; foreach (var e in row) v *= e; return v; },
            ReduceOp.Max or ReduceOp.Min => (ReadOnlySpan<T> row, out long i) => { i = ArgBest(row, op == ReduceOp.Max); return row[(int)i]; },
            _ => throw new UnsupportedDTypeException(op.ToString().ToLowerInvariant(), x.DType),
        };
        ForEachRow(x, dst, indices, f);
    }

    /// <summary>Prefix sums accumulated in double for floating point (as ATen's CPU cumsum) and in long for integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Cumsum<T>(TensorView x, TensorView dst) where T : unmanaged, INumber<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        bool isFloat = typeof(T) == typeof(float) || typeof(T) == typeof(double);
        StridedLoop.ParallelRange(rows, k, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                long xi = x.offset + r * k, di = dst.offset + r * k;
                if (isFloat)
                {
                    double acc = 0;
                    for (int i = 0; i < k; i++) { acc += double.CreateTruncating(xs[xi + i]); ds[di + i] = T.CreateTruncating(acc); }
                }
                else
                {
                    long acc = 0;
                    for (int i = 0; i < k; i++) { acc += long.CreateTruncating(xs[xi + i]); ds[di + i] = T.CreateTruncating(acc); }
                }
            }
        });
    }
}
