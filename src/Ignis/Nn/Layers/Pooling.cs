namespace Ignis.Nn;

/// <summary>2-D max pooling (<c>nn.MaxPool2d</c>); stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>Implicit −∞ padding.</summary>
    public int Padding { get; } = padding;
    /// <summary>Window dilation.</summary>
    public int Dilation { get; } = dilation;
    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.MaxPool2d(input, [KernelSize], [Stride], [Padding], [Dilation], CeilMode);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={PyRepr(CeilMode)}";
}

/// <summary>2-D average pooling (<c>nn.AvgPool2d</c>).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>Implicit zero padding.</summary>
    public int Padding { get; } = padding;
    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <summary>Whether padding counts in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.AvgPool2d(input, [KernelSize], [Stride], [Padding], CeilMode, CountIncludePad);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>2-D adaptive average pooling to a fixed output size (<c>nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    readonly string repr;
    /// <summary>Square output size.</summary>
    public AdaptiveAvgPool2d(int outputSize) { OutputSize = [outputSize, outputSize]; repr = outputSize.ToString(); }
    /// <summary>(height, width) output size.</summary>
    public AdaptiveAvgPool2d(int height, int width) { OutputSize = [height, width]; repr = $"({height}, {width})"; }
    /// <summary>(height, width).</summary>
    public int[] OutputSize { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.AdaptiveAvgPool2d(input, OutputSize);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"output_size={repr}";
}
