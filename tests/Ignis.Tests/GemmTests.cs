using CsCheck;
using Ignis.Backends.Cpu.Gemm;
using Xunit;

namespace Ignis.Tests;

/// <summary>The packed GEMM against its scalar reference: transposes via strides, alpha/beta, block edges.</summary>
public class GemmTests
{
    static T[] Random<T>(int n, int seed, Func<double, T> conv)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => conv(r.NextDouble() * 2 - 1)).ToArray();
    }

    static void Check(int m, int n, int k, bool ta, bool tb, float alpha, float beta, int seed)
    {
        var a = Random(m * k, seed, v => (float)v);
        var b = Random(k * n, seed + 1, v => (float)v);
        var c0 = Random(m * n, seed + 2, v => (float)v);
        // Stored transposed when ta/tb: element (r, c) of A lives at c*m + r.
        var av = ta ? new MatrixView<float>(a, 0, 1, m) : new MatrixView<float>(a, 0, k, 1);
        var bv = tb ? new MatrixView<float>(b, 0, 1, k) : new MatrixView<float>(b, 0, n, 1);
        var want = (float[])c0.Clone();
        var got = (float[])c0.Clone();
        PackedGemm.Scalar(m, n, k, alpha, av, bv, beta, want, 0, n);
        PackedGemm.Run(m, n, k, alpha, av, bv, beta, got, 0, n);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * (1 + Math.Abs(want[i])) * Math.Sqrt(k + 1),
                $"m={m} n={n} k={k} ta={ta} tb={tb} alpha={alpha} beta={beta}: [{i}] {got[i]} vs {want[i]}");
    }

    [Fact]
    public void All_transpose_cases_with_alpha_and_beta()
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-2f, 0.25f) })
                    Check(13, 37, 29, ta, tb, alpha, beta, 7);
    }

    [Fact]
    public void Random_shapes_including_register_tile_edges()
    {
        Gen.Select(Gen.Int[1, 70], Gen.Int[1, 70], Gen.Int[0, 70], Gen.Bool, Gen.Bool).Sample((m, n, k, ta, tb) =>
        {
            Check(m, n, k, ta, tb, 1f, 0f, m * 10000 + n * 100 + k);
        }, iter: 150);
    }

    [Fact]
    public void Sizes_that_cross_every_cache_block()
    {
        Check(200, 2100, 300, false, false, 1f, 0f, 3);   // few rows: one parallel region, per-task packing
        Check(97, 50, 520, true, true, 1f, 1f, 4);
        Check(300, 270, 530, false, true, 0.5f, 0.5f, 5); // many rows: shared packed B per K block
        Check(16, 600, 4608, true, false, 1f, 0f, 6);     // conv on a 2×2 map after the transposition switch
    }

    [Fact]
    public void Float64_matches_reference()
    {
        int m = 17, n = 23, k = 300;
        var a = Random(m * k, 1, v => v);
        var b = Random(k * n, 2, v => v);
        var want = new double[m * n];
        var got = new double[m * n];
        PackedGemm.Scalar(m, n, k, 1.0, new MatrixView<double>(a, 0, k, 1), new MatrixView<double>(b, 0, 1, k), 0.0, want, 0, n);
        PackedGemm.Run(m, n, k, 1.0, new MatrixView<double>(a, 0, k, 1), new MatrixView<double>(b, 0, 1, k), 0.0, got, 0, n);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-12);
    }

    [Fact]
    public void Beta_zero_never_reads_nan_from_the_output()
    {
        var c = Enumerable.Repeat(float.NaN, 6).ToArray();
        var one = new float[] { 1, 1, 1, 1, 1, 1 };
        PackedGemm.Run(2, 3, 2, 1f, new MatrixView<float>(one, 0, 2, 1), new MatrixView<float>(one, 0, 3, 1), 0f, c, 0, 3);
        Assert.All(c, v => Assert.Equal(2f, v));
    }
}
