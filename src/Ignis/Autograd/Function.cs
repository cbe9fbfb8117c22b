namespace Ignis.Autograd;

/// <summary>
/// What a custom function's forward hands to its backward (PyTorch: the <c>ctx</c> of <c>torch.autograd.Function</c>).
/// A new context (and a new function instance) is made for every <see cref="Function{TSelf}.Apply"/>, so instance
/// fields of the function may also carry state from forward to backward, as <c>ctx.attribute = …</c> does in PyTorch.
/// </summary>
public sealed class FunctionContext
{
    Tensor[] saved = [];
    readonly List<Tensor> nonDifferentiable = [];

    internal FunctionContext(bool[] needsInputGrad) => NeedsInputGrad = needsInputGrad;

    /// <summary>Which inputs need a gradient (<c>ctx.needs_input_grad</c>): backward may return null for the others.</summary>
    public IReadOnlyList<bool> NeedsInputGrad { get; }

    /// <summary>Keeps tensors for backward (<c>ctx.save_for_backward(*tensors)</c>); call it from forward, once.</summary>
    public void SaveForBackward(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        saved = [.. tensors];
    }

    /// <summary>The tensors given to <see cref="SaveForBackward"/> (<c>ctx.saved_tensors</c>).</summary>
    public IReadOnlyList<Tensor> SavedTensors => saved;

    /// <summary>Declares the output not differentiable (<c>ctx.mark_non_differentiable(output)</c>): it gets no grad_fn.</summary>
    public void MarkNonDifferentiable(params Tensor[] outputs) => nonDifferentiable.AddRange(outputs);

    internal bool IsNonDifferentiable(Tensor t) => nonDifferentiable.Any(o => ReferenceEquals(o, t));
}

/// <summary>
/// A user-defined differentiable operation (PyTorch: <c>torch.autograd.Function</c> with static <c>forward</c> /
/// <c>backward</c>). Subclass it, override <see cref="Forward"/> and <see cref="Backward"/>, and call
/// <c>MyFunction.Apply(x, …)</c>:
/// <code>
/// sealed class LegendrePolynomial3 : Function&lt;LegendrePolynomial3&gt;
/// {
///     protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
///     {
///         ctx.SaveForBackward(inputs[0]);
///         return 0.5 * (5 * inputs[0].Pow(3) - 3 * inputs[0]);
///     }
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
///         [gradOutput * 1.5 * (5 * ctx.SavedTensors[0].Pow(2) - 1)];
/// }
/// </code>
/// Forward runs with gradient recording off; its result gets a grad_fn named <c>&lt;Type&gt;Backward</c> whose backward
/// is yours. Backward returns one gradient per input (null where none), each shaped like its input (or broadcastable
/// to it), and may itself use differentiable ops. <see cref="GradCheck"/> checks a function against finite differences.
/// </summary>
/// <typeparam name="TSelf">The subclass itself, so <c>Apply</c> can create a fresh instance per call.</typeparam>
public abstract class Function<TSelf> where TSelf : Function<TSelf>, new()
{
    /// <summary>Computes the output from the inputs; runs with autograd recording off.</summary>
    protected abstract Tensor Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>Maps the gradient of the output to one gradient per input (null for an input without one).</summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);

    /// <summary>Runs the function and records it in the autograd graph (<c>Function.apply(*inputs)</c>).</summary>
    public static Tensor Apply(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var fn = new TSelf();
        var ctx = new FunctionContext(inputs.Select(t => t.RequiresGrad).ToArray());
        Tensor result;
        using (Torch.NoGrad()) result = fn.Forward(ctx, inputs);
        if (result is null) throw new InvalidOperationException($"{typeof(TSelf).Name}.Forward returned null");
        if (ctx.IsNonDifferentiable(result)) return result;
        // An output that is an input (or any tensor already in a graph) is recorded on an alias, never on the caller's tensor.
        if (inputs.Any(t => ReferenceEquals(t, result)) || result.RequiresGrad) result = result.Detach();
        string name = typeof(TSelf).Name + "Backward";
        var inputMeta = inputs.Select(TensorMeta.Of).ToArray();
        return Engine.Record(result, name, inputs, g =>
        {
            var grads = fn.Backward(ctx, g) ?? throw new InvalidOperationException($"function {name} returned null instead of a gradient array");
            if (grads.Length != inputs.Length)
                throw new InvalidOperationException($"function {name} returned an incorrect number of gradients (expected {inputs.Length}, got {grads.Length})");
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } gi) continue;
                if (!inputs[i].RequiresGrad) { grads[i] = null; continue; }
                if (!Broadcastable(gi.Shape, inputMeta[i].Shape))
                    throw new InvalidOperationException(
                        $"Function {name} returned an invalid gradient at index {i} - got [{string.Join(", ", gi.Shape)}] but expected shape compatible with [{string.Join(", ", inputMeta[i].Shape)}]");
            }
            return grads;
        }, saved: [.. ctx.SavedTensors]);
    }

    // As autograd's validate_outputs: a gradient may have the input's shape or one the input broadcasts to (the engine
    // sums it back); anything else is a bug in the function's backward.
    static bool Broadcastable(long[] grad, IReadOnlyList<long> input)
    {
        if (input.Count > grad.Length) return false;
        for (int i = 1; i <= input.Count; i++)
            if (input[^i] != grad[^i] && input[^i] != 1) return false;
        return true;
    }
}
