using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

/// <summary>
/// Functional forms of the layers (<c>torch.nn.functional</c>); import as <c>using F = Ignis.Nn.Functional;</c>.
/// This file is the facade: each op lives, with its gradient and op record, in its family's file under <c>src/Ignis/Ops/</c>.
/// </summary>
public static partial class Functional
{
    // ---------- activations ----------

    /// <summary>max(x, 0) (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>min(max(x, 0), 6) (<c>F.relu6</c>).</summary>
    public static Tensor Relu6(Tensor input) => Hardtanh(input, 0, 6);

    /// <summary>Logistic sigmoid (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>Softmax along <paramref name="dim"/> (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (<c>F.log_softmax</c>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    // ---------- linear, convolution, pooling, normalisation ----------

    /// <summary>2-D convolution (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1) =>
        Torch.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>2-D max pooling (<c>F.max_pool2d</c>).</summary>
    public static Tensor MaxPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        Torch.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true) =>
        Torch.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <summary>2-D max pooling with square sizes (<c>F.max_pool2d(x, 2)</c>); stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        Torch.MaxPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], [dilation], ceilMode);

    /// <summary>2-D average pooling with square sizes (<c>F.avg_pool2d(x, 2)</c>); stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        Torch.AvgPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], ceilMode, countIncludePad);

    /// <summary>2-D adaptive average pooling (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int[] outputSize) => Torch.AdaptiveAvgPool2d(input, outputSize);

    /// <summary>2-D adaptive average pooling to a square size (<c>F.adaptive_avg_pool2d(x, 1)</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => Torch.AdaptiveAvgPool2d(input, [outputSize, outputSize]);

    /// <summary>Batch normalisation (<c>F.batch_norm</c>).</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5) =>
        Torch.BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);

    /// <summary>Layer normalisation (<c>F.layer_norm</c>).</summary>
    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Torch.LayerNorm(input, normalizedShape, weight, bias, eps);

}
