using System.Runtime.CompilerServices;
using System.Numerics;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

/// <summary>Batched matrix products on the packed GEMM; operands may be transposed or batch-broadcast views.</summary>
internal static class MatMulKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(TensorView a, TensorView b, TensorView dst) where T : unmanaged, INumber<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b), xd = CpuBackend.Data<T>(dst);
        int batch = (int)a.shape[0], m = (int)a.shape[1], k = (int)a.shape[2], n = (int)b.shape[2];
        void One(int bi)
        {
            var av = new MatrixView<T>(xa, a.offset + bi * a.strides[0], a.strides[1], a.strides[2]);
            var bv = new MatrixView<T>(xb, b.offset + bi * b.strides[0], b.strides[1], b.strides[2]);
            PackedGemm.Run(m, n, k, T.One, av, bv, T.Zero, xd, dst.offset + (long)bi * m * n, n);
        }
        // Many small products: one per thread. Large ones parallelise inside the GEMM instead.
        if (batch > 1 && (long)m * n * k < (1 << 18)) StridedLoop.ParallelRange(batch, (long)m * n * k, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) => { for (long i = b0; i < b1; i++) One((int)i); });
        else for (int bi = 0; bi < batch; bi++) One(bi);
    }
}
