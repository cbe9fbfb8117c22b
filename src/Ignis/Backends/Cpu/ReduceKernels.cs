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
        const int Block = 256;
        if (x.Length <= Block) return TensorPrimitives.Sum(x);
        int half = (x.Length / 2 + Block - 1) / Block * Block;
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
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
