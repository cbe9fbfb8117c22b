namespace Ignis.Nn;

/// <summary>Shared settings of the dropout layers (<c>_DropoutNd</c>).</summary>
public abstract class DropoutBase : Module<Tensor, Tensor>
{
    private protected DropoutBase(double p)
    {
        Functional.CheckDropoutP(p);
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }
    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={PyRepr(P)}, inplace=False";
}

/// <summary>Zeroes elements with probability p in training and scales the rest by 1/(1−p) (<c>nn.Dropout</c>).</summary>
public sealed class Dropout(double p = 0.5) : DropoutBase(p)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training);
}

/// <summary>Zeroes whole channels with probability p in training (<c>nn.Dropout2d</c>).</summary>
public sealed class Dropout2d(double p = 0.5) : DropoutBase(p)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training);
}
