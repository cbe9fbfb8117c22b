using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

// Op family: pooling (max, average, adaptive average): checks, forward, gradients and the op record.
public static partial class Torch
{
    static Pool2dGeometry PoolGeometry(int[] kernel, int[]? stride, int[]? padding, int[]? dilation, bool ceil)
    {
        var (kh, kw) = Pair(kernel, "kernel_size");
        var (sh, sw) = stride is null || stride.Length == 0 ? (kh, kw) : Pair(stride, "stride");
        var (ph, pw) = Pair(padding ?? [0], "padding");
        var (dh, dw) = Pair(dilation ?? [1], "dilation");
        if (kh <= 0 || kw <= 0) throw new ArgumentException($"kernel size should be greater than zero, but got kH: {kh} kW: {kw}");
        if (sh <= 0 || sw <= 0) throw new ArgumentException($"stride should be greater than zero, but got dH: {sh} dW: {sw}");
        if (ph > kh / 2 || pw > kw / 2) throw new ArgumentException($"pad should be at most half of effective kernel size, but got pad={Math.Max(ph, pw)}, kernel_size={Math.Max(kh, kw)} and dilation={Math.Max(dh, dw)}");
        return new Pool2dGeometry(kh, kw, sh, sw, ph, pw, dh, dw, ceil);
    }

    /// <summary>A 4-D view of 3-D or 4-D input, without an autograd record: pooling records on the caller's tensor.</summary>
    static Ignis.Tensor Batched4d(Ignis.Tensor input, string op, out bool unbatched)
    {
        unbatched = input.Dim == 3;
        if (input.Dim != 4 && !unbatched)
            throw new ArgumentException($"{op}: Expected 3D or 4D (batch mode) tensor for input, but got: {Ignis.Tensor.ShapeStr(input.shape)}");
        var c = input.ContiguousRaw();
        return unbatched ? c.AsStridedRaw([1, .. c.shape], [c.Numel, .. c.strides], c.offset) : c;
    }

    static Ignis.Tensor Unbatch(Ignis.Tensor t, bool unbatched) => unbatched ? t.AsStridedRaw(t.shape[1..], t.strides[1..], t.offset) : t;

    /// <summary>2-D max pooling returning values and flat per-plane argmax indices (<c>F.max_pool2d(..., return_indices=True)</c>).</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor Indices) MaxPool2dWithIndices(Ignis.Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        var x = Batched4d(input, "max_pool2d", out bool unbatched);
        var g = PoolGeometry(kernelSize, stride, padding, dilation, ceilMode);
        long oh = Pool2dGeometry.OutSize(x.shape[2], g.KernelH, g.StrideH, g.PadH, g.DilationH, ceilMode);
        long ow = Pool2dGeometry.OutSize(x.shape[3], g.KernelW, g.StrideW, g.PadW, g.DilationW, ceilMode);
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). Calculated output size: ({x.shape[1]}x{oh}x{ow}). Output size is too small");
        var y = Ignis.Tensor.Output([x.shape[0], x.shape[1], oh, ow], x.DType, x.Device);
        var idx = Ignis.Tensor.Output(y.shape, DType.Int64, x.Device);
        x.Backend.MaxPool2d(x, g, y, idx);
        var r = Engine.Record(Unbatch(y, unbatched), "MaxPool2DWithIndicesBackward0", [input], gy =>
        {
            var gx = Ignis.Tensor.Output(x.shape, x.DType, x.Device);
            using var gyc = gy.ContiguousTemporary();
            x.Backend.MaxPool2dBackward(gyc.Tensor.AsStridedRaw(y.shape, y.strides, gyc.Tensor.offset), idx, g, gx);
            return [Unbatch(gx, unbatched)];
        }, PoolAttributes(g), saved: [input, idx]);
        return (r, Unbatch(idx, unbatched));
    }

    /// <summary>2-D max pooling (<c>F.max_pool2d</c>).</summary>
    public static Ignis.Tensor MaxPool2d(Ignis.Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode).Values;

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>), counting padding by default as PyTorch does.</summary>
    public static Ignis.Tensor AvgPool2d(Ignis.Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var x = Batched4d(input, "avg_pool2d", out bool unbatched);
        var g = PoolGeometry(kernelSize, stride, padding, null, ceilMode);
        long oh = Pool2dGeometry.OutSize(x.shape[2], g.KernelH, g.StrideH, g.PadH, 1, ceilMode);
        long ow = Pool2dGeometry.OutSize(x.shape[3], g.KernelW, g.StrideW, g.PadW, 1, ceilMode);
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"Given input size: ({x.shape[1]}x{x.shape[2]}x{x.shape[3]}). Calculated output size: ({x.shape[1]}x{oh}x{ow}). Output size is too small");
        return AvgPoolCore(input, x, unbatched, g, countIncludePad, false, oh, ow, "AvgPool2DBackward0");
    }

    /// <summary>Adaptive average pooling to a fixed output size (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Ignis.Tensor AdaptiveAvgPool2d(Ignis.Tensor input, int[] outputSize)
    {
        var x = Batched4d(input, "adaptive_avg_pool2d", out bool unbatched);
        var (oh, ow) = Pair(outputSize, "output_size");
        if (oh <= 0 || ow <= 0) throw new ArgumentException("adaptive_avg_pool2d: output size must be positive");
        // A 1×1 output is a mean over the plane, which is how ATen computes (and records) it.
        if (oh == 1 && ow == 1) return input.Mean([-2, -1], keepDim: true);
        var g = new Pool2dGeometry(1, 1, 1, 1, 0, 0, 1, 1, false);
        return AvgPoolCore(input, x, unbatched, g, true, true, oh, ow, "AdaptiveAvgPool2DBackward0");
    }

    /// <summary>The op record of a max pooling (ATen's argument names).</summary>
    static IReadOnlyDictionary<string, object> PoolAttributes(Pool2dGeometry g) => Engine.Attrs(
        ("kernel_size", new[] { g.KernelH, g.KernelW }), ("stride", new[] { g.StrideH, g.StrideW }),
        ("padding", new[] { g.PadH, g.PadW }), ("dilation", new[] { g.DilationH, g.DilationW }), ("ceil_mode", g.CeilMode));

    static IReadOnlyDictionary<string, object> AvgAttributes(Pool2dGeometry g, bool countIncludePad) => Engine.Attrs(
        ("kernel_size", new[] { g.KernelH, g.KernelW }), ("stride", new[] { g.StrideH, g.StrideW }),
        ("padding", new[] { g.PadH, g.PadW }), ("ceil_mode", g.CeilMode), ("count_include_pad", countIncludePad));

    static Ignis.Tensor AvgPoolCore(Ignis.Tensor input, Ignis.Tensor x, bool unbatched, Pool2dGeometry g, bool countIncludePad, bool adaptive, long oh, long ow, string name)
    {
        var y = Ignis.Tensor.Empty([x.shape[0], x.shape[1], oh, ow], x.DType, x.Device);
        x.Backend.AvgPool2d(x, g, countIncludePad, adaptive, y);
        return Engine.Record(Unbatch(y, unbatched), name, [input], gy =>
        {
            var gx = Ignis.Tensor.Output(x.shape, x.DType, x.Device);
            using var gyc = gy.ContiguousTemporary();
            x.Backend.AvgPool2dBackward(gyc.Tensor.AsStridedRaw(y.shape, y.strides, gyc.Tensor.offset), g, countIncludePad, adaptive, gx);
            return [Unbatch(gx, unbatched)];
        }, adaptive ? Engine.Attrs(("output_size", new[] { oh, ow })) : AvgAttributes(g, countIncludePad), saved: [input]);
    }
}
