namespace Ignis.Nn;

/// <summary>Shared settings of the dropout layers (<c>_DropoutNd</c>).</summary>
public abstract class DropoutBase : Module<Tensor, Tensor>
{
    private protected DropoutBase(double p, bool inplace)
    {
        P = p;
        Inplace = inplace;
    }

    /// <summary>Drop probability; settable, as PyTorch's <c>module.p = 0.0</c>.</summary>
    public double P
    {
        get => p;
        set { Functional.CheckDropoutP(value); p = value; }
    }
    double p;
    /// <summary>PyTorch's <c>inplace</c> flag: printed, but the result is always a new tensor (same numbers).</summary>
    public bool Inplace { get; }
    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={PyRepr(P)}, inplace={PyRepr(Inplace)}";
}

/// <summary>Zeroes elements with probability p in training and scales the rest by 1/(1−p) (<c>nn.Dropout</c>).</summary>
public sealed class Dropout(double p = 0.5, bool inplace = false) : DropoutBase(p, inplace)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training);
}

/// <summary>Zeroes whole channels with probability p in training (<c>nn.Dropout2d</c>).</summary>
public sealed class Dropout2d(double p = 0.5, bool inplace = false) : DropoutBase(p, inplace)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training);
}
