namespace Ignis.Nn;

/// <summary>max(x, 0) (<c>nn.ReLU</c>); <paramref name="inplace"/> is accepted for PyTorch parity and printed, but the result
/// is always a new tensor (Ignis records an in-place op on a graph tensor as its out-of-place form plus a copy, so writing in place would save no memory); the numbers are the same and the input is left unchanged.</summary>
public sealed class ReLU(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>PyTorch's <c>inplace</c> flag (printed; see the class remarks).</summary>
    public bool Inplace { get; } = inplace;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
    /// <inheritdoc/>
    public override string ExtraRepr() => Inplace ? "inplace=True" : "";
}

/// <summary>min(max(x, 0), 6) (<c>nn.ReLU6</c>); <paramref name="inplace"/> is accepted for PyTorch parity and printed, but the result
/// is always a new tensor (Ignis records an in-place op on a graph tensor as its out-of-place form plus a copy, so writing in place would save no memory); the numbers are the same and the input is left unchanged.</summary>
public sealed class ReLU6(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>PyTorch's <c>inplace</c> flag (printed; see the class remarks).</summary>
    public bool Inplace { get; } = inplace;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu6(input);
    /// <inheritdoc/>
    public override string ExtraRepr() => Inplace ? "inplace=True" : "";
}

/// <summary>x for x &gt; 0, else slope·x (<c>nn.LeakyReLU</c>).</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LeakyRelu(input, NegativeSlope);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"negative_slope={PyRepr(NegativeSlope)}";
}

/// <summary>Gaussian error linear unit (<c>nn.GELU</c>); approximate is "none" or "tanh".</summary>
public sealed class GELU(string approximate = "none") : Module<Tensor, Tensor>
{
    /// <summary>"none" (exact) or "tanh".</summary>
    public string Approximate { get; } = approximate;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Gelu(input, Approximate);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>x·σ(x) (<c>nn.SiLU</c>); <paramref name="inplace"/> is accepted for PyTorch parity and printed, but the result
/// is always a new tensor (Ignis records an in-place op on a graph tensor as its out-of-place form plus a copy, so writing in place would save no memory); the numbers are the same and the input is left unchanged.</summary>
public sealed class SiLU(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>PyTorch's <c>inplace</c> flag (printed; see the class remarks).</summary>
    public bool Inplace { get; } = inplace;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input);
    /// <inheritdoc/>
    public override string ExtraRepr() => Inplace ? "inplace=True" : "";
}

/// <summary>Logistic sigmoid (<c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{ /// <inheritdoc/>
  public override Tensor Forward(Tensor input) => input.Sigmoid(); }

/// <summary>Hyperbolic tangent (<c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{ /// <inheritdoc/>
  public override Tensor Forward(Tensor input) => input.Tanh(); }

/// <summary>x·relu6(x+3)/6 (<c>nn.Hardswish</c>); <paramref name="inplace"/> is accepted for PyTorch parity and printed, but the result
/// is always a new tensor (Ignis records an in-place op on a graph tensor as its out-of-place form plus a copy, so writing in place would save no memory); the numbers are the same and the input is left unchanged.</summary>
public sealed class Hardswish(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>PyTorch's <c>inplace</c> flag (printed; see the class remarks).</summary>
    public bool Inplace { get; } = inplace;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardswish(input);
    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}

/// <summary>relu6(x+3)/6 (<c>nn.Hardsigmoid</c>); <paramref name="inplace"/> is accepted for PyTorch parity and printed, but the result
/// is always a new tensor (Ignis records an in-place op on a graph tensor as its out-of-place form plus a copy, so writing in place would save no memory); the numbers are the same and the input is left unchanged.</summary>
public sealed class Hardsigmoid(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>PyTorch's <c>inplace</c> flag (printed; see the class remarks).</summary>
    public bool Inplace { get; } = inplace;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardsigmoid(input);
    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}

/// <summary>Softmax along a dim (<c>nn.Softmax</c>).</summary>
public sealed class Softmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The normalised dim.</summary>
    public int Dimension { get; } = dim;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dimension);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dimension}";
}

/// <summary>Log-softmax along a dim (<c>nn.LogSoftmax</c>).</summary>
public sealed class LogSoftmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The normalised dim.</summary>
    public int Dimension { get; } = dim;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Dimension);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dimension}";
}
