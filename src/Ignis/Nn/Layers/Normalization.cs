namespace Ignis.Nn;

/// <summary>Shared state and forward pass of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (<c>_BatchNorm</c>).</summary>
public abstract class BatchNormBase : Module<Tensor, Tensor>
{
    private protected BatchNormBase(long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType? dtype, Device? device)
    {
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = new Parameter(Torch.Ones([numFeatures], dtype, device));
            Bias = new Parameter(Torch.Zeros([numFeatures], dtype, device));
        }
        RegisterParameter("weight", Weight);
        RegisterParameter("bias", Bias);
        if (trackRunningStats)
        {
            RunningMean = Torch.Zeros([numFeatures], dtype, device);
            RunningVar = Torch.Ones([numFeatures], dtype, device);
            NumBatchesTracked = Torch.Zeros([], DType.Int64, device);
        }
        RegisterBuffer("running_mean", RunningMean);
        RegisterBuffer("running_var", RunningVar);
        RegisterBuffer("num_batches_tracked", NumBatchesTracked);
    }

    /// <summary>Channels C.</summary>
    public long NumFeatures { get; }
    /// <summary>Added to the variance (1e-5).</summary>
    public double Eps { get; }
    /// <summary>Running-average factor (0.1); null means a cumulative average.</summary>
    public double? Momentum { get; }
    /// <summary>Whether the layer has a learnable scale and shift.</summary>
    public bool Affine { get; }
    /// <summary>Whether running statistics are kept.</summary>
    public bool TrackRunningStats { get; }
    /// <summary>Scale γ, or null.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift β, or null.</summary>
    public Parameter? Bias { get; }
    /// <summary>Running mean buffer.</summary>
    public Tensor? RunningMean { get; }
    /// <summary>Running (unbiased) variance buffer.</summary>
    public Tensor? RunningVar { get; }
    /// <summary>Number of training batches seen (int64 scalar).</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Throws when the input rank does not suit the layer.</summary>
    protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckInputDim(input);
        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats && NumBatchesTracked is not null)
        {
            using (Torch.NoGrad()) NumBatchesTracked.Add_(1L);
            factor = Momentum ?? 1.0 / NumBatchesTracked.Item<long>();
        }
        bool bnTraining = Training || (RunningMean is null && RunningVar is null);
        bool useRunning = !Training || TrackRunningStats;
        return Torch.BatchNorm(input, useRunning ? RunningMean : null, useRunning ? RunningVar : null, Weight, Bias, bnTraining, factor, Eps);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={PyRepr(Eps)}, momentum={(Momentum is double m ? PyRepr(m) : "None")}, affine={PyRepr(Affine)}, track_running_stats={PyRepr(TrackRunningStats)}";
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] input (<c>nn.BatchNorm1d</c>).</summary>
public sealed class BatchNorm1d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim is not (2 or 3)) throw new ArgumentException($"expected 2D or 3D input (got {input.Dim}D input)");
    }
}

/// <summary>Batch normalisation of [N, C, H, W] input (<c>nn.BatchNorm2d</c>).</summary>
public sealed class BatchNorm2d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim != 4) throw new ArgumentException($"expected 4D input (got {input.Dim}D input)");
    }
}

/// <summary>Layer normalisation over the trailing dims (<c>nn.LayerNorm</c>).</summary>
public class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>Normalises over trailing dims of <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType? dtype = null, Device? device = null)
    {
        NormalizedShape = (long[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            Weight = new Parameter(Torch.Ones(normalizedShape, dtype, device));
            Bias = new Parameter(Torch.Zeros(normalizedShape, dtype, device));
        }
        RegisterParameter("weight", Weight);
        RegisterParameter("bias", Bias);
    }

    /// <summary>Normalises over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long normalizedShape, double eps = 1e-5, bool elementwiseAffine = true) : this([normalizedShape], eps, elementwiseAffine) { }

    /// <summary>The normalised trailing shape.</summary>
    public long[] NormalizedShape { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Whether there is a learnable scale and shift.</summary>
    public bool ElementwiseAffine { get; }
    /// <summary>Scale, or null.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift, or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Torch.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"({string.Join(", ", NormalizedShape)}{(NormalizedShape.Length == 1 ? "," : "")}), eps={PyRepr(Eps)}, elementwise_affine={PyRepr(ElementwiseAffine)}";
}
