using CsCheck;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// Convolution forward and both gradients against direct loops in float64, over random geometry: every path the CPU
/// picks (im2col + GEMM per image or batched, 1×1, the stride-1 input gradient run as a forward convolution of the
/// flipped kernel, and its fallback when the padding exceeds dilation·(k−1)).
/// </summary>
public class ConvCrossCheckTests
{
    [Fact]
    public void Convolution_and_its_gradients_match_direct_loops()
    {
        Gen.Select(Gen.Select(Gen.Int[1, 2], Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 2]),
                   Gen.Select(Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[0, 3], Gen.Int[0, 2]),
                   Gen.Select(Gen.Int[1, 2], Gen.Int[1, 2], Gen.Int[3, 40], Gen.Int[3, 40]))
            .Sample((a, b, c) =>
            {
                var (n, cinG, coutG, groups) = a;
                var (kh, kw, padH, padW) = b;
                var (stride, dilation, h, w) = c;
                if ((h + 2 * padH - dilation * (kh - 1) - 1) / stride + 1 < 1 || (w + 2 * padW - dilation * (kw - 1) - 1) / stride + 1 < 1) return;
                if (h + 2 * padH < dilation * (kh - 1) + 1 || w + 2 * padW < dilation * (kw - 1) + 1) return;
                Check(n, cinG * groups, coutG * groups, groups, kh, kw, h, w, stride, padH, padW, dilation);
            }, iter: 60);
    }

    [Theory]
    [InlineData(2, 8, 16, 1, 3, 3, 40, 41, 1, 1, 1, 1)]   // maps beyond the batching limit: per-image GEMM
    [InlineData(3, 6, 4, 2, 3, 3, 9, 7, 1, 1, 1, 1)]      // small maps: one batched GEMM, groups
    [InlineData(2, 4, 6, 1, 3, 3, 30, 31, 1, 1, 1, 1)]    // batched with N·OH·OW ≥ 1024: the weight gradient's dot products over virtual columns
    [InlineData(1, 4, 4, 1, 3, 3, 10, 10, 1, 3, 3, 1)]    // padding beyond dilation·(k−1): the col2im fallback
    [InlineData(2, 4, 6, 1, 3, 5, 12, 13, 1, 2, 4, 2)]    // dilation with a rectangular kernel
    [InlineData(2, 2, 2, 2, 2, 3, 12, 15, 1, 2, 1, 1)]    // depthwise, padding beyond the kernel
    [InlineData(3, 4, 5, 1, 3, 3, 4, 4, 1, 1, 1, 1)]      // batched, rows shorter than a vector: stores that run into the next rows
    [InlineData(3, 4, 6, 1, 3, 3, 2, 3, 1, 1, 1, 1)]      // batched, 2×3 maps
    [InlineData(2, 4, 4, 1, 3, 3, 12, 12, 1, 1, 1, 1)]    // batched, rows of a vector and a remainder
    [InlineData(2, 3, 4, 1, 3, 3, 11, 21, 2, 1, 2, 2)]    // batched, stride 2 and dilation 2 through the padded frame
    public void Named_shapes(int n, int cin, int cout, int groups, int kh, int kw, int h, int w, int stride, int padH, int padW, int dilation) =>
        Check(n, cin, cout, groups, kh, kw, h, w, stride, padH, padW, dilation);

    /// <summary>
    /// float32 against float64 on large maps with stride 2 and 4: the column matrix's strided rows are unfolded a vector at
    /// a time for 4-byte elements (stride 2), element by element otherwise (float64, stride 4).
    /// </summary>
    [Theory]
    [InlineData(3, 8, 3, 90, 91, 2, 1)]
    [InlineData(3, 8, 7, 96, 97, 2, 3)]
    [InlineData(3, 8, 11, 95, 95, 4, 2)]
    public void Strided_large_maps_in_float32_match_float64(int cin, int cout, int k, int h, int w, int stride, int pad)
    {
        Torch.ManualSeed(k * 100 + h);
        var x = Torch.Randn([2, cin, h, w], requiresGrad: true);
        var wt = Torch.Randn([cout, cin, k, k], requiresGrad: true);
        var y = Torch.Conv2d(x, wt, null, [stride], [pad]);
        var gy = Torch.RandnLike(y);
        y.Backward(gy);
        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var w64 = wt.Detach().To(DType.Float64).RequiresGrad_();
        var y64 = Torch.Conv2d(x64, w64, null, [stride], [pad]);
        y64.Backward(gy.To(DType.Float64));
        Fixture.AssertClose(y64, y.To(DType.Float64), "forward", 1e-4, 1e-4);
        Fixture.AssertClose(x64.Grad!, x.Grad!.To(DType.Float64), "grad input", 1e-4, 1e-4);
        Fixture.AssertClose(w64.Grad!, wt.Grad!.To(DType.Float64), "grad weight", 1e-3, 1e-3);
    }

    /// <summary>
    /// The depthwise input gradient writes every element of dx itself (the caller no longer clears it): into a buffer of
    /// NaNs it gives what autograd gives: stride 1 (the flipped forward), stride 2 and over-padded stride 1 (the gather
    /// per phase), dilation.
    /// </summary>
    [Theory]
    [InlineData(3, 1, 1, 1, 20, 21)]
    [InlineData(3, 2, 1, 1, 20, 21)]
    [InlineData(5, 2, 2, 1, 23, 18)]
    [InlineData(3, 1, 3, 1, 11, 12)]
    [InlineData(3, 1, 2, 2, 15, 16)]
    public void Depthwise_input_gradient_writes_every_element(int k, int stride, int pad, int dilation, int h, int w)
    {
        Torch.ManualSeed(k * 10 + stride);
        var x = Torch.Randn([2, 5, h, w], requiresGrad: true);
        var wt = Torch.Randn([5, 1, k, k]);
        var y = Torch.Conv2d(x, wt, null, [stride], [pad], [dilation], 5);
        var gy = Torch.RandnLike(y);
        y.Backward(gy);
        var gx = Torch.Full([2, 5, h, w], double.NaN);
        x.Backend.Conv2dBackwardInput(gy, wt, new Ignis.Backends.Conv2dGeometry(stride, stride, pad, pad, dilation, dilation, 5), gx);
        Fixture.AssertClose(x.Grad!, gx, "depthwise dx into NaNs", 0, 0);
    }

    internal static void Check(int n, int cin, int cout, int groups, int kh, int kw, int h, int w, int stride, int padH, int padW, int dilation)
    {
        Torch.ManualSeed(n + 7 * cin + 31 * cout + 131 * kh + 523 * h);
        var x = Torch.Randn([n, cin, h, w], DType.Float64, requiresGrad: true);
        var wt = Torch.Randn([cout, cin / groups, kh, kw], DType.Float64, requiresGrad: true);
        var y = Torch.Conv2d(x, wt, null, [stride], [padH, padW], [dilation], groups);
        var gy = Torch.RandnLike(y);
        y.Backward(gy);

        int oh = (int)y.Shape[2], ow = (int)y.Shape[3], cinG = cin / groups, coutG = cout / groups;
        double[] xs = x.Detach().ToArray<double>(), ws = wt.Detach().ToArray<double>(), gys = gy.ToArray<double>();
        var yRef = new double[n * cout * oh * ow];
        var gxRef = new double[xs.Length];
        var gwRef = new double[ws.Length];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
            {
                int gi = co / coutG;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((b * cout + co) * oh + i) * ow + j;
                        for (int ci = 0; ci < cinG; ci++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++)
                                {
                                    int ih = i * stride - padH + p * dilation, iw = j * stride - padW + q * dilation;
                                    if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                    int xi = ((b * cin + gi * cinG + ci) * h + ih) * w + iw, wi = ((co * cinG + ci) * kh + p) * kw + q;
                                    yRef[yi] += xs[xi] * ws[wi];
                                    gxRef[xi] += gys[yi] * ws[wi];
                                    gwRef[wi] += gys[yi] * xs[xi];
                                }
                    }
            }
        string what = $"n={n} cin={cin} cout={cout} groups={groups} k={kh}x{kw} map={h}x{w} stride={stride} pad={padH},{padW} dilation={dilation}";
        Fixture.AssertClose(Torch.Tensor(yRef).Reshape(y.Shape), y, $"forward {what}", 1e-10, 1e-10);
        Fixture.AssertClose(Torch.Tensor(gxRef).Reshape(x.Shape), x.Grad!, $"grad input {what}", 1e-10, 1e-10);
        Fixture.AssertClose(Torch.Tensor(gwRef).Reshape(wt.Shape), wt.Grad!, $"grad weight {what}", 1e-10, 1e-10);
    }
}
