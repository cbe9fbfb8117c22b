using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>Row reductions over a contiguous [rows, k] input; rows run in parallel when large.</summary>
internal static class ReduceKernels
{
    public static void Float<T>(ReduceOp op, Tensor x, Tensor dst, Tensor? indices, double arg)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long[]? ix = indices is null ? null : CpuBackend.Data<long>(indices);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        long xo = x.offset, dOff = dst.offset, dS = dst.strides.Length > 0 ? dst.strides[0] : 0;
        long iOff = indices?.offset ?? 0, iS = indices is { strides.Length: > 0 } ? indices.strides[0] : 0;
        StridedLoop.ParallelRange(rows, k, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var row = new ReadOnlySpan<T>(xs, (int)(xo + r * k), k);
                T v;
                switch (op)
                {
                    case ReduceOp.Sum: v = PairwiseSum(row); break;
                    case ReduceOp.Prod: v = k == 0 ? T.One : TensorPrimitives.Product(row); break;
                    case ReduceOp.Var: v = Variance(row, arg); break;
                    default:
                        long best = ArgBest(row, op == ReduceOp.Max);
                        v = row[(int)best];
                        if (ix != null) ix[iOff + r * iS] = best;
                        break;
                }
                ds[dOff + r * dS] = v;
            }
        });
    }

    /// <summary>Blocked pairwise summation: vectorised blocks, combined in a tree, so error grows like log n.</summary>
    static T PairwiseSum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int Block = 256;
        if (x.Length <= Block) return TensorPrimitives.Sum(x);
        int half = (x.Length / 2 + Block - 1) / Block * Block;
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
    }

    /// <summary>Two-pass variance accumulated in double, as ATen's Welford accumulates in double.</summary>
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

    public static void Integer<T>(ReduceOp op, Tensor x, Tensor dst, Tensor? indices) where T : unmanaged, IBinaryInteger<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long[]? ix = indices is null ? null : CpuBackend.Data<long>(indices);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        long xo = x.offset, dOff = dst.offset, dS = dst.strides.Length > 0 ? dst.strides[0] : 0;
        long iOff = indices?.offset ?? 0, iS = indices is { strides.Length: > 0 } ? indices.strides[0] : 0;
        StridedLoop.ParallelRange(rows, k, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var row = new ReadOnlySpan<T>(xs, (int)(xo + r * k), k);
                T v;
                switch (op)
                {
                    case ReduceOp.Sum: v = T.Zero; foreach (var e in row) v += e; break;
                    case ReduceOp.Prod: v = T.One; foreach (var e in row) v *= e; break;
                    case ReduceOp.Max or ReduceOp.Min:
                        long best = ArgBest(row, op == ReduceOp.Max);
                        v = row[(int)best];
                        if (ix != null) ix[iOff + r * iS] = best;
                        break;
                    default: throw new NotSupportedException($"{op} over integers");
                }
                ds[dOff + r * dS] = v;
            }
        });
    }

    /// <summary>Prefix sums accumulated in double for floating point (as ATen's CPU cumsum) and in long for integers.</summary>
    public static void Cumsum<T>(Tensor x, Tensor dst) where T : unmanaged, INumber<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        bool isFloat = typeof(T) == typeof(float) || typeof(T) == typeof(double);
        StridedLoop.ParallelRange(rows, k, (r0, r1) =>
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
