using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// C = alpha·A·B + beta·C for a handful of rows (a Linear layer at batch 4: alexnet's fc6 is 4 × 9216 · 9216 × 4096),
/// where every element of B is used only M times: packing B (a 151 MB weight written into panels and read back) would
/// triple the memory traffic of a product that is bound by reading B once. B is streamed in place instead — one
/// contiguous row of Bᵀ (a Linear weight row) dotted with each row of A, or one row of B added into M accumulating
/// rows of C — and work is split across threads by columns of C.
/// </summary>
internal static class StreamingGemm
{
    /// <summary>Most rows of A this path takes.</summary>
    public const int MaxRows = 8;

    /// <summary>Whether B is read along a contiguous axis (row-major, or a transposed row-major matrix).</summary>
    public static bool Applies<T>(int m, int n, int k, MatrixView<T> a, MatrixView<T> b) =>
        m <= MaxRows && (long)n * k >= 1 << 16 && a.Rows is null && b.Rows is null && (b.ColStride == 1 || b.RowStride == 1);

    /// <summary>
    /// A short K with row-major B (a Linear weight's gradient at batch ≤ 8, Gᵀ·X: 4096 × 4 · 4 × 25088 for vgg16's
    /// fc6): C is written once, row by row, as a sum of K scaled rows of B that stay in L2, rather than through
    /// register tiles that each touch 12 rows of a 411 MB output.
    /// </summary>
    public static bool AppliesShortK<T>(int m, int n, int k, MatrixView<T> a, MatrixView<T> b) =>
        k <= MaxRows && n >= 256 && (long)m * n >= 1 << 16 && a.Rows is null && b.Rows is null && b.ColStride == 1;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunShortK<T>(int m, int n, int k, T alpha, MatrixView<T> a, MatrixView<T> b, T beta, T[] c, long cOff, long ldc)
        where T : unmanaged, INumber<T>
    {
        int threads = IntraOpPool.Threads;
        int tasks = (long)m * n * k < 1 << 18 || threads == 1 ? 1 : Math.Min(threads * 4, m);
        Each(tasks, t =>
        {
            const int Chunk = 2048;
            Span<T> scale = stackalloc T[MaxRows];
            for (int i = t * m / tasks, i1 = (t + 1) * m / tasks; i < i1; i++)
            {
                for (int p = 0; p < k; p++) scale[p] = alpha * a[i, p];
                for (int js = 0; js < n; js += Chunk)
                {
                    int w = Math.Min(Chunk, n - js);
                    var dst = new Span<T>(c, checked((int)(cOff + i * ldc + js)), w);
                    if (beta == T.Zero) dst.Clear();
                    else TensorPrimitives.Multiply(dst, beta, dst);
                    for (int p = 0; p < k; p++)
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(b.Data, checked((int)(b.Offset + p * b.RowStride + js)), w), scale[p], dst, dst);
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(int m, int n, int k, T alpha, MatrixView<T> a, MatrixView<T> b, T beta, T[] c, long cOff, long ldc)
        where T : unmanaged, INumber<T>
    {
        // A as m contiguous rows (it is small: m·k elements), whatever its strides.
        var ac = ArrayPool<T>.Shared.Rent(m * k);
        try
        {
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) ac[i * k + p] = a[i, p];
            int threads = IntraOpPool.Threads;
            int tasks = (long)m * n * k < 1 << 18 || threads == 1 ? 1 : Math.Min(threads * 2, (n + 63) / 64);
            if (b.ColStride == 1) Each(tasks, t => AxpyRows(m, n, k, alpha, ac, b, beta, c, cOff, ldc, t * n / tasks, (t + 1) * n / tasks));
            else Each(tasks, t => DotColumns(m, k, alpha, ac, b, beta, c, cOff, ldc, t * n / tasks, (t + 1) * n / tasks));
        }
        finally { ArrayPool<T>.Shared.Return(ac); }
    }

    static void Each(int tasks, Action<int> body)
    {
        if (tasks == 1) body(0);
        else IntraOpPool.For(tasks, body);
    }

    /// <summary>Bᵀ stored row-major (B[p, j] at j·ColStride + p): C[i, j] = alpha·(A_i · Bᵀ_j) + beta·C[i, j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void DotColumns<T>(int m, int k, T alpha, T[] ac, MatrixView<T> b, T beta, T[] c, long cOff, long ldc, int j0, int j1)
        where T : unmanaged, INumber<T>
    {
        Span<T> dots = stackalloc T[MaxRows];
        for (int j = j0; j < j1; j++)
        {
            // One column of B (k contiguous elements, 100 KB for vgg16's fc6) read once against every row of A.
            MultiDot(m, k, ac, new ReadOnlySpan<T>(b.Data, checked((int)(b.Offset + j * b.ColStride)), k), dots);
            for (int i = 0; i < m; i++)
            {
                T v = alpha * dots[i];
                ref T dst = ref c[cOff + i * ldc + j];
                dst = beta == T.Zero ? v : v + beta * dst;
            }
        }
    }

    /// <summary>dots[i] = A_i · col for the m rows of A in one pass over col (up to eight vector accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MultiDot<T>(int m, int k, T[] ac, ReadOnlySpan<T> col, Span<T> dots) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count, p = 0;
        Span<Vector<T>> acc = stackalloc Vector<T>[MaxRows];
        acc.Clear();
        var a = new ReadOnlySpan<T>(ac, 0, m * k);
        for (; p + vw <= k; p += vw)
        {
            var w = new Vector<T>(col[p..]);
            for (int i = 0; i < m; i++) acc[i] += new Vector<T>(a[(i * k + p)..]) * w;
        }
        for (int i = 0; i < m; i++)
        {
            T sum = Vector.Sum(acc[i]);
            for (int q = p; q < k; q++) sum += a[i * k + q] * col[q];
            dots[i] = sum;
        }
    }

    /// <summary>Row-major B: C[i, j0..j1] = alpha·Σ_p A[i, p]·B[p, j0..j1] + beta·C, a column chunk at a time in L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AxpyRows<T>(int m, int n, int k, T alpha, T[] ac, MatrixView<T> b, T beta, T[] c, long cOff, long ldc, int j0, int j1)
        where T : unmanaged, INumber<T>
    {
        // Wide chunks: each row of B is read as one long contiguous run (the prefetcher follows it), and the m
        // accumulating rows (m × 4096 elements) stay in L2.
        const int Chunk = 4096;
        var acc = ArrayPool<T>.Shared.Rent(m * Chunk);
        try
        {
            for (int js = j0; js < j1; js += Chunk)
            {
                int w = Math.Min(Chunk, j1 - js);
                Array.Clear(acc, 0, m * Chunk);
                for (int p = 0; p < k; p++)
                {
                    var row = new ReadOnlySpan<T>(b.Data, checked((int)(b.Offset + p * b.RowStride + js)), w);
                    for (int i = 0; i < m; i++)
                    {
                        T s = ac[i * k + p];
                        var dst = new Span<T>(acc, i * Chunk, w);
                        TensorPrimitives.MultiplyAdd(row, s, dst, dst);
                    }
                }
                for (int i = 0; i < m; i++)
                {
                    var src = new ReadOnlySpan<T>(acc, i * Chunk, w);
                    var dst = new Span<T>(c, checked((int)(cOff + i * ldc + js)), w);
                    if (beta == T.Zero) TensorPrimitives.Multiply(src, alpha, dst);
                    else
                    {
                        TensorPrimitives.Multiply(dst, beta, dst);
                        TensorPrimitives.MultiplyAdd(src, alpha, dst, dst);
                    }
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(acc); }
    }
}
