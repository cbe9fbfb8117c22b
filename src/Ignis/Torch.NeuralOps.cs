using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public static partial class Torch
{
    static (int, int) Pair(int[] v, string name) => v.Length switch
    {
        1 => (v[0], v[0]),
        2 => (v[0], v[1]),
        _ => throw new ArgumentException($"{name} must be an int or a pair of ints, got {v.Length} values"),
    };

    /// <summary>
    /// 2-D convolution (<c>torch.conv2d</c> / <c>F.conv2d</c>) of [N, Cin, H, W] (or unbatched [Cin, H, W]) input with
    /// [Cout, Cin/groups, KH, KW] weight. Sizes given as one value apply to both dimensions.
    /// </summary>
    public static Ignis.Tensor Conv2d(Ignis.Tensor input, Ignis.Tensor weight, Ignis.Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1)
    {
        bool unbatched = input.Dim == 3;
        if (input.Dim != 4 && !unbatched)
            throw new ArgumentException($"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {Ignis.Tensor.ShapeStr(input.shape)}");
        var x = unbatched ? input.Unsqueeze(0) : input;
        if (weight.Dim != 4) throw new ArgumentException($"weight should have 4 dimensions, got {weight.Dim}");
        if (groups < 1) throw new ArgumentException("non-positive groups is not supported");
        var (sh, sw) = Pair(stride ?? [1], "stride");
        var (ph, pw) = Pair(padding ?? [0], "padding");
        var (dh, dw) = Pair(dilation ?? [1], "dilation");
        if (sh < 1 || sw < 1) throw new ArgumentException("non-positive stride is not supported");
        if (ph < 0 || pw < 0) throw new ArgumentException("negative padding is not supported");
        if (dh < 1 || dw < 1) throw new ArgumentException("dilation should be greater than zero");
        long cin = x.shape[1], cout = weight.shape[0];
        if (cin != weight.shape[1] * groups)
            throw new ArgumentException($"Given groups={groups}, weight of size {Ignis.Tensor.ShapeStr(weight.shape)}, expected input{Ignis.Tensor.ShapeStr(x.shape)} to have {weight.shape[1] * groups} channels, but got {cin} channels instead");
        if (cout % groups != 0) throw new ArgumentException($"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {Ignis.Tensor.ShapeStr(weight.shape)} instead");
        if (bias is not null && (bias.Dim != 1 || bias.shape[0] != cout))
            throw new ArgumentException($"Given weight of size {Ignis.Tensor.ShapeStr(weight.shape)}, expected bias to be 1-dimensional with {cout} elements, but got bias of size {Ignis.Tensor.ShapeStr(bias.shape)} instead");
        if (x.DType != weight.DType || (bias is not null && bias.DType != x.DType))
            throw new ArgumentException($"expected scalar type {x.DType.ScalarTypeName()} but found {(x.DType != weight.DType ? weight : bias!).DType.ScalarTypeName()}");
        var g = new Conv2dGeometry(sh, sw, ph, pw, dh, dw, groups);
        long oh = Conv2dGeometry.OutSize(x.shape[2], weight.shape[2], sh, ph, dh), ow = Conv2dGeometry.OutSize(x.shape[3], weight.shape[3], sw, pw, dw);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"Calculated output size: ({cout}x{oh}x{ow}). Output size is too small");
        var xc = x.ContiguousRaw();
        var wc = weight.ContiguousRaw();
        var bc = bias?.ContiguousRaw();
        var output = Ignis.Tensor.Output([x.shape[0], cout, oh, ow], x.DType, x.Device);
        x.Backend.Conv2d(xc, wc, bc, g, output);
        Ignis.Tensor?[] Backward(Ignis.Tensor gy)
        {
            var gyc = gy.ContiguousRaw();
            Ignis.Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad)
            {
                gx = Ignis.Tensor.Output(xc.shape, xc.DType, xc.Device);
                x.Backend.Conv2dBackwardInput(gyc, wc, g, gx);
            }
            if (weight.RequiresGrad)
            {
                gw = Ignis.Tensor.Output(wc.shape, wc.DType, wc.Device);
                x.Backend.Conv2dBackwardWeight(gyc, xc, g, gw);
            }
            if (bias is { RequiresGrad: true }) gb = gy.Sum([0, 2, 3]);
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }
        var r = Engine.Record(output, "ConvolutionBackward0", bias is null ? [x, weight] : [x, weight, bias], Backward);
        return unbatched ? r.Squeeze(0) : r;
    }

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
            var gyc = gy.ContiguousRaw();
            x.Backend.MaxPool2dBackward(gyc.AsStridedRaw(y.shape, y.strides, gyc.offset), idx, gx);
            return [Unbatch(gx, unbatched)];
        });
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

    static Ignis.Tensor AvgPoolCore(Ignis.Tensor input, Ignis.Tensor x, bool unbatched, Pool2dGeometry g, bool countIncludePad, bool adaptive, long oh, long ow, string name)
    {
        var y = Ignis.Tensor.Empty([x.shape[0], x.shape[1], oh, ow], x.DType, x.Device);
        x.Backend.AvgPool2d(x, g, countIncludePad, adaptive, y);
        return Engine.Record(Unbatch(y, unbatched), name, [input], gy =>
        {
            var gx = Ignis.Tensor.Output(x.shape, x.DType, x.Device);
            var gyc = gy.ContiguousRaw();
            x.Backend.AvgPool2dBackward(gyc.AsStridedRaw(y.shape, y.strides, gyc.offset), g, countIncludePad, adaptive, gx);
            return [Unbatch(gx, unbatched)];
        });
    }

    /// <summary>
    /// Batch normalisation over dim 1 of [N, C, *] input (<c>F.batch_norm</c>). In training it uses batch statistics and
    /// updates <paramref name="runningMean"/>/<paramref name="runningVar"/> in place (momentum 0.1, eps 1e-5 as PyTorch).
    /// </summary>
    public static Ignis.Tensor BatchNorm(Ignis.Tensor input, Ignis.Tensor? runningMean, Ignis.Tensor? runningVar, Ignis.Tensor? weight = null, Ignis.Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        if (input.Dim < 2) throw new ArgumentException($"Expected 2D or more input (got {input.Dim}D input)");
        long c = input.shape[1];
        if (training)
        {
            long perChannel = input.Numel / c;
            if (perChannel <= 1) throw new ArgumentException($"Expected more than 1 value per channel when training, got input size {Ignis.Tensor.ShapeStr(input.shape)}");
        }
        else if (runningMean is null || runningVar is null)
            throw new ArgumentException("running_mean and running_var must be defined in evaluation mode");
        foreach (var (t, n) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            Ignis.Tensor.CheckSameDevice(input, t);
            if (t.Numel != c) throw new ArgumentException($"{n} should contain {c} elements not {t.Numel}");
            if (t.DType != input.DType) throw new ArgumentException($"expected scalar type {input.DType.ScalarTypeName()} but found {t.DType.ScalarTypeName()}");
            if (!t.IsContiguous) throw new ArgumentException($"{n} must be contiguous");
        }
        var xc = input.ContiguousRaw();
        var x3 = xc.AsStridedRaw([input.shape[0], c, input.Numel / Math.Max(1, input.shape[0] * c)], [c * (input.Numel / Math.Max(1, input.shape[0] * c)), input.Numel / Math.Max(1, input.shape[0] * c), 1], xc.offset);
        var y = Ignis.Tensor.Output(input.shape, input.DType, input.Device);
        var y3 = y.AsStridedRaw(x3.shape, Ignis.Tensor.ContiguousStrides(x3.shape), 0);
        var mean = Ignis.Tensor.Empty([c], input.DType, input.Device);
        var invStd = Ignis.Tensor.Empty([c], input.DType, input.Device);
        var w = weight?.ContiguousRaw();
        var b = bias?.ContiguousRaw();
        input.Backend.BatchNorm(x3, w, b, runningMean, runningVar, training, momentum, eps, y3, mean, invStd);
        return Engine.Record(y, "NativeBatchNormBackward0", AffineInputs(input, weight, bias), gy =>
        {
            var gyc = gy.ContiguousRaw();
            var gy3 = gyc.AsStridedRaw(x3.shape, Ignis.Tensor.ContiguousStrides(x3.shape), gyc.offset);
            var gx = input.RequiresGrad ? Ignis.Tensor.Output(input.shape, input.DType, input.Device) : null;
            var gw = weight is { RequiresGrad: true } ? Ignis.Tensor.Empty([c], input.DType, input.Device) : null;
            var gb = bias is { RequiresGrad: true } ? Ignis.Tensor.Empty([c], input.DType, input.Device) : null;
            input.Backend.BatchNormBackward(gy3, x3, w, mean, invStd, training,
                gx?.AsStridedRaw(x3.shape, Ignis.Tensor.ContiguousStrides(x3.shape), 0), gw, gb);
            var list = new List<Ignis.Tensor?> { gx };
            if (weight is not null) list.Add(gw);
            if (bias is not null) list.Add(gb);
            return list.ToArray();
        });
    }

    /// <summary>The autograd inputs of a normalisation: the input, then the optional affine weight and bias.</summary>
    static Ignis.Tensor[] AffineInputs(Ignis.Tensor input, Ignis.Tensor? weight, Ignis.Tensor? bias) =>
        new[] { input, weight, bias }.Where(t => t is not null).ToArray()!;

    /// <summary>Layer normalisation over the trailing <paramref name="normalizedShape"/> dims (<c>F.layer_norm</c>).</summary>
    public static Ignis.Tensor LayerNorm(Ignis.Tensor input, long[] normalizedShape, Ignis.Tensor? weight = null, Ignis.Tensor? bias = null, double eps = 1e-5)
    {
        int k = normalizedShape.Length;
        if (k == 0 || input.Dim < k || !input.shape[^k..].SequenceEqual(normalizedShape))
            throw new ArgumentException($"Given normalized_shape={Ignis.Tensor.ShapeStr(normalizedShape)}, expected input with shape [*, {string.Join(", ", normalizedShape)}], but got input of size{Ignis.Tensor.ShapeStr(input.shape)}");
        var dims = Enumerable.Range(input.Dim - k, k).ToArray();
        Ignis.Tensor y, xhat, rstd;
        using (NoGrad())
        {
            var mean = input.Mean(dims, true);
            rstd = input.Var(dims, unbiased: false, keepDim: true).Add(eps).Rsqrt();
            xhat = input.Sub(mean).Mul(rstd);
            y = xhat;
            if (weight is not null) y = y.Mul(weight);
            if (bias is not null) y = y.Add(bias);
        }
        long n = normalizedShape.Aggregate(1L, (a, b) => a * b);
        var batchDims = Enumerable.Range(0, input.Dim - k).ToArray();
        return Engine.Record(y, "NativeLayerNormBackward0", AffineInputs(input, weight, bias), gy =>
        {
            var g = weight is null ? gy : gy.Mul(weight);
            // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) over the normalised dims.
            var gx = rstd.Mul(g.Sub(g.Mean(dims, true)).Sub(xhat.Mul(g.Mul(xhat).Mean(dims, true))));
            var list = new List<Ignis.Tensor?> { gx };
            if (weight is not null) list.Add(batchDims.Length == 0 ? gy.Mul(xhat) : gy.Mul(xhat).Sum(batchDims));
            if (bias is not null) list.Add(batchDims.Length == 0 ? gy : gy.Sum(batchDims));
            return list.ToArray();
        });
    }
}
