namespace Ignis.Autograd;

/// <summary>Records operations and runs reverse-mode differentiation over the recorded graph.</summary>
internal static class Engine
{
    /// <summary>
    /// Attaches a gradient function to <paramref name="result"/> when grad mode is on and an input requires grad.
    /// <paramref name="saved"/> lists the tensors the backward closure reads (null entries are skipped: ops save an input
    /// only when the other input's gradient needs it, as PyTorch's generated code does); their versions are checked
    /// before the closure runs. A <paramref name="view"/> op's result shares its input's storage and remembers the
    /// input's base, so an in-place write through it can update the base's history (PyTorch's CopySlices).
    /// </summary>
    public static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward,
        IReadOnlyDictionary<string, object>? attributes = null, Tensor?[]? saved = null, bool view = false)
    {
        result.viewBase = view ? inputs[0].viewBase ?? inputs[0] : null;
        result.viewFnBaseFn = result.viewBase?.gradFn;
        // Inputs first: the mode is thread-local, a costlier read than theirs.
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any || !GradMode.IsEnabled) return result;
        if (!result.DType.IsFloatingPoint()) return result;
        result.gradFn = new Node(name, inputs, backward, attributes, TensorMeta.Of(result), saved, result);
        result.SetRequiresGradInternal();
        return result;
    }

    /// <summary>An attribute table for <see cref="Record"/>: <c>Attrs(("dim", 1), ("keepdim", true))</c>.</summary>
    public static IReadOnlyDictionary<string, object> Attrs(params (string Name, object Value)[] attributes)
    {
        var d = new Dictionary<string, object>(attributes.Length);
        foreach (var (n, v) in attributes) d[n] = v;
        return d;
    }

    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("element 0 of tensors does not require grad and does not have a grad_fn");
        if (gradient is null)
        {
            if (root.Numel != 1) throw new InvalidOperationException("grad can be implicitly created only for scalar outputs");
            gradient = Torch.OnesLike(root);
        }
        else if (!gradient.shape.SequenceEqual(root.shape))
            throw new ArgumentException($"Mismatch in shape: grad_output[0] has a shape of {Tensor.ShapeStr(gradient.shape)} and output[0] has a shape of {Tensor.ShapeStr(root.shape)}.");

        using var _ = GradMode.Set(false);
        var leafGrads = new Dictionary<Tensor, (Tensor Grad, bool Owned)>(ReferenceEqualityComparer.Instance);
        if (root.IsLeaf) // (reading IsLeaf also regenerates a stale view's grad_fn)
        {
            Accumulate(leafGrads, root, gradient, owned: false);
        }
        else
        {
            var order = TopologicalOrder(root.gradFn!);
            var grads = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance) { [root.gradFn!] = gradient };
            var retained = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
            // Nodes whose pending gradient no other tensor references (made by one backward function for that node
            // alone, or a fresh sum): a view of it passed on by a view's backward (TBackward of a Linear's W.T) still
            // belongs to the next consumer alone, so a leaf can adopt it instead of copying (411 MB for vgg16's fc6).
            var ownedGrads = new HashSet<Node>(ReferenceEqualityComparer.Instance);
            if (root.retainsGrad) retained[root.gradFn!] = root;
            foreach (var node in order)
            {
                if (!grads.Remove(node, out var g)) continue;
                var passThrough = ownedGrads.Remove(node) ? g.storage : null;
                long mark = Backends.Storage.NextId;
                var inputGrads = node.Apply(g);
                if (!retainGraph) node.Release();
                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    var input = node.Inputs[i];
                    var gi = i < inputGrads.Length ? inputGrads[i] : null;
                    if (gi is null || !node.InputRequiresGrad[i]) continue;
                    gi = Conform(gi, input);
                    bool owned = Exclusive(gi, i, inputGrads, mark, passThrough);
                    if (node.InputFns[i] is not { } fn) Accumulate(leafGrads, input, gi, owned && Whole(gi));
                    else
                    {
                        bool summed = grads.TryGetValue(fn, out var prev);
                        grads[fn] = summed ? prev!.Add(gi) : gi;
                        if (summed || owned) ownedGrads.Add(fn);
                        else ownedGrads.Remove(fn);
                        // retain_grad follows the tensor's current grad_fn (an in-place op moves it, as in PyTorch).
                        if (input.retainsGrad && ReferenceEquals(input.gradFn, fn))
                        {
                            leafGrads[input] = (grads[fn], false);
                            ownedGrads.Remove(fn);
                        }
                    }
                }
            }
        }
        foreach (var (t, (g, owned)) in leafGrads)
        {
            if (!t.IsLeaf)
            {
                t.Grad = t.Grad is null ? g.ContiguousRaw() : t.Grad.Add(g);
                continue;
            }
            // A gradient may be shared (AddBackward passes one tensor to both inputs, views alias their base), so a
            // leaf adopts it only when this backward pass created its storage for that input alone; else it copies.
            if (t.Grad is null)
            {
                t.Grad = owned ? g : g.CopyRaw();
                // A leaf's gradient lives as long as the leaf (parameters outlive a step's dispose scope).
                t.Grad.DetachFromDisposeScope();
            }
            else t.Grad.Add_(g);
        }
    }

    /// <summary>
    /// True when gradient <paramref name="i"/>'s storage belongs to it alone: fresh from this backward function, or the
    /// storage of an incoming gradient the function owned (<paramref name="passThrough"/>), and shared with no other
    /// returned gradient.
    /// </summary>
    static bool Exclusive(Tensor g, int i, Tensor?[] all, long mark, Backends.Storage? passThrough)
    {
        if (g.storage.Id < mark && !ReferenceEquals(g.storage, passThrough)) return false;
        for (int j = 0; j < all.Length; j++)
            if (j != i && all[j] is { } other && ReferenceEquals(other.storage, g.storage)) return false;
        return true;
    }

    /// <summary>A gradient a leaf can keep as its .grad: contiguous and the whole of its storage.</summary>
    static bool Whole(Tensor g) => g.IsContiguous && g.offset == 0 && g.Numel == g.storage.Length;

    static void Accumulate(Dictionary<Tensor, (Tensor Grad, bool Owned)> leafGrads, Tensor t, Tensor g, bool owned)
    {
        leafGrads[t] = leafGrads.TryGetValue(t, out var prev) ? (prev.Grad.Add(g), true) : (g, owned);
    }

    /// <summary>Sums a broadcast gradient back to the input's shape and casts it to the input's dtype.</summary>
    static Tensor Conform(Tensor g, Tensor input)
    {
        if (!g.shape.SequenceEqual(input.shape)) g = g.SumToShape(input.shape);
        if (g.DType != input.DType) g = g.ToDTypeRaw(input.DType);
        return g;
    }

    /// <summary>Nodes ordered so that every node comes before the nodes it feeds gradients to.</summary>
    static List<Node> TopologicalOrder(Node root)
    {
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var post = new List<Node>();
        var stack = new Stack<(Node node, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Inputs.Length)
            {
                stack.Push((node, next + 1));
                var child = node.InputFns[next];
                if (child != null && visited.Add(child)) stack.Push((child, 0));
            }
            else post.Add(node);
        }
        post.Reverse();
        return post;
    }
}
