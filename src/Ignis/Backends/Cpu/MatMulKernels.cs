using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>
/// Baseline batched GEMM over contiguous operands: row-parallel i-k-j loops whose inner loop is a
/// vectorised fused multiply-add over a row of B. The packed, register-tiled engine replaces this later.
/// </summary>
internal static class MatMulKernels
{
    public static void Float<T>(Tensor a, Tensor b, Tensor dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b), xd = CpuBackend.Data<T>(dst);
        int batch = (int)a.shape[0], m = (int)a.shape[1], k = (int)a.shape[2], n = (int)b.shape[2];
        long ao = a.offset, bo = b.offset, d0 = dst.offset;
        StridedLoop.ParallelRange((long)batch * m, (long)k * n, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                long bi = r / m, i = r % m;
                var drow = new Span<T>(xd, (int)(d0 + (bi * m + i) * n), n);
                drow.Clear();
                long arow = ao + (bi * m + i) * k;
                long bbase = bo + bi * k * n;
                for (int p = 0; p < k; p++)
                {
                    T av = xa[arow + p];
                    if (av == T.Zero) continue;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(xb, (int)(bbase + (long)p * n), n), av, drow, drow);
                }
            }
        });
    }

    public static void Integer<T>(Tensor a, Tensor b, Tensor dst) where T : unmanaged, IBinaryInteger<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b), xd = CpuBackend.Data<T>(dst);
        int batch = (int)a.shape[0], m = (int)a.shape[1], k = (int)a.shape[2], n = (int)b.shape[2];
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    T acc = T.Zero;
                    for (int p = 0; p < k; p++)
                        acc += xa[a.offset + ((long)bi * m + i) * k + p] * xb[b.offset + ((long)bi * k + p) * n + j];
                    xd[dst.offset + ((long)bi * m + i) * n + j] = acc;
                }
    }
}
