namespace Ignis.Autograd;

/// <summary>
/// A recorded operation in the autograd graph (<c>grad_fn</c>). Its backward closure maps the gradient of
/// the output to gradients of each input; the engine reduces broadcast gradients and casts dtypes.
/// </summary>
public sealed class Node
{
    Func<Tensor, Tensor?[]>? backward;
    static readonly IReadOnlyDictionary<string, object> NoAttributes = new Dictionary<string, object>();

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, IReadOnlyDictionary<string, object>? attributes, TensorMeta output)
    {
        Name = name;
        Inputs = inputs;
        this.backward = backward;
        Attributes = attributes ?? NoAttributes;
        InputMeta = inputs.Select(TensorMeta.Of).ToArray();
        OutputMeta = output;
    }

    /// <summary>PyTorch's class name for this function, e.g. <c>MulBackward0</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// The op's attributes as ATen names them (<c>stride</c>, <c>padding</c>, <c>dim</c>, <c>keepdim</c>, …), what a
    /// tracer or exporter needs besides the inputs; empty for ops without attributes.
    /// </summary>
    public IReadOnlyDictionary<string, object> Attributes { get; }

    /// <summary>Shape, dtype and device of each input when the op ran.</summary>
    public IReadOnlyList<TensorMeta> InputMeta { get; }

    /// <summary>Shape, dtype and device of the output.</summary>
    public TensorMeta OutputMeta { get; }

    internal Tensor[] Inputs { get; }

    /// <summary>Gradient functions of the inputs (<c>next_functions</c>); null entries are leaves or constants.</summary>
    public IReadOnlyList<Node?> NextFunctions => Inputs.Select(t => t.GradFn).ToArray();

    internal Tensor?[] Apply(Tensor grad)
    {
        var f = backward ?? throw new InvalidOperationException(
            "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
            "Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). " +
            "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.");
        return f(grad);
    }

    /// <summary>The same function under another name.</summary>
    internal Node Renamed(string name) => new(name, Inputs, backward!, Attributes, OutputMeta);

    /// <summary>Drops the saved tensors held by the backward closure.</summary>
    internal void Release() => backward = null;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";
}

/// <summary>What a graph walker knows of a tensor without holding it: shape, dtype and device.</summary>
public sealed record TensorMeta(IReadOnlyList<long> Shape, DType DType, Device Device)
{
    internal static TensorMeta Of(Tensor t) => new(t.Shape, t.DType, t.Device);

    /// <inheritdoc/>
    public override string ToString() => $"{DType.TorchName()[6..]}[{string.Join(", ", Shape)}] on {Device}";
}
