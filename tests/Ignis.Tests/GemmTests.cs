using CsCheck;
using Ignis.Backends;
using Ignis.Backends.Cpu.Gemm;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// The CPU's matrix product through the backend contract against a double-precision reference: transposed operands
/// (strides only), register-tile and cache-block edges, broadcast batches, float64, and outputs that start as NaN.
/// (The packed GEMM's alpha/beta accumulation is exercised by the convolution fixtures, which use it.)
/// </summary>
public class GemmTests
{
    static readonly IBackend Cpu = BackendRegistry.Get(Device.Cpu);

    static T[] Random<T>(int n, int seed, Func<double, T> conv)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => conv(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>[1, rows, cols] view of row-major data, or of data stored transposed (element (r, c) at c·rows + r).</summary>
    static TensorView Matrix(Storage s, int rows, int cols, bool transposed) =>
        new(s, [1, rows, cols], transposed ? [0, 1, rows] : [0, cols, 1], 0);

    static void Check(int m, int n, int k, bool ta, bool tb, int seed)
    {
        var a = Random(m * k, seed, v => (float)v);
        var b = Random(k * n, seed + 1, v => (float)v);
        var av = Matrix(Cpu.FromHost(Device.Cpu, a, DType.Float32), m, k, ta);
        var bv = Matrix(Cpu.FromHost(Device.Cpu, b, DType.Float32), k, n, tb);
        var dst = TensorView.Contiguous(Cpu.AllocateUninitialized(Device.Cpu, DType.Float32, (long)m * n), [1, m, n]);
        Cpu.Fill(dst, double.NaN); // the product must overwrite, never read, its output
        Cpu.MatMul(av, bv, dst);
        var got = (float[])Cpu.ToHost(dst);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double want = 0;
                for (int p = 0; p < k; p++)
                    want += (double)a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                Assert.True(Math.Abs(want - got[i * n + j]) <= 1e-4 * (1 + Math.Abs(want)) * Math.Sqrt(k + 1),
                    $"m={m} n={n} k={k} ta={ta} tb={tb}: [{i},{j}] {got[i * n + j]} vs {want}");
            }
    }

    [Fact]
    public void All_transpose_cases()
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                Check(13, 37, 29, ta, tb, 7);
    }

    [Fact]
    public void Random_shapes_including_register_tile_edges()
    {
        Gen.Select(Gen.Int[1, 70], Gen.Int[1, 70], Gen.Int[0, 70], Gen.Bool, Gen.Bool).Sample((m, n, k, ta, tb) =>
        {
            Check(m, n, k, ta, tb, m * 10000 + n * 100 + k);
        }, iter: 150);
    }

    [Fact]
    public void Sizes_that_cross_every_cache_block()
    {
        Check(200, 2100, 300, false, false, 3);   // few rows: one parallel region, per-task packing
        Check(97, 50, 520, true, true, 4);
        Check(300, 270, 530, false, true, 5);     // many rows, one column panel, K blocks: all of B packed first, rows split (RowSplit)
        Check(16, 600, 4608, true, false, 6);     // conv on a 2×2 map after the transposition switch
        Check(1301, 96, 513, true, false, 8);     // more rows than one MC block on any cache size: equal row blocks
        Check(700, 4200, 40, false, false, 9);    // wider than one NC panel
        Check(64, 1000, 576, false, false, 10);   // a conv's forward: 12-row tiles leave 4 rows, the 6-row kernel runs them
        Check(70, 333, 3000, false, true, 11);    // a weight gradient: long K, transposed B, 10 rows left in the last tile
        Check(32, 27, 6000, false, true, 12);     // first conv's weight gradient: one column sliver, K split across threads
        Check(96, 16, 5000, false, true, 13);     // pointwise weight gradient: transposed to 16 × 96, three slivers, K split
        Check(576, 64, 1500, true, false, 14);    // a 3×3 layer's transposed weight gradient: narrow, rows split, one region
        Check(300, 196, 700, false, false, 15);   // 7×7 maps, batch 4: a last sliver of 4 columns, the one-vector edge kernel
        Check(290, 208, 300, true, false, 16);    // a last sliver exactly one 512-bit vector wide, 2 rows left in the last tile
    }

    /// <summary>
    /// The dot-product kernel for A·Bᵀ with both operands' rows along K (convolution weight gradients), called directly so
    /// that it runs (emulated where 512-bit vectors are not hardware) on every machine: sizes off the 4×4 block and the
    /// vector width, K split across threads and into chunks, beta, stored and virtual rows, float and double.
    /// </summary>
    [Theory]
    [InlineData(64, 147, 12544, 0.0)]
    [InlineData(5, 7, 3001, 0.5)]
    [InlineData(13, 2, 77, -1.0)]
    [InlineData(1, 1, 1, 0.0)]
    public void Dot_kernel_matches_reference(int m, int n, int k, double beta)
    {
        var a = Random(m * k, 51, v => (float)v);
        var b = Random(n * k, 52, v => (float)v);
        var c0 = Random(m * n, 53, v => (float)v);
        var got = (float[])c0.Clone();
        // B's rows through a row source (as a convolution's column matrix is), A stored with a row stride wider than K.
        var padded = new float[m * (k + 3)];
        for (int i = 0; i < m; i++) Array.Copy(a, i * k, padded, i * (k + 3) + 2, k);
        DotGemm.Run(m, n, k, 2f, new MatrixView<float>(padded, 2, k + 3, 1), MatrixView<float>.Virtual(new StoredRows(b, k)), (float)beta, got, 0, n);
        var gotD = Array.ConvertAll(c0, v => (double)v);
        DotGemm.Run(m, n, k, 2.0, new MatrixView<double>(Array.ConvertAll(a, v => (double)v), 0, k, 1),
            new MatrixView<double>(Array.ConvertAll(b, v => (double)v), 0, k, 1), beta, gotD, 0, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double want = beta * c0[i * n + j];
                for (int p = 0; p < k; p++) want += 2.0 * a[i * k + p] * b[j * k + p];
                Assert.True(Math.Abs(want - got[i * n + j]) <= 1e-4 * (1 + Math.Abs(want)) * Math.Sqrt(k), $"float {m}×{n}×{k} [{i},{j}] {got[i * n + j]} vs {want}");
                Assert.True(Math.Abs(want - gotD[i * n + j]) <= 1e-9 * (1 + Math.Abs(want)) * Math.Sqrt(k), $"double {m}×{n}×{k} [{i},{j}] {gotD[i * n + j]} vs {want}");
            }
    }

    /// <summary>The K-split form accumulates into C with beta (task 0) and adds the other tasks' copies after.</summary>
    [Fact]
    public void Split_K_accumulates_with_beta()
    {
        foreach (var (m, n, k) in new[] { (32, 27, 6000), (16, 96, 5000) })
        {
            var a = Random(m * k, 41, v => (float)v);
            var b = Random(k * n, 42, v => (float)v);
            var c0 = Random(m * n, 43, v => (float)v);
            var got = (float[])c0.Clone();
            PackedGemm.Run(m, n, k, 0.5f, new MatrixView<float>(a, 0, k, 1), new MatrixView<float>(b, 0, n, 1), -2f, got, 0, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = -2.0 * c0[i * n + j];
                    for (int p = 0; p < k; p++) want += 0.5 * a[i * k + p] * b[p * n + j];
                    Assert.True(Math.Abs(want - got[i * n + j]) <= 1e-4 * (1 + Math.Abs(want)) * Math.Sqrt(k), $"{m}×{n}×{k} [{i},{j}] {got[i * n + j]} vs {want}");
                }
        }
    }

    [Fact]
    public void Few_rows_or_a_short_K_stream_B_in_place()
    {
        // A Linear layer at batch ≤ 8: B read along its contiguous axis, never packed, in all transpose cases.
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                Check(4, 700, 200, ta, tb, 21);
                Check(1, 3000, 40, ta, tb, 22);
                Check(8, 33, 3000, ta, tb, 23);
                Check(300, 700, 4, ta, tb, 24);   // short K: C written row by row from scaled rows of B
                Check(100, 1000, 8, ta, tb, 25);
            }
        // alpha and beta (addmm): C = 0.5·A·B − 2·C, against the packed path's result for the same product.
        foreach (var (m, k, tb) in new[] { (3, 90, false), (5, 90, true), (200, 3, false) })
        {
            int n = 1500;
            var a = Random(m * k, 31, v => (float)v);
            var b = Random(k * n, 32, v => (float)v);
            var c0 = Random(m * n, 33, v => (float)v);
            var bv = tb ? new MatrixView<float>(Transpose(b, k, n), 0, 1, k) : new MatrixView<float>(b, 0, n, 1);
            var got = (float[])c0.Clone();
            PackedGemm.Run(m, n, k, 0.5f, new MatrixView<float>(a, 0, k, 1), bv, -2f, got, 0, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = -2.0 * c0[i * n + j];
                    for (int p = 0; p < k; p++) want += 0.5 * a[i * k + p] * b[p * n + j];
                    Assert.True(Math.Abs(want - got[i * n + j]) <= 1e-4 * (1 + Math.Abs(want)), $"m={m} k={k} tb={tb} [{i},{j}] {got[i * n + j]} vs {want}");
                }
        }
    }

    /// <summary>Rows of a stored row-major matrix handed out on demand, as the convolution's im2col source does.</summary>
    sealed class StoredRows(float[] data, int cols) : IRowSource<float>
    {
        public void Row(int r, int c0, int count, Span<float> dst) => data.AsSpan(r * cols + c0, count).CopyTo(dst);
    }

    [Fact]
    public void Virtual_operands_in_both_orientations_match_stored_ones()
    {
        // Shapes that take every path: the small-M region, shared packed B, the N < 32 transposition swap, edges.
        Gen.Select(Gen.Int[1, 300], Gen.Int[1, 90], Gen.Int[1, 300], Gen.Int[0, 15]).Sample((m, n, k, mode) =>
        {
            var a = Random(m * k, m + n, v => (float)v);
            var b = Random(k * n, k + 3, v => (float)v);
            // Stored: A [m×k] and B [k×n], row-major or as transposed storage; virtual: from row sources of either.
            bool ta = (mode & 1) != 0, tb = (mode & 2) != 0, va = (mode & 4) != 0, vb = (mode & 8) != 0;
            float[] aStore = ta ? Transpose(a, m, k) : a, bStore = tb ? Transpose(b, k, n) : b;
            MatrixView<float> av = va ? (ta ? MatrixView<float>.Virtual(new StoredRows(aStore, m)).Transposed() : MatrixView<float>.Virtual(new StoredRows(aStore, k)))
                : ta ? new(aStore, 0, 1, m) : new(aStore, 0, k, 1);
            MatrixView<float> bv = vb ? (tb ? MatrixView<float>.Virtual(new StoredRows(bStore, k)).Transposed() : MatrixView<float>.Virtual(new StoredRows(bStore, n)))
                : tb ? new(bStore, 0, 1, k) : new(bStore, 0, n, 1);
            var c = new float[m * n];
            PackedGemm.Run(m, n, k, 1f, av, bv, 0f, c, 0, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = 0;
                    for (int p = 0; p < k; p++) want += (double)a[i * k + p] * b[p * n + j];
                    Assert.True(Math.Abs(want - c[i * n + j]) <= 1e-4 * (1 + Math.Abs(want)) * Math.Sqrt(k + 1),
                        $"m={m} n={n} k={k} mode={mode}: [{i},{j}] {c[i * n + j]} vs {want}");
                }
        }, iter: 60);
    }

    static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    [Fact]
    public void Float64_and_broadcast_batches_match_reference()
    {
        int m = 17, n = 23, k = 300;
        var a = Random(m * k, 1, v => v);
        var b = Random(k * n, 2, v => v);
        var av = new TensorView(Cpu.FromHost(Device.Cpu, a, DType.Float64), [3, m, k], [0, k, 1], 0); // batch stride 0
        var bv = new TensorView(Cpu.FromHost(Device.Cpu, b, DType.Float64), [3, k, n], [0, 1, k], 0); // transposed storage
        var dst = TensorView.Contiguous(Cpu.Allocate(Device.Cpu, DType.Float64, 3L * m * n), [3, m, n]);
        Cpu.MatMul(av, bv, dst);
        var got = (double[])Cpu.ToHost(dst);
        for (int bi = 0; bi < 3; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = 0;
                    for (int p = 0; p < k; p++) want += a[i * k + p] * b[j * k + p];
                    Assert.Equal(want, got[(bi * m + i) * n + j], 1e-12);
                }
    }
}
