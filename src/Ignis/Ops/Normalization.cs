using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

// Op family: normalisation (batch norm, layer norm): checks, forward, gradients and the op record.
public static partial class Torch
{
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
            using var gyc = gy.ContiguousTemporary();
            var gy3 = gyc.Tensor.AsStridedRaw(x3.shape, Ignis.Tensor.ContiguousStrides(x3.shape), gyc.Tensor.offset);
            var gx = input.RequiresGrad ? Ignis.Tensor.Output(input.shape, input.DType, input.Device) : null;
            var gw = weight is { RequiresGrad: true } ? Ignis.Tensor.Empty([c], input.DType, input.Device) : null;
            var gb = bias is { RequiresGrad: true } ? Ignis.Tensor.Empty([c], input.DType, input.Device) : null;
            input.Backend.BatchNormBackward(gy3, x3, w, mean, invStd, training, eps,
                gx?.AsStridedRaw(x3.shape, Ignis.Tensor.ContiguousStrides(x3.shape), 0), gw, gb);
            var list = new List<Ignis.Tensor?> { gx };
            if (weight is not null) list.Add(gw);
            if (bias is not null) list.Add(gb);
            return list.ToArray();
        }, Engine.Attrs(("training", training), ("momentum", momentum), ("eps", eps)), saved: [input, weight]);
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
        }, Engine.Attrs(("normalized_shape", normalizedShape), ("eps", eps)), saved: [input, weight, bias]);
    }
}
