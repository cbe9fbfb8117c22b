namespace Ignis.Nn;

/// <summary>2-D convolution (<c>nn.Conv2d</c>) with PyTorch's default initialisation (kaiming_uniform_(a=√5), U(±1/√fan_in) bias).</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with square kernel, stride, padding and dilation.</summary>
    public Conv2d(long inChannels, long outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, DType? dtype = null, Device? device = null)
        : this(inChannels, outChannels, [kernelSize, kernelSize], [stride, stride], [padding, padding], [dilation, dilation], groups, bias, dtype, device) { }

    /// <summary>Creates the layer with (height, width) pairs.</summary>
    public Conv2d(long inChannels, long outChannels, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null,
        int groups = 1, bool bias = true, DType? dtype = null, Device? device = null)
    {
        if (groups <= 0) throw new ArgumentException("groups must be a positive integer");
        if (inChannels % groups != 0) throw new ArgumentException("in_channels must be divisible by groups");
        if (outChannels % groups != 0) throw new ArgumentException("out_channels must be divisible by groups");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = Pair(kernelSize);
        Stride = Pair(stride ?? [1]);
        Padding = Pair(padding ?? [0]);
        Dilation = Pair(dilation ?? [1]);
        Groups = groups;
        Weight = new Parameter(Torch.Empty([outChannels, inChannels / groups, KernelSize[0], KernelSize[1]], dtype, device));
        Bias = bias ? new Parameter(Torch.Empty([outChannels], dtype, device)) : null;
        RegisterParameter("weight", Weight);
        RegisterParameter("bias", Bias);
        ResetParameters();
    }

    static int[] Pair(int[] v) => v.Length switch
    {
        1 => [v[0], v[0]],
        2 => [v[0], v[1]],
        _ => throw new ArgumentException("expected an int or a pair of ints"),
    };

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels.</summary>
    public long OutChannels { get; }
    /// <summary>(kh, kw).</summary>
    public int[] KernelSize { get; }
    /// <summary>(sh, sw).</summary>
    public int[] Stride { get; }
    /// <summary>(ph, pw) zero padding.</summary>
    public int[] Padding { get; }
    /// <summary>(dh, dw).</summary>
    public int[] Dilation { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }
    /// <summary>[out, in/groups, kh, kw] weight.</summary>
    public Parameter Weight { get; }
    /// <summary>[out] bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters with PyTorch's default initialisation.</summary>
    public void ResetParameters()
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5));
        if (Bias is not null)
        {
            var (fanIn, _) = Init.CalculateFanInAndFanOut(Weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Init.Uniform_(Bias, -bound, bound);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size={PyTuple(KernelSize)}, stride={PyTuple(Stride)}";
        if (Padding.Any(p => p != 0)) s += $", padding={PyTuple(Padding)}";
        if (Dilation.Any(d => d != 1)) s += $", dilation={PyTuple(Dilation)}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s;
    }
}
