using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

/// <summary>
/// Functional forms of the layers (<c>torch.nn.functional</c>); import as <c>using F = Ignis.Nn.Functional;</c>.
/// </summary>
public static partial class Functional
{
    // ---------- activations ----------

    /// <summary>max(x, 0) (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>min(max(x, 0), 6) (<c>F.relu6</c>).</summary>
    public static Tensor Relu6(Tensor input) => Hardtanh(input, 0, 6);

    /// <summary>Clamps into [min, max] with zero gradient at and beyond the bounds (<c>F.hardtanh</c>).</summary>
    public static Tensor Hardtanh(Tensor input, double minVal = -1, double maxVal = 1)
    {
        if (maxVal < minVal) throw new ArgumentException("hardtanh: max_val must be greater than or equal to min_val");
        Tensor r;
        using (Torch.NoGrad()) r = input.Clamp(minVal, maxVal);
        return Engine.Record(r, "HardtanhBackward0", [input], g => [g.Mul(input.Gt(minVal).LogicalAnd(input.Lt(maxVal)).To(g.DType))]);
    }

    /// <summary>x for x &gt; 0, else slope·x (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) =>
        input.Activation(UnaryOp.LeakyRelu, UnaryOp.LeakyReluDerivative, "LeakyReluBackward0", negativeSlope);

    /// <summary>Gaussian error linear unit (<c>F.gelu</c>); <paramref name="approximate"/> is "none" (exact, erf) or "tanh".</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => approximate switch
    {
        "none" => input.Activation(UnaryOp.Gelu, UnaryOp.GeluDerivative, "GeluBackward0"),
        "tanh" => input.Activation(UnaryOp.GeluTanh, UnaryOp.GeluTanhDerivative, "GeluBackward0"),
        _ => throw new ArgumentException($"approximate argument must be either none or tanh."),
    };

    /// <summary>x·σ(x) (<c>F.silu</c>, swish).</summary>
    public static Tensor Silu(Tensor input) => input.Activation(UnaryOp.Silu, UnaryOp.SiluDerivative, "SiluBackward0");

    /// <summary>x·relu6(x+3)/6 (<c>F.hardswish</c>).</summary>
    public static Tensor Hardswish(Tensor input) => input.Activation(UnaryOp.Hardswish, UnaryOp.HardswishDerivative, "HardswishBackward0");

    /// <summary>relu6(x+3)/6 (<c>F.hardsigmoid</c>).</summary>
    public static Tensor Hardsigmoid(Tensor input) => input.Activation(UnaryOp.Hardsigmoid, UnaryOp.HardsigmoidDerivative, "HardsigmoidBackward0");

    /// <summary>Logistic sigmoid (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>Softmax along <paramref name="dim"/> (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (<c>F.log_softmax</c>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    // ---------- linear, convolution, pooling, normalisation ----------

    /// <summary>x·Wᵀ + b (<c>F.linear</c>); W is [out, in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (input.Dim == 0) throw new ArgumentException("both arguments to linear need to be at least 1D, but they are 0D and 2D");
        long inF = input.Size(-1);
        if (weight.Dim != 2 || weight.Size(1) != inF)
        {
            var rows = input.Numel / Math.Max(inF, 1);
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({rows}x{inF} and {weight.Size(-1)}x{weight.Size(0)})");
        }
        var y = input.MatMul(weight.T);
        if (bias is null) return y;
        var r = y.Add(bias);
        return input.Dim == 2 ? r.NamedAs("AddmmBackward0") : r;
    }

    /// <summary>2-D convolution (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1) =>
        Torch.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>2-D max pooling (<c>F.max_pool2d</c>).</summary>
    public static Tensor MaxPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        Torch.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true) =>
        Torch.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <summary>2-D adaptive average pooling (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int[] outputSize) => Torch.AdaptiveAvgPool2d(input, outputSize);

    /// <summary>Batch normalisation (<c>F.batch_norm</c>).</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5) =>
        Torch.BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);

    /// <summary>Layer normalisation (<c>F.layer_norm</c>).</summary>
    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Torch.LayerNorm(input, normalizedShape, weight, bias, eps);

    /// <summary>Looks up rows of <paramref name="weight"/> (<c>F.embedding</c>); rows at <paramref name="paddingIdx"/> get no gradient.</summary>
    public static Tensor Embedding(Tensor input, Tensor weight, long? paddingIdx = null)
    {
        if (input.DType is not (DType.Int64 or DType.Int32))
            throw new ArgumentException($"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {input.DType.ScalarTypeName()} instead (while checking arguments for embedding)");
        if (weight.Dim != 2) throw new ArgumentException("'weight' must be 2-D");
        var flat = input.Reshape(-1).Long();
        if (flat.Numel > 0)
        {
            long lo = flat.Min().Item<long>(), hi = flat.Max().Item<long>();
            if (lo < 0 || hi >= weight.Size(0)) throw new IndexOutOfRangeException("index out of range in self");
        }
        Tensor rows;
        using (Torch.NoGrad()) rows = weight.IndexSelect(0, flat);
        var outShape = input.Shape.Append(weight.Size(1)).ToArray();
        var r = rows.Reshape(outShape);
        long num = weight.Size(0), dim = weight.Size(1);
        long pad = paddingIdx is long p ? (p < 0 ? p + num : p) : -1;
        return Engine.Record(r, "EmbeddingBackward0", [weight], g =>
        {
            var g2 = g.Reshape(-1, dim);
            var gw = Torch.Zeros([num, dim], g.DType, g.Device).ScatterAdd(0, flat.Unsqueeze(1).Expand(flat.Numel, dim).Contiguous(), g2.Contiguous());
            if (pad >= 0) gw[pad] = Torch.Zeros([dim], g.DType, g.Device);
            return [gw];
        });
    }

    // ---------- dropout ----------

    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1−p) in training (<c>F.dropout</c>);
    /// the mask uses PyTorch's CPU Bernoulli draws, so seeded runs match PyTorch.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckDropoutP(p);
        if (!training || p == 0) return input;
        if (p == 1) return input.Mul(0.0);
        var noise = Torch.Empty(input.Shape, input.DType, input.Device).Bernoulli_(1 - p, generator).Div_(1 - p);
        return input.Mul(noise);
    }

    /// <summary>Zeroes whole channels of [N, C, H, W] (or unbatched [C, H, W]) input (<c>F.dropout2d</c>).</summary>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckDropoutP(p);
        if (input.Dim is not (3 or 4))
            throw new ArgumentException($"dropout2d: Received a {input.Dim}-D input to dropout2d, which is deprecated and will result in an error in a future release. Expected a 3-D (unbatched) or 4-D (batched) input.");
        if (!training || p == 0) return input;
        if (p == 1) return input.Mul(0.0);
        var s = input.Shape;
        long[] noiseShape = input.Dim == 4 ? [s[0], s[1], 1, 1] : [s[0], 1, 1];
        var noise = Torch.Empty(noiseShape, input.DType, input.Device).Bernoulli_(1 - p, generator).Div_(1 - p);
        return input.Mul(noise);
    }

    internal static void CheckDropoutP(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {Ignis.Py.Repr(p)}");
    }
}
