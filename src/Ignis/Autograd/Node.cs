namespace Ignis.Autograd;

/// <summary>
/// A recorded operation in the autograd graph (<c>grad_fn</c>). Its backward closure maps the gradient of
/// the output to gradients of each input; the engine reduces broadcast gradients and casts dtypes.
/// </summary>
public sealed class Node
{
    Func<Tensor, Tensor?[]>? backward;
    static readonly IReadOnlyDictionary<string, object> NoAttributes = new Dictionary<string, object>();

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, IReadOnlyDictionary<string, object>? attributes,
        TensorMeta output, Tensor?[]? saved = null, Tensor? result = null)
    {
        Name = name;
        Inputs = inputs;
        this.backward = backward;
        Attributes = attributes ?? NoAttributes;
        InputMeta = inputs.Select(TensorMeta.Of).ToArray();
        OutputMeta = output;
        // Edges are taken now, as PyTorch's are: an input modified in place later gets a new grad_fn, but this node's
        // gradient still belongs to the function that produced the value it read.
        InputFns = new Node?[inputs.Length];
        InputRequiresGrad = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) { InputFns[i] = inputs[i].CurrentGradFn(); InputRequiresGrad[i] = inputs[i].RequiresGrad; }
        Saved = SavedTensor.Of(saved, result);
    }

    Node(Node other, string name)
    {
        Name = name;
        Inputs = other.Inputs;
        backward = other.backward;
        Attributes = other.Attributes;
        InputMeta = other.InputMeta;
        OutputMeta = other.OutputMeta;
        InputFns = other.InputFns;
        InputRequiresGrad = other.InputRequiresGrad;
        Saved = other.Saved;
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

    /// <summary>Each input's grad_fn when the op ran (null for leaves and constants).</summary>
    internal Node?[] InputFns { get; }

    /// <summary>Whether each input required grad when the op ran.</summary>
    internal bool[] InputRequiresGrad { get; }

    /// <summary>The tensors the backward closure reads, with the version each had when saved.</summary>
    internal SavedTensor[] Saved { get; }

    /// <summary>Gradient functions of the inputs (<c>next_functions</c>); null entries are leaves or constants.</summary>
    public IReadOnlyList<Node?> NextFunctions => InputFns;

    /// <summary>True when <paramref name="t"/> is one of the tensors this node saved.</summary>
    internal bool Saves(Tensor t)
    {
        foreach (var s in Saved) if (ReferenceEquals(s.Tensor, t)) return true;
        return false;
    }

    /// <summary>Re-reads the storage and version of a saved tensor whose data was rebound (an in-place op's result or original self).</summary>
    internal void RefreshSaved(Tensor t)
    {
        for (int i = 0; i < Saved.Length; i++)
            if (ReferenceEquals(Saved[i].Tensor, t)) Saved[i] = Saved[i] with { Storage = t.storage, Version = t.storage.Version };
    }

    internal Tensor?[] Apply(Tensor grad)
    {
        foreach (var s in Saved) s.Check(this);
        var f = backward ?? throw new InvalidOperationException(
            "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
            "Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). " +
            "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.");
        return f(grad);
    }

    /// <summary>The same function under another name.</summary>
    internal Node Renamed(string name) => new(this, name);

    /// <summary>Drops the saved tensors held by the backward closure.</summary>
    internal void Release() => backward = null;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";
}

/// <summary>
/// A tensor a backward closure reads, with its storage's version when it was saved (PyTorch's <c>SavedVariable</c>).
/// <paramref name="IsOutput"/> marks the node's own result, which PyTorch's message names as "output 0 of" the node.
/// </summary>
internal readonly record struct SavedTensor(Tensor Tensor, Backends.Storage Storage, long Version, bool IsOutput)
{
    internal static SavedTensor[] Of(Tensor?[]? saved, Tensor? result)
    {
        if (saved is null || saved.Length == 0) return [];
        var list = new List<SavedTensor>(saved.Length);
        foreach (var t in saved)
            if (t is not null) list.Add(new(t, t.storage, t.storage.Version, ReferenceEquals(t, result)));
        return [.. list];
    }

    /// <summary>Raises PyTorch's error when the saved tensor was modified in place after it was saved.</summary>
    internal void Check(Node owner)
    {
        long now = Storage.Version;
        if (now == Version) return;
        var fn = IsOutput ? owner : Tensor.gradFn;
        string which = fn is null ? "" : $", which is output 0 of {fn.Name},";
        throw new InvalidOperationException(
            $"one of the variables needed for gradient computation has been modified by an inplace operation: [{Tensor.LegacyTypeName()} " +
            $"[{string.Join(", ", Tensor.shape)}]]{which} is at version {now}; expected version {Version} instead. Hint: enable anomaly " +
            "detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).");
    }
}

/// <summary>What a graph walker knows of a tensor without holding it: shape, dtype and device.</summary>
public sealed record TensorMeta(IReadOnlyList<long> Shape, DType DType, Device Device)
{
    internal static TensorMeta Of(Tensor t) => new(t.Shape, t.DType, t.Device);

    /// <inheritdoc/>
    public override string ToString() => $"{DType.TorchName()[6..]}[{string.Join(", ", Shape)}] on {Device}";
}
