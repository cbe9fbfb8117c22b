using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// C = alpha·A·Bᵀ + beta·C where both A [m × k] and B [n × k] have rows contiguous along k (stored, or virtual rows
/// such as a convolution's column matrix): a convolution's weight gradient dW = dY·colᵀ, whose K is the output pixels.
/// The packed GEMM has to transpose one of the two operands element by element while packing (its slivers are
/// k-major); here both are copied row by row into K chunks and each C element is a dot product: a 4×4 block of rows
/// keeps 16 vector accumulators over the chunk, summed across lanes at the chunk's end. A long K is split across
/// threads, each summing into its own copy of C (m·n is small next to m·n·k); a shorter one splits the blocks.
/// </summary>
internal static unsafe class DotGemm
{
    /// <summary>
    /// Whether this kernel takes the product: float or double, both operands' rows contiguous, and 512-bit vectors (the
    /// 4×4 block's 16 accumulators plus its operands need the 32 registers AVX-512 has; measured only there).
    /// </summary>
    public static bool Applies<T>(MatrixView<T> a, MatrixView<T> b) where T : unmanaged =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && Vector512.IsHardwareAccelerated && RowsAlongK(a) && RowsAlongK(b);

    static bool RowsAlongK<T>(MatrixView<T> v) => v.Rows is null ? v.ColStride == 1 : !v.SourceTransposed;

    /// <summary>C[i, j] (at cOff + i·ldc + j) = alpha·Σ_p A[i, p]·B[j, p] + beta·C[i, j]; beta = 0 never reads C.</summary>
    public static void Run<T>(int m, int n, int k, T alpha, MatrixView<T> a, MatrixView<T> b, T beta, T[] c, long cOff, long ldc)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
            Core<float, Vector512<float>, V512F>(m, n, k, Unsafe.As<T, float>(ref alpha), Unsafe.As<MatrixView<T>, MatrixView<float>>(ref a),
                Unsafe.As<MatrixView<T>, MatrixView<float>>(ref b), Unsafe.As<T, float>(ref beta), (float[])(object)c, cOff, ldc);
        else
            Core<double, Vector512<double>, V512D>(m, n, k, Unsafe.As<T, double>(ref alpha), Unsafe.As<MatrixView<T>, MatrixView<double>>(ref a),
                Unsafe.As<MatrixView<T>, MatrixView<double>>(ref b), Unsafe.As<T, double>(ref beta), (double[])(object)c, cOff, ldc);
    }

    static void Core<T, TV, TOps>(int m, int n, int k, T alpha, MatrixView<T> a, MatrixView<T> b, T beta, T[] c, long cOff, long ldc)
        where T : unmanaged, INumber<T> where TV : struct where TOps : struct, IVectorOps<TV, T>
    {
        if (m == 0 || n == 0) return;
        int w = TOps.Width, m4 = (m + 3) & ~3, n4 = (n + 3) & ~3;
        // The smaller operand's chunk stays in half of L2 while 4-row blocks of the other stream through L1; the chunk
        // is as long as that allows (each block's 16 lane sums are paid once per chunk), at most half of L1 per 4-row block.
        var caches = CpuCaches.Current;
        long byL2 = caches.L2 / 2 / ((long)Math.Min(m4, n4) * sizeof(T)), byL1 = caches.L1Data / 2 / (4L * sizeof(T));
        int kc = (int)Math.Clamp(Math.Min(byL2, byL1) / w * w, 4 * w, 4096);
        // K split across threads when it is long enough for every thread to get 1024; otherwise the larger operand's
        // 4-row blocks are (K = 784 for a 256-channel 3×3 layer at 14×14, batch 4, would otherwise run on one thread).
        int threads = IntraOpPool.Threads, outerBlocks = Math.Max(m4, n4) / 4;
        bool splitK = k >= 1024 * threads || outerBlocks < 2 * threads;
        int tasks = splitK ? (int)Math.Clamp(k / 1024, 1, threads) : threads;
        bool outerIsB = m4 <= n4;
        var partials = new T[tasks][];
        int size = m4 * n4;
        void Task(int t)
        {
            // Whole vectors per task, so every chunk but the last of the last task is a multiple of the width.
            int k0 = 0, k1 = k, o0 = 0, o1 = outerBlocks;
            if (splitK)
            {
                k0 = (int)((long)k * t / tasks / w * w);
                k1 = t == tasks - 1 ? k : (int)((long)k * (t + 1) / tasks / w * w);
            }
            else
            {
                o0 = t * outerBlocks / tasks;
                o1 = (t + 1) * outerBlocks / tasks;
            }
            var part = ArrayPool<T>.Shared.Rent(size);
            Array.Clear(part, 0, size);
            // This thread's pinned, 64-byte-aligned panel buffers: a 512-bit load from a pooled array straddles two lines.
            var (abuf, ao) = PackBuffer<T>.A(m4 * kc);
            var (bbuf, bo) = PackBuffer<T>.B(n4 * kc);
            Array.Clear(abuf, ao, m4 * kc);   // rows m..m4 stay zero
            Array.Clear(bbuf, bo, n4 * kc);
            // Rows of each operand this task reads: all of the inner one, its own blocks of the outer one.
            int aFrom = outerIsB ? 0 : 4 * o0, aTo = outerIsB ? m : Math.Min(m, 4 * o1);
            int bFrom = outerIsB ? 4 * o0 : 0, bTo = outerIsB ? Math.Min(n, 4 * o1) : n;
            int innerBlocks = (outerIsB ? m4 : n4) / 4;
            // Equal chunks (1568 → 2 × 784, not 1536 + 32: a short chunk pays the lane sums for little work).
            int chunks = Math.Max(1, (k1 - k0 + kc - 1) / kc), step = ((k1 - k0 + chunks - 1) / chunks + w - 1) / w * w;
            for (int kk = k0; kk < k1; kk += step)
            {
                int len = Math.Min(step, k1 - kk), lenPad = (len + w - 1) / w * w;
                Fill(a, aFrom, aTo, kk, len, lenPad, abuf, ao, kc);
                Fill(b, bFrom, bTo, kk, len, lenPad, bbuf, bo, kc);
                fixed (T* pa0 = abuf, pb0 = bbuf, pp = part)
                {
                    T* pa = pa0 + ao, pb = pb0 + bo;
                    // Blocks of the larger operand outside, so the smaller one's chunk is what is re-read (from L2).
                    for (int ob = o0; ob < o1; ob++)
                        for (int ib = 0; ib < innerBlocks; ib++)
                        {
                            int i = 4 * (outerIsB ? ib : ob), j = 4 * (outerIsB ? ob : ib);
                            Kernel4x4<T, TV, TOps>(pa + (long)i * kc, pb + (long)j * kc, kc, lenPad, pp + (long)i * n4 + j, n4);
                        }
                }
            }
            partials[t] = part;
        }
        if (tasks == 1) Task(0);
        else IntraOpPool.For(tasks, Task);
        bool zeroBeta = beta == T.Zero;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T acc = partials[0][i * n4 + j];
                for (int t = 1; t < tasks; t++) acc += partials[t][i * n4 + j];
                ref T dst = ref c[cOff + i * ldc + j];
                dst = zeroBeta ? alpha * acc : alpha * acc + beta * dst;
            }
        foreach (var part in partials) ArrayPool<T>.Shared.Return(part);
    }

    /// <summary>Rows [r0, r1) of the operand, columns [k0, k0 + len), into buf from off (row stride ld), zero up to lenPad.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Fill<T>(MatrixView<T> v, int r0, int r1, int k0, int len, int lenPad, T[] buf, int off, int ld) where T : unmanaged
    {
        for (int r = r0; r < r1; r++)
        {
            var dst = buf.AsSpan(off + r * ld, len);
            if (v.Rows is { } source) source.Row(r, k0, len, dst);
            else new ReadOnlySpan<T>(v.Data, checked((int)(v.Offset + r * v.RowStride + k0)), len).CopyTo(dst);
            buf.AsSpan(off + r * ld + len, lenPad - len).Clear();
        }
    }

    /// <summary>sums[r·ldSum + s] += Σ_p a[r·ld + p]·b[s·ld + p] for r, s &lt; 4 over p &lt; len (a multiple of the width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel4x4<T, TV, TOps>(T* a, T* b, int ld, int len, T* sums, int ldSum)
        where T : unmanaged, INumber<T> where TV : struct where TOps : struct, IVectorOps<TV, T>
    {
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero,
           c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        T* a1 = a + ld, a2 = a + 2 * ld, a3 = a + 3 * ld, b1 = b + ld, b2 = b + 2 * ld, b3 = b + 3 * ld;
        for (int p = 0; p < len; p += TOps.Width)
        {
            TV x0 = TOps.Load(a + p), x1 = TOps.Load(a1 + p), x2 = TOps.Load(a2 + p), x3 = TOps.Load(a3 + p);
            TV y = TOps.Load(b + p);
            c00 = TOps.Fma(x0, y, c00); c10 = TOps.Fma(x1, y, c10); c20 = TOps.Fma(x2, y, c20); c30 = TOps.Fma(x3, y, c30);
            y = TOps.Load(b1 + p);
            c01 = TOps.Fma(x0, y, c01); c11 = TOps.Fma(x1, y, c11); c21 = TOps.Fma(x2, y, c21); c31 = TOps.Fma(x3, y, c31);
            y = TOps.Load(b2 + p);
            c02 = TOps.Fma(x0, y, c02); c12 = TOps.Fma(x1, y, c12); c22 = TOps.Fma(x2, y, c22); c32 = TOps.Fma(x3, y, c32);
            y = TOps.Load(b3 + p);
            c03 = TOps.Fma(x0, y, c03); c13 = TOps.Fma(x1, y, c13); c23 = TOps.Fma(x2, y, c23); c33 = TOps.Fma(x3, y, c33);
        }
        TOps.AddSums4(c00, c01, c02, c03, sums);
        TOps.AddSums4(c10, c11, c12, c13, sums + ldSum);
        TOps.AddSums4(c20, c21, c22, c23, sums + 2 * ldSum);
        TOps.AddSums4(c30, c31, c32, c33, sums + 3 * ldSum);
    }
}
