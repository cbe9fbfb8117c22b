using Xunit;

namespace Ignis.Tests;

/// <summary>
/// The Winograd F(4×4, 3×3) convolution (forward, and the stride-1 input gradient through the flipped kernel) against
/// direct loops and the GEMM path. Its own class so the CI's reduced-ISA and Arm64 runs can select it.
/// </summary>
public class WinogradCrossCheckTests
{
    /// <summary>
    /// 3×3 stride-1 layers wide and large enough for Winograd's F(4×4, 3×3) (forward, and the input gradient as the
    /// flipped forward convolution) in float64 against direct loops: maps that are not multiples of the 4×4 tile, padding
    /// 0–2 (the input gradient's flipped padding 2–0), rectangular padding, several images per chunk.
    /// </summary>
    [Theory]
    [InlineData(1, 16, 16, 30, 31, 1, 1)]
    [InlineData(3, 17, 20, 23, 18, 0, 0)]
    [InlineData(2, 16, 24, 29, 27, 2, 2)]
    [InlineData(2, 20, 16, 26, 25, 1, 0)]
    [InlineData(2, 16, 16, 64, 61, 1, 1)]     // 512 tiles: the weight gradient's dot products (AVX-512)
    [InlineData(2, 16, 20, 46, 50, 1, 1)]     // 312 tiles: several blocks of tiles per thread, runs of blocks split between threads
    public void Winograd_layers_match_direct_loops(int n, int cin, int cout, int h, int w, int padH, int padW)
    {
        int before = Ignis.Backends.Cpu.ConvKernels.Winograd.Calls;
        ConvCrossCheckTests.Check(n, cin, cout, 1, 3, 3, h, w, 1, padH, padW, 1);
        // Forward, input gradient and weight gradient all took the Winograd path (not without vector instructions: the CI's run with
        // every intrinsic disabled checks the GEMM path on the same shapes).
        Assert.Equal(before + (System.Numerics.Vector.IsHardwareAccelerated ? 3 : 0), Ignis.Backends.Cpu.ConvKernels.Winograd.Calls);
    }

    /// <summary>
    /// Winograd in float32 against the GEMM path on the shapes above and more: float32 gathers and scatters a tile row's
    /// windows through 4×4 transposes (straight from the map where the windows lie inside it, else through a zero-padded
    /// strip), which the float64 loops do not take: padding 0 (runs inside the map from the row's start), maps too narrow
    /// for a transpose, runs cut by a block of tiles or an image's end, output channels not a multiple of the GEMM tile.
    /// </summary>
    [Theory]
    [InlineData(1, 16, 16, 30, 31, 1, 1)]
    [InlineData(3, 17, 20, 23, 18, 0, 0)]
    [InlineData(2, 16, 24, 29, 27, 2, 2)]
    [InlineData(2, 20, 16, 26, 25, 1, 0)]
    [InlineData(2, 16, 16, 64, 61, 1, 1)]
    [InlineData(2, 16, 20, 20, 40, 0, 1)]
    [InlineData(5, 16, 16, 14, 14, 1, 1)]
    [InlineData(2, 16, 16, 9, 70, 0, 0)]
    [InlineData(2, 16, 20, 46, 50, 1, 1)]
    public void Winograd_float32_matches_gemm(int n, int cin, int cout, int h, int w, int padH, int padW)
    {
        Torch.ManualSeed(n * 1000 + h * 10 + w);
        var x = Torch.Randn([n, cin, h, w]).RequiresGrad_();
        var wt = (Torch.Randn([cout, cin, 3, 3]) * 0.1).RequiresGrad_();
        var b = Torch.Randn([cout]);
        var (y, gy) = WinogradPass(x, wt, b, [padH, padW]);
        var (yGemm, x2, w2) = GemmPass(x, wt, b, [padH, padW], gy);
        Fixture.AssertClose(yGemm, y, "winograd vs gemm", 1e-4, 1e-4);
        Fixture.AssertClose(x2.Grad!, x.Grad!, "input gradient vs gemm", 1e-4, 1e-4);
        Fixture.AssertClose(w2.Grad!, wt.Grad!, "weight gradient vs gemm", 1e-3, 1e-3);
    }

    /// <summary>
    /// Winograd in float32 against the GEMM path (bias included) and against float64, forward and both gradients: its
    /// rounding stays within 1e-4 (forward, input gradient) and 1e-3 (weight gradient, a sum over 1300 positions).
    /// </summary>
    [Fact]
    public void Winograd_float32_rounding_stays_close()
    {
        Torch.ManualSeed(5);
        var x = Torch.Randn([2, 64, 26, 25]).RequiresGrad_();   // 7×7 tiles: a partial last vector
        var wt = (Torch.Randn([48, 64, 3, 3]) * 0.05).RequiresGrad_();
        var b = Torch.Randn([48]);
        var (y, gy) = WinogradPass(x, wt, b, [1, 1]);
        var (yGemm, x2, w2) = GemmPass(x, wt, b, [1, 1], gy);

        var x64 = x.Detach().To(DType.Float64).RequiresGrad_();
        var w64 = wt.Detach().To(DType.Float64).RequiresGrad_();
        var y64 = Torch.Conv2d(x64, w64, b.To(DType.Float64), [1], [1]);
        y64.Backward(gy.To(DType.Float64));
        Fixture.AssertClose(y64, y.To(DType.Float64), "winograd vs float64", 1e-4, 1e-4);
        Fixture.AssertClose(yGemm, y, "winograd vs gemm", 1e-4, 1e-4);
        Fixture.AssertClose(x64.Grad!, x.Grad!.To(DType.Float64), "input gradient vs float64", 1e-4, 1e-4);
        Fixture.AssertClose(x2.Grad!, x.Grad!, "input gradient vs gemm", 1e-4, 1e-4);
        Fixture.AssertClose(w64.Grad!, wt.Grad!.To(DType.Float64), "weight gradient vs float64", 1e-3, 1e-3);
        Fixture.AssertClose(w2.Grad!, wt.Grad!, "weight gradient vs gemm", 1e-3, 1e-3);
    }

    /// <summary>
    /// Each way of dividing a layer among threads (chosen by the transformed weights' size against L2 and the blocks of
    /// tiles per thread; forced here) in float64 against direct loops and float32 against the GEMM path: input channels
    /// past one chunk of 128 (the weights-stationary products accumulate over chunks), output channels not a multiple of
    /// the GEMM tile, a partial last block, input channels whose packed rows are not whole vectors (stored, not streamed).
    /// </summary>
    [Theory]
    [InlineData(2, 5, 136, 20, 14, 14)]
    [InlineData(2, 2, 17, 30, 17, 30)]
    [InlineData(1, 5, 136, 20, 14, 14)]
    [InlineData(1, 2, 17, 30, 17, 30)]
    [InlineData(0, 5, 136, 20, 14, 14)]
    public void Winograd_schedules_match(int schedule, int n, int cin, int cout, int h, int w)
    {
        // 0 blocks per thread, 1 streamed weights, 2 weights-stationary (Winograd.Schedule).
        Ignis.Backends.Cpu.ConvKernels.Winograd.Forced = (Ignis.Backends.Cpu.ConvKernels.Winograd.Schedule)schedule;
        try
        {
            ConvCrossCheckTests.Check(n, cin, cout, 1, 3, 3, h, w, 1, 1, 1, 1);
            Torch.ManualSeed(cin * 100 + h);
            var x = Torch.Randn([n, cin, h, w]).RequiresGrad_();
            var wt = (Torch.Randn([cout, cin, 3, 3]) * 0.1).RequiresGrad_();
            var b = Torch.Randn([cout]);
            var (y, gy) = WinogradPass(x, wt, b, [1, 1]);
            var (yGemm, x2, w2) = GemmPass(x, wt, b, [1, 1], gy);
            Fixture.AssertClose(yGemm, y, "winograd vs gemm", 1e-4, 1e-4);
            Fixture.AssertClose(x2.Grad!, x.Grad!, "input gradient vs gemm", 1e-4, 1e-4);
        }
        finally { Ignis.Backends.Cpu.ConvKernels.Winograd.Forced = null; }
    }

    /// <summary>Forward and backward (random upstream gradient) through Winograd, which all three passes must take.</summary>
    static (Tensor Y, Tensor Gy) WinogradPass(Tensor x, Tensor wt, Tensor b, int[] padding)
    {
        int before = Ignis.Backends.Cpu.ConvKernels.Winograd.Calls;
        var y = Torch.Conv2d(x, wt, b, [1], padding);
        var gy = Torch.RandnLike(y);
        y.Backward(gy);
        Assert.Equal(before + (System.Numerics.Vector.IsHardwareAccelerated ? 3 : 0), Ignis.Backends.Cpu.ConvKernels.Winograd.Calls);
        return (y, gy);
    }

    /// <summary>The same layer on the GEMM path (Winograd disabled on this thread): output and fresh leaves holding the gradients.</summary>
    static (Tensor Y, Tensor X, Tensor W) GemmPass(Tensor x, Tensor wt, Tensor b, int[] padding, Tensor gy)
    {
        var x2 = x.Detach().RequiresGrad_();
        var w2 = wt.Detach().RequiresGrad_();
        Ignis.Backends.Cpu.ConvKernels.Winograd.Disabled = true;
        try
        {
            var y = Torch.Conv2d(x2, w2, b, [1], padding);
            y.Backward(gy);
            return (y, x2, w2);
        }
        finally { Ignis.Backends.Cpu.ConvKernels.Winograd.Disabled = false; }
    }
}
