namespace Ignis.Nn;

/// <summary>Zeroes elements with probability p in training and scales the rest by 1/(1−p) (<c>nn.Dropout</c>).</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; p must lie in [0, 1].</summary>
    public Dropout(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {Ignis.Py.Repr(p)}");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Py(P)}, inplace=False";
}

/// <summary>Zeroes whole channels with probability p in training (<c>nn.Dropout2d</c>).</summary>
public sealed class Dropout2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; p must lie in [0, 1].</summary>
    public Dropout2d(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {Ignis.Py.Repr(p)}");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Py(P)}, inplace=False";
}
