namespace Ignis.Nn;

/// <summary>
/// 2-D max pooling (<c>nn.MaxPool2d</c>); stride defaults to the kernel size. Sizes are one int (square) or an
/// (h, w) pair, printed as PyTorch prints what it was given.
/// </summary>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    readonly string[] repr;

    /// <summary>Square window, stride, padding and dilation.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        KernelSize = [kernelSize, kernelSize];
        Stride = stride is int s ? [s, s] : KernelSize;
        Padding = [padding, padding];
        Dilation = [dilation, dilation];
        CeilMode = ceilMode;
        repr = [kernelSize.ToString(), (stride ?? kernelSize).ToString(), padding.ToString(), dilation.ToString()];
    }

    /// <summary>(h, w) window, stride, padding and dilation (<c>nn.MaxPool2d((3, 2), stride=(2, 1))</c>).</summary>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, bool ceilMode = false)
    {
        KernelSize = [kernelSize.H, kernelSize.W];
        Stride = stride is { } s ? [s.H, s.W] : KernelSize;
        Padding = padding is { } p ? [p.H, p.W] : [0, 0];
        Dilation = dilation is { } d ? [d.H, d.W] : [1, 1];
        CeilMode = ceilMode;
        repr = [PyTuple(KernelSize), stride is null ? PyTuple(KernelSize) : PyTuple(Stride), padding is null ? "0" : PyTuple(Padding), dilation is null ? "1" : PyTuple(Dilation)];
    }

    /// <summary>Window size (h, w).</summary>
    public int[] KernelSize { get; }
    /// <summary>Step between windows (h, w).</summary>
    public int[] Stride { get; }
    /// <summary>Implicit −∞ padding (h, w).</summary>
    public int[] Padding { get; }
    /// <summary>Window dilation (h, w).</summary>
    public int[] Dilation { get; }
    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size={repr[0]}, stride={repr[1]}, padding={repr[2]}, dilation={repr[3]}, ceil_mode={PyRepr(CeilMode)}";
}

/// <summary>2-D average pooling (<c>nn.AvgPool2d</c>); sizes are one int (square) or an (h, w) pair.</summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    readonly string[] repr;

    /// <summary>Square window, stride and padding.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        KernelSize = [kernelSize, kernelSize];
        Stride = stride is int s ? [s, s] : KernelSize;
        Padding = [padding, padding];
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        repr = [kernelSize.ToString(), (stride ?? kernelSize).ToString(), padding.ToString()];
    }

    /// <summary>(h, w) window, stride and padding (<c>nn.AvgPool2d((3, 2), stride=(2, 1))</c>).</summary>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        KernelSize = [kernelSize.H, kernelSize.W];
        Stride = stride is { } s ? [s.H, s.W] : KernelSize;
        Padding = padding is { } p ? [p.H, p.W] : [0, 0];
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        repr = [PyTuple(KernelSize), stride is null ? PyTuple(KernelSize) : PyTuple(Stride), padding is null ? "0" : PyTuple(Padding)];
    }

    /// <summary>Window size (h, w).</summary>
    public int[] KernelSize { get; }
    /// <summary>Step between windows (h, w).</summary>
    public int[] Stride { get; }
    /// <summary>Implicit zero padding (h, w).</summary>
    public int[] Padding { get; }
    /// <summary>Whether the output size rounds up.</summary>
    public bool CeilMode { get; }
    /// <summary>Whether padding counts in the divisor.</summary>
    public bool CountIncludePad { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size={repr[0]}, stride={repr[1]}, padding={repr[2]}";
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
