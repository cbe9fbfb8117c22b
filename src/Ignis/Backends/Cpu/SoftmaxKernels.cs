using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>Row-wise fused softmax and log-softmax, forward and backward, rows in parallel.</summary>
internal static class SoftmaxKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(TensorView x, TensorView dst, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long rows = x.shape[0];
        int k = (int)x.shape[1];
        long xo = x.offset, dOff = dst.offset;
        StridedLoop.ParallelRange(rows, 4L * k, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var row = new ReadOnlySpan<T>(xs, (int)(xo + r * k), k);
                var d = new Span<T>(ds, (int)(dOff + r * k), k);
                if (k == 0) continue;
                T max = TensorPrimitives.Max(row);
                // An all −∞ row gives NaN either way (0/0); a +∞ in the row must give NaN everywhere as in ATen
                // (∞ − ∞ poisons the sum), so only −∞ is replaced.
                if (T.IsNegativeInfinity(max)) max = T.Zero;
                TensorPrimitives.Subtract(row, max, d);
                if (log)
                {
                    // log_softmax = (x − max) − log Σ exp(x − max), in that order as ATen (folding max into the log
                    // term would round it at the magnitude of max); exp goes through d and is then overwritten.
                    TensorPrimitives.Exp(d, d);
                    T logSum = T.Log(TensorPrimitives.Sum(d));
                    TensorPrimitives.Subtract(row, max, d);
                    TensorPrimitives.Subtract(d, logSum, d);
                }
                else
                {
                    TensorPrimitives.Exp(d, d);
                    TensorPrimitives.Divide(d, TensorPrimitives.Sum(d), d);
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(TensorView y, TensorView gy, TensorView dst, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] ys = CpuBackend.Data<T>(y), gs = CpuBackend.Data<T>(gy), ds = CpuBackend.Data<T>(dst);
        long rows = y.shape[0];
        int k = (int)y.shape[1];
        long yo = y.offset, go = gy.offset, dOff = dst.offset;
        StridedLoop.ParallelRange(rows, 3L * k, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var yr = new ReadOnlySpan<T>(ys, (int)(yo + r * k), k);
                var gr = new ReadOnlySpan<T>(gs, (int)(go + r * k), k);
                var d = new Span<T>(ds, (int)(dOff + r * k), k);
                if (log)
                {
                    T sum = TensorPrimitives.Sum(gr);
                    TensorPrimitives.Exp(yr, d);
                    TensorPrimitives.MultiplyAdd(d, -sum, gr, d);
                }
                else
                {
                    T dot = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, dot, d);
                    TensorPrimitives.Multiply(d, yr, d);
                }
            }
        });
    }
}
