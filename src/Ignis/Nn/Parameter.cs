namespace Ignis.Nn;

/// <summary>
/// A tensor that is a module parameter (<c>torch.nn.Parameter</c>): assigning one to a field of a
/// <see cref="Module"/> registers it. It shares the wrapped tensor's elements and requires gradients by default.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/> (detached: a parameter is always a leaf).</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(data.storage, (long[])data.shape.Clone(), (long[])data.strides.Clone(), data.offset, data.DType)
    {
        RequiresGrad = requiresGrad;
    }

    /// <summary>
    /// The parameter's elements as a plain tensor (<c>param.data</c>); setting points the parameter at other
    /// elements while it keeps its identity (optimizers and state dicts still refer to it).
    /// </summary>
    public Tensor Data
    {
        get => Detach();
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            SetData(value);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "Parameter containing:\n" + base.ToString();
}
