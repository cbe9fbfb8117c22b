namespace Ignis.Nn;

/// <summary>A loss criterion: <c>Forward(input, target)</c> with a reduction of "mean", "sum" or "none" (<c>nn._Loss</c>).</summary>
public abstract class Loss : Module
{
    private protected Loss(string reduction)
    {
        Functional.CheckReduction(reduction);
        Reduction = reduction;
    }

    /// <summary>"mean", "sum" or "none".</summary>
    public string Reduction { get; }

    /// <summary>Computes the loss.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);
}

/// <summary>Cross-entropy of logits against class indices or probabilities (<c>nn.CrossEntropyLoss</c>).</summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>Creates the criterion; <paramref name="weight"/> rescales each class.</summary>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean", double labelSmoothing = 0) : base(reduction)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
        RegisterBuffer("weight", weight);
    }
    /// <summary>Per-class weights, or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Target value that contributes nothing.</summary>
    public long IgnoreIndex { get; }
    /// <summary>Smoothing ε in [0, 1].</summary>
    public double LabelSmoothing { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}

/// <summary>Negative log-likelihood of log-probabilities (<c>nn.NLLLoss</c>).</summary>
public sealed class NLLLoss : Loss
{
    /// <summary>Creates the criterion.</summary>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean") : base(reduction)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        RegisterBuffer("weight", weight);
    }
    /// <summary>Per-class weights, or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Target value that contributes nothing.</summary>
    public long IgnoreIndex { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}

/// <summary>Mean squared error (<c>nn.MSELoss</c>).</summary>
public sealed class MSELoss(string reduction = "mean") : Loss(reduction)
{ /// <inheritdoc/>
  public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction); }

/// <summary>Mean absolute error (<c>nn.L1Loss</c>).</summary>
public sealed class L1Loss(string reduction = "mean") : Loss(reduction)
{ /// <inheritdoc/>
  public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction); }

/// <summary>Smooth L1 (Huber-like) loss (<c>nn.SmoothL1Loss</c>).</summary>
public sealed class SmoothL1Loss(string reduction = "mean", double beta = 1.0) : Loss(reduction)
{
    /// <summary>Threshold between the quadratic and linear parts.</summary>
    public double Beta { get; } = beta;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}

/// <summary>Binary cross-entropy of probabilities (<c>nn.BCELoss</c>).</summary>
public sealed class BCELoss : Loss
{
    /// <summary>Creates the criterion.</summary>
    public BCELoss(Tensor? weight = null, string reduction = "mean") : base(reduction) { Weight = weight; RegisterBuffer("weight", weight); }
    /// <summary>Per-element weights, or null.</summary>
    public Tensor? Weight { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}

/// <summary>Binary cross-entropy on logits (<c>nn.BCEWithLogitsLoss</c>).</summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>Creates the criterion; <paramref name="posWeight"/> weights positive examples.</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null) : base(reduction)
    {
        Weight = weight;
        PosWeight = posWeight;
        RegisterBuffer("weight", weight);
        RegisterBuffer("pos_weight", posWeight);
    }
    /// <summary>Per-element weights, or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Weight of positive examples, or null.</summary>
    public Tensor? PosWeight { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}
