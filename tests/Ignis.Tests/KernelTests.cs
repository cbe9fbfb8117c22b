using CsCheck;
using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// Vectorised kernels against a scalar reference at every length 0–256, contiguous and strided. CI runs
/// this class again with AVX-512, AVX2 and all hardware intrinsics disabled so the fallbacks stay correct.
/// </summary>
public class KernelTests
{
    static readonly (string Name, Func<Tensor, Tensor> Op, Func<double, double> Ref, double Tol)[] Unary =
    [
        ("exp", t => t.Exp(), Math.Exp, 2e-6),
        ("tanh", t => t.Tanh(), Math.Tanh, 2e-6),
        ("sigmoid", t => t.Sigmoid(), x => 1 / (1 + Math.Exp(-x)), 2e-6),
        ("sin", t => t.Sin(), Math.Sin, 2e-6),
        ("relu", t => t.Relu(), x => Math.Max(x, 0), 0),
        ("abs", t => t.Abs(), Math.Abs, 0),
        ("neg", t => -t, x => -x, 0),
        ("square", t => t.Pow(2), x => x * x, 1e-6),
        ("clamp", t => t.Clamp(-0.5, 0.5), x => Math.Clamp(x, -0.5, 0.5), 0),
    ];

    [Fact]
    public void Unary_kernels_match_scalar_reference_at_every_length()
    {
        var rng = new Random(1);
        for (int n = 0; n <= 256; n++)
        {
            var data = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
            var t = Torch.Tensor(data);
            var strided = Torch.Tensor(data.SelectMany(v => new[] { v, 99f }).ToArray()).View(n, 2)[.., 0];
            foreach (var (name, op, reference, tol) in Unary)
                foreach (var input in new[] { t, strided })
                {
                    var got = op(input).ToArray<float>();
                    for (int i = 0; i < n; i++)
                    {
                        double want = (float)reference(data[i]);
                        Assert.True(Math.Abs(got[i] - want) <= tol * Math.Max(1, Math.Abs(want)), $"{name} n={n} i={i}: {got[i]} vs {want}");
                    }
                }
        }
    }

    [Fact]
    public void Binary_kernels_match_scalar_reference_for_every_broadcast_form()
    {
        var rng = new Random(2);
        for (int n = 0; n <= 256; n += n < 40 ? 1 : 17)
        {
            var a = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() + 0.5f).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() + 0.5f).ToArray();
            var ta = Torch.Tensor(a);
            var tb = Torch.Tensor(b);
            var s = Torch.Scalar(1.25);
            foreach (var (x, y, fx, fy) in new (Tensor, Tensor, Func<int, float>, Func<int, float>)[]
                     {
                         (ta, tb, i => a[i], i => b[i]),
                         (ta, s, i => a[i], _ => 1.25f),
                         (s, tb, _ => 1.25f, i => b[i]),
                     })
            {
                var add = (x + y).ToArray<float>();
                var sub = (x - y).ToArray<float>();
                var mul = (x * y).ToArray<float>();
                var div = (x / y).ToArray<float>();
                var max = x.Maximum(y).ToArray<float>();
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(fx(i) + fy(i), add[i]);
                    Assert.Equal(fx(i) - fy(i), sub[i]);
                    Assert.Equal(fx(i) * fy(i), mul[i]);
                    Assert.Equal(fx(i) / fy(i), div[i]);
                    Assert.Equal(Math.Max(fx(i), fy(i)), max[i]);
                }
            }
        }
    }

    [Fact]
    public void Sum_of_random_vectors_agrees_with_double_accumulation()
    {
        Gen.Float[-100f, 100f].Array[0, 3000].Sample(data =>
        {
            double want = data.Sum(v => (double)v);
            double got = Torch.Tensor(data).Sum().Item<float>();
            double scale = data.Sum(v => Math.Abs((double)v)) + 1;
            return Math.Abs(got - want) <= 1e-5 * scale;
        }, iter: 200);
    }

    [Fact]
    public void Matmul_matches_naive_triple_loop()
    {
        Gen.Select(Gen.Int[1, 20], Gen.Int[1, 20], Gen.Int[1, 20]).Sample((m, k, n) =>
        {
            var rng = new Random(m * 400 + k * 20 + n);
            var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var c = Torch.Tensor(a, m, k).Mm(Torch.Tensor(b, k, n)).ToArray<float>();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                    if (Math.Abs(c[i * n + j] - s) > 1e-5) return false;
                }
            return true;
        }, iter: 100);
    }

    [Fact]
    public void Large_tensors_take_the_parallel_path_and_stay_correct()
    {
        var x = Torch.Arange(300000.0).Reshape(300, 1000);
        var y = (x * 2 + 1).Sum(1);
        var expect = Enumerable.Range(0, 300).Select(r => (float)(2.0 * (r * 1000.0 * 1000 + 999.0 * 1000 / 2) + 1000)).ToArray();
        var got = y.ToArray<float>();
        for (int i = 0; i < 300; i++) Assert.Equal(expect[i], got[i], expect[i] * 1e-6f);
        Assert.Equal(x.T.Contiguous().T.ToArray<float>(), x.ToArray<float>());
    }
}

/// <summary>Matrix-product gradients keep a column-major operand's layout (PyTorch's mm_mat1/mm_mat2_backward).</summary>
public class MmGradientLayoutTests
{
    [Fact]
    public void Linear_weight_gradient_is_row_major_and_correct()
    {
        Torch.ManualSeed(5);
        var w = Torch.Randn([5, 7], DType.Float64, requiresGrad: true);
        var m = Torch.Randn([7, 3], DType.Float64, requiresGrad: true); // used as mᵀ: a column-major first operand
        var x = Torch.Randn([3, 7], DType.Float64);
        var g = Torch.Randn([3, 5], DType.Float64);
        x.MatMul(w.T).Backward(g);
        m.T.MatMul(w.T).Backward(g);
        Assert.True(w.Grad!.IsContiguous);
        Assert.True(m.Grad!.IsContiguous);
        // d(x·wᵀ)/dw = gᵀ·x twice (both products use w.T), d(mᵀ·wᵀ)/dm = (g·w)ᵀ
        Fixture.AssertClose(g.T.MatMul(x).Add(g.T.MatMul(m.Detach().T)), w.Grad!, "grad w", 1e-12, 1e-12);
        Fixture.AssertClose(g.MatMul(w.Detach()).T, m.Grad!, "grad m", 1e-12, 1e-12);
    }

    [Fact]
    public void A_leaf_adopting_a_gradient_through_a_view_shares_it_with_nothing()
    {
        Torch.ManualSeed(6);
        var w = Torch.Randn([5, 4], DType.Float64, requiresGrad: true);
        var x = Torch.Randn([3, 4], DType.Float64);
        // retain_grad on the view: W's gradient is then a view of the retained one and must be copied.
        var a = w.T;
        a.RetainGrad();
        x.MatMul(a).Sum().Backward();
        var aGrad = a.Grad!.Clone();
        w.Grad!.Add_(1.0);
        Fixture.AssertClose(aGrad, a.Grad!, "retained grad after W.grad += 1", 0, 0);
        // Two products through one W.T (a summed gradient), two backward passes: accumulates, nothing aliased.
        w.Grad = null;
        for (int pass = 0; pass < 2; pass++)
        {
            var t = w.T;
            x.MatMul(t).Sum().Add(x.Mul(2.0).MatMul(t).Sum()).Backward();
        }
        var expected = Torch.Ones([3, 5], DType.Float64).T.MatMul(x).Mul(6.0);
        Fixture.AssertClose(expected, w.Grad!, "accumulated grad", 1e-12, 1e-12);
    }
}

/// <summary>hardtanh's fused gradient against ATen's rule, (min &lt; x &lt; max) · g, at and next to the bounds.</summary>
public class HardtanhGradientTests
{
    [Theory]
    [InlineData("float32", -1.0, 1.0)]
    [InlineData("float64", -1.0, 1.0)]
    [InlineData("float32", 0.0, 6.0)]   // relu6
    [InlineData("float64", 0.0, 6.0)]
    [InlineData("float16", 0.0, 6.0)]
    [InlineData("float32", 0.1, 0.7)]   // bounds that float32 rounds
    public void Gradient_is_zero_at_and_beyond_the_bounds(string dtype, double min, double max)
    {
        var dt = DTypeInfo.Parse(dtype);
        double[] values = [min, max, Math.BitIncrement(min), Math.BitDecrement(max), (double)MathF.BitIncrement((float)min),
            (double)MathF.BitDecrement((float)max), (min + max) / 2, min - 1, max + 1, double.NaN, 0.1f, 0.7f, 0, 6];
        var x = Torch.Tensor(values).To(dt).RequiresGrad_();
        var g = Torch.RandnLike(x.Detach()).Add(2.0);
        Ignis.Nn.Functional.Hardtanh(x, min, max).Backward(g);
        var xd = x.Detach();
        var want = g.Mul(xd.Gt(min).LogicalAnd(xd.Lt(max)).To(g.DType));
        Assert.Equal(want.To(DType.Float64).ToArray<double>(), x.Grad!.To(DType.Float64).ToArray<double>());
    }
}

/// <summary>The direct depthwise kernels against the im2col+GEMM path, on planes wider than a vector.</summary>
public class DepthwiseCrossCheckTests
{
    [Theory]
    [InlineData(1, 1, 1, 3)]
    [InlineData(2, 1, 1, 3)]
    [InlineData(2, 2, 2, 5)]
    [InlineData(3, 0, 1, 3)]
    public void Depthwise_matches_per_channel_convolution(int stride, int pad, int dilation, int k)
    {
        Torch.ManualSeed(stride * 100 + pad * 10 + dilation);
        var x = Torch.Randn([2, 3, 37, 41], DType.Float64, requiresGrad: true);
        var w = Torch.Randn([3, 1, k, k], DType.Float64, requiresGrad: true);
        var gy = Torch.Conv2d(x.Detach(), w.Detach(), null, [stride], [pad], [dilation], 3);
        var upstream = Torch.RandnLike(gy);

        var y = Torch.Conv2d(x, w, null, [stride], [pad], [dilation], groups: 3);
        y.Backward(upstream);

        var xr = x.Detach().RequiresGrad_();
        var wr = w.Detach().RequiresGrad_();
        var parts = Enumerable.Range(0, 3).Select(c =>
            Torch.Conv2d(xr.Narrow(1, c, 1), wr.Narrow(0, c, 1), null, [stride], [pad], [dilation])).ToArray();
        var yr = Torch.Cat(parts, 1);
        yr.Backward(upstream);

        Fixture.AssertClose(yr, y, "forward", 1e-10, 1e-10);
        Fixture.AssertClose(xr.Grad!, x.Grad!, "grad input", 1e-10, 1e-10);
        Fixture.AssertClose(wr.Grad!, w.Grad!, "grad weight", 1e-10, 1e-10);
    }

    /// <summary>
    /// float32 through the 3×3 register kernels and the generic one: rows a whole number of vectors (16, 32), rows with a
    /// remainder (the last vector overlaps its neighbour), rows narrower than a vector (7), strides 1 and 2, 5×5.
    /// </summary>
    [Theory]
    [InlineData(16, 3, 1, 1)]
    [InlineData(28, 3, 1, 1)]
    [InlineData(7, 3, 1, 1)]
    [InlineData(5, 3, 1, 1)]
    [InlineData(56, 3, 2, 1)]
    [InlineData(13, 3, 2, 1)]
    [InlineData(28, 5, 1, 2)]
    [InlineData(14, 5, 2, 2)]
    public void Depthwise_float32_matches_per_channel_convolution(int size, int k, int stride, int pad)
    {
        Torch.ManualSeed(size * 10 + k + stride);
        var x = Torch.Randn([2, 5, size, size + 1], requiresGrad: true);
        var w = Torch.Randn([5, 1, k, k], requiresGrad: true);
        var b = Torch.Randn([5], requiresGrad: true);
        var y = Torch.Conv2d(x, w, b, [stride], [pad], null, groups: 5);
        var upstream = Torch.RandnLike(y);
        y.Backward(upstream);

        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var w64 = w.Detach().To(DType.Float64).RequiresGrad_();
        var parts = Enumerable.Range(0, 5).Select(c =>
            Torch.Conv2d(x64.Narrow(1, c, 1), w64.Narrow(0, c, 1), null, [stride], [pad])).ToArray();
        var yr = Torch.Cat(parts, 1).Add(b.Detach().To(DType.Float64).Reshape(1, 5, 1, 1));
        yr.Backward(upstream.To(DType.Float64));

        Fixture.AssertClose(yr, y.To(DType.Float64), "forward", 1e-4, 1e-4);
        Fixture.AssertClose(x64.Grad!, x.Grad!.To(DType.Float64), "grad input", 1e-4, 1e-4);
        Fixture.AssertClose(w64.Grad!, w.Grad!.To(DType.Float64), "grad weight", 1e-3, 1e-4);
    }

    /// <summary>
    /// The 3×3 stride-2 layers over even inputs take their own input-gradient kernel: output rows exactly one vector (16),
    /// with a remainder (the last vector overlaps: 18, 56, 22 wide), of two vectors or more (32, 48), and narrower than a
    /// vector (14: the general gather). Written into NaNs, so a skipped element shows; against float64 per channel.
    /// </summary>
    [Theory]
    [InlineData(16, 16)]
    [InlineData(56, 56)]
    [InlineData(18, 34)]
    [InlineData(20, 22)]
    [InlineData(32, 48)]
    [InlineData(14, 14)]
    public void Depthwise_halving_input_gradient_matches_per_channel_convolution(int h, int w)
    {
        Torch.ManualSeed(h * 100 + w);
        var x = Torch.Randn([3, 4, h, w], requiresGrad: true);
        var wt = Torch.Randn([4, 1, 3, 3]);
        var y = Torch.Conv2d(x, wt, null, [2], [1], null, groups: 4);
        var upstream = Torch.RandnLike(y);
        var gx = Torch.Full([3, 4, h, w], double.NaN);
        x.Backend.Conv2dBackwardInput(upstream, wt, new Ignis.Backends.Conv2dGeometry(2, 2, 1, 1, 1, 1, 4), gx);

        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var w64 = wt.To(DType.Float64);
        var yr = Torch.Cat(Enumerable.Range(0, 4).Select(c =>
            Torch.Conv2d(x64.Narrow(1, c, 1), w64.Narrow(0, c, 1), null, [2], [1])).ToArray(), 1);
        yr.Backward(upstream.To(DType.Float64));
        Fixture.AssertClose(x64.Grad!, gx.To(DType.Float64), "grad input", 1e-4, 1e-4);
    }

    /// <summary>
    /// An Inf in a row's last input column reaches only the taps that read it: the weight gradient's vector kernels read
    /// past a row's last output (where kw = 0 meets that column) and must mask the product, not only dy (Inf·0 = NaN).
    /// </summary>
    [Theory]
    [InlineData(28)]
    [InlineData(32)]
    [InlineData(7)]
    public void Depthwise_weight_gradient_keeps_an_edge_Inf_to_the_taps_that_read_it(int width)
    {
        var xs = new float[1 * 2 * 6 * width];
        for (int i = 0; i < xs.Length; i++) xs[i] = 0.25f * (i % 7);
        for (int c = 0; c < 2; c++)
            for (int h = 0; h < 6; h++) xs[(c * 6 + h) * width + width - 1] = float.PositiveInfinity;
        var x = Torch.Tensor(xs).Reshape(1, 2, 6, width);
        var w = Torch.Ones([2, 1, 3, 3], requiresGrad: true);
        Torch.Conv2d(x, w, null, [1], [1], null, groups: 2).Sum().Backward();
        var gw = w.Grad!.ToArray<float>();
        for (int c = 0; c < 2; c++)
            for (int kh = 0; kh < 3; kh++)
            {
                // kw = 0 reads input column ow − 1 ≤ width − 2: never the Inf column.
                Assert.True(float.IsFinite(gw[(c * 3 + kh) * 3]), $"dw[{c},0,{kh},0] = {gw[(c * 3 + kh) * 3]}");
                Assert.Equal(float.PositiveInfinity, gw[(c * 3 + kh) * 3 + 1]);
            }
    }
}

/// <summary>The per-image 1×1 convolution path (maps larger than the batching limit) against an explicit matmul.</summary>
public class PointwiseCrossCheckTests
{
    /// <summary>
    /// Per image on large maps (40×41), per image on 14×14 and up (the input is each image's column matrix), the weight
    /// gradient batched for a narrowing layer whose batch·H·W reaches 1024 (30×30, 8→3), and batched on small maps (7×7).
    /// </summary>
    [Theory]
    [InlineData(2, 5, 3, 40, 41)]
    [InlineData(2, 3, 8, 30, 30)]
    [InlineData(2, 8, 3, 30, 30)]
    [InlineData(3, 6, 4, 7, 7)]
    public void Pointwise_convolution_matches_matmul(int n, int cin, int cout, int h, int w)
    {
        Torch.ManualSeed(11 + cin);
        var x = Torch.Randn([n, cin, h, w], DType.Float64, requiresGrad: true);
        var wt = Torch.Randn([cout, cin, 1, 1], DType.Float64, requiresGrad: true);
        var upstream = Torch.Randn([n, cout, h, w], DType.Float64);
        Torch.Conv2d(x, wt).Backward(upstream);

        var xr = x.Detach().RequiresGrad_();
        var wr = wt.Detach().RequiresGrad_();
        var y = wr.Reshape(cout, cin).MatMul(xr.Reshape(n, cin, h * w)).Reshape(n, cout, h, w);
        y.Backward(upstream);

        Fixture.AssertClose(y, Torch.Conv2d(x.Detach(), wt.Detach()), "forward", 1e-12, 1e-12);
        Fixture.AssertClose(xr.Grad!, x.Grad!, "grad input", 1e-12, 1e-12);
        Fixture.AssertClose(wr.Grad!, wt.Grad!, "grad weight", 1e-12, 1e-12);
    }
}

/// <summary>SiLU's gradient kernel (σ a block at a time, then a vector pass) against the float64 formula.</summary>
public class SiluGradientTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(4099)]
    public void Silu_gradient_matches_the_float64_formula(int n)
    {
        Torch.ManualSeed(n);
        var x = Torch.Randn([n]).Mul(6).RequiresGrad_();
        var g = Torch.Randn([n]);
        Ignis.Nn.Functional.Silu(x).Backward(g);
        var xd = x.Detach().To(DType.Float64);
        var s = xd.Sigmoid();
        var want = g.To(DType.Float64).Mul(s.Mul(xd.Mul(s.Neg().Add(1)).Add(1)));
        Fixture.AssertClose(want, x.Grad!.To(DType.Float64), "silu grad", 1e-5, 1e-6);
    }
}

/// <summary>
/// Max pooling's stride-2 vector path (float32, windows inside the row, the last vector overlapping) against the scalar
/// loop (float64) on the same values: equal outputs and indices, ties (the first maximum is kept), -Inf, and a NaN that
/// sends its vector back to the scalar loop and wins its window.
/// </summary>
public class MaxPoolVectorPathTests
{
    [Theory]
    [InlineData(3, 2, 1, 37)]
    [InlineData(3, 2, 0, 40)]
    [InlineData(2, 2, 0, 41)]
    [InlineData(3, 2, 1, 112)]
    [InlineData(3, 2, 1, 20)]   // the last vector overlaps the one before it
    [InlineData(2, 2, 0, 16)]
    [InlineData(3, 2, 1, 8)]    // rows narrower than a vector: scalar only
    public void Stride_2_vector_path_matches_the_scalar_loop(int k, int stride, int pad, int size)
    {
        Torch.ManualSeed(size + k);
        var values = Torch.Randn([2, 3, size, size + 3]).Mul(2).ToArray<float>().Select(v => MathF.Round(v)).ToArray();   // rounded: many ties
        values[5] = float.NegativeInfinity;
        values[size * 2 + 20] = float.NaN;
        var x = Torch.Tensor(values).Reshape(2, 3, size, size + 3).RequiresGrad_();
        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var (y, i) = Torch.MaxPool2dWithIndices(x, [k], [stride], [pad]);
        var (y64, i64) = Torch.MaxPool2dWithIndices(x64, [k], [stride], [pad]);
        Assert.Equal(i64.ToArray<long>(), i.ToArray<long>());
        Assert.Equal(y64.ToArray<double>(), y.To(DType.Float64).ToArray<double>());
    }
}

/// <summary>Rectangular depthwise kernels with nine (or 25) taps must not take the 3×3 (5×5) register kernels.</summary>
public class DepthwiseRectangularTests
{
    [Theory]
    [InlineData(1, 9)]
    [InlineData(9, 1)]
    [InlineData(1, 25)]
    public void Rectangular_kernels_match_per_channel_convolution(int kh, int kw)
    {
        Torch.ManualSeed(kh * 10 + kw);
        var x = Torch.Randn([2, 3, 30, 33], requiresGrad: true);
        var w = Torch.Randn([3, 1, kh, kw], requiresGrad: true);
        var y = Torch.Conv2d(x, w, null, [1], [kh / 2, kw / 2], null, groups: 3);
        var upstream = Torch.RandnLike(y);
        y.Backward(upstream);
        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var w64 = w.Detach().To(DType.Float64).RequiresGrad_();
        var yr = Torch.Cat(Enumerable.Range(0, 3).Select(c =>
            Torch.Conv2d(x64.Narrow(1, c, 1), w64.Narrow(0, c, 1), null, [1], [kh / 2, kw / 2])).ToArray(), 1);
        yr.Backward(upstream.To(DType.Float64));
        Fixture.AssertClose(yr, y.To(DType.Float64), "forward", 1e-4, 1e-4);
        Fixture.AssertClose(x64.Grad!, x.Grad!.To(DType.Float64), "grad input", 1e-4, 1e-4);
        Fixture.AssertClose(w64.Grad!, w.Grad!.To(DType.Float64), "grad weight", 1e-3, 1e-4);
    }

    [Theory]
    [InlineData(1 << 16)]
    [InlineData(451_584)]
    [InlineData(777_777)]
    [InlineData(1_000_003)]
    public void A_long_sum_on_several_threads_is_bit_for_bit_the_serial_sum(int n)
    {
        // The parallel full reduction cuts the pairwise tree's top levels: the same tree, so the same rounding. A
        // serial thread (a data-loader worker's mark) computes the reference; magnitudes spread over many orders make
        // every partial sum's rounding show.
        Torch.ManualSeed(n);
        var x = Torch.Randn(n).Mul(Torch.Randn(n).Mul(4).Exp());
        float serial = 0;
        var t = new Thread(() =>
        {
            Numerics.IntraOpThreads.MarkSerialThread();
            serial = x.Sum().Item<float>();
        });
        t.Start();
        t.Join();
        Assert.Equal(serial, x.Sum().Item<float>());
        double scale = x.Abs().To(DType.Float64).Sum().Item<double>();
        Assert.Equal(x.To(DType.Float64).Sum().Item<double>(), x.Sum().Item<float>(), 1e-6 * scale);
        // Views with an offset take the same path.
        var tail = x.Narrow(0, 3, n - 3);
        Assert.Equal(tail.To(DType.Float64).Sum().Item<double>(), tail.Sum().Item<float>(), 1e-6 * scale);
    }
}
