using System.Globalization;

namespace Ignis.Optim;

/// <summary>A set of parameters sharing hyperparameters (<c>param_groups[i]</c>); option values are doubles, bools or (double, double) tuples.</summary>
public sealed class ParamGroup
{
    /// <summary>Creates a group; options not given here come from the optimizer's defaults.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, object>? options = null)
    {
        Params = parameters.ToList();
        if (options is not null) foreach (var (k, v) in options) Options[k] = v;
    }

    /// <summary>The group's parameters.</summary>
    public List<Tensor> Params { get; }

    /// <summary>Hyperparameters by PyTorch name ("lr", "momentum", "betas", "weight_decay", …).</summary>
    public Dictionary<string, object> Options { get; } = new();

    /// <summary>Learning rate (<c>group['lr']</c>).</summary>
    public double Lr { get => Double("lr"); set => Options["lr"] = value; }

    /// <summary>A numeric option.</summary>
    public double Double(string key) => Convert.ToDouble(Options[key], CultureInfo.InvariantCulture);

    /// <summary>A boolean option.</summary>
    public bool Bool(string key) => (bool)Options[key];

    /// <summary>The (β1, β2) pair of Adam-style optimizers.</summary>
    public (double, double) Betas { get => ((double, double))Options["betas"]; set => Options["betas"] = value; }
}

/// <summary>The serialisable state of an optimizer (<c>optimizer.state_dict()</c>): per-parameter state by index, and the groups with parameter indices.</summary>
public sealed class OptimizerStateDict
{
    /// <summary>State of each parameter that has any, by its index across all groups.</summary>
    public Dictionary<int, Dictionary<string, object>> State { get; } = new();

    /// <summary>Each group's options plus "params": the parameter indices (int[]).</summary>
    public List<Dictionary<string, object>> ParamGroups { get; } = new();

    /// <summary>
    /// PyTorch's layout of the same data, <c>{"state": {index: {...}}, "param_groups": [{..., "params": [...]}]}</c> —
    /// what <c>Torch.Save(optimizer.StateDict(), path)</c> writes, so <c>torch.optim.X.load_state_dict(torch.load(path))</c>
    /// reads it.
    /// </summary>
    public OrderedDictionary<object, object?> ToPyTorch()
    {
        var state = new OrderedDictionary<object, object?>();
        foreach (var (index, s) in State.OrderBy(kv => kv.Key))
        {
            var entry = new OrderedDictionary<object, object?>();
            foreach (var (k, v) in s) entry[k] = Plain(v);
            state[(long)index] = entry;
        }
        var groups = new List<object?>();
        foreach (var g in ParamGroups)
        {
            var entry = new OrderedDictionary<object, object?>();
            foreach (var (k, v) in g) entry[k] = k == "params" ? ((int[])v).Select(i => (object?)(long)i).ToList() : Plain(v);
            groups.Add(entry);
        }
        return new OrderedDictionary<object, object?> { ["state"] = state, ["param_groups"] = groups };
    }

    static object? Plain(object v) => v switch
    {
        (double a, double b) => new object?[] { a, b },
        int i => (long)i,
        float f => (double)f,
        _ => v,
    };

    /// <summary>
    /// Reads PyTorch's layout (a <c>Torch.Load</c> result of an optimizer's <c>state_dict()</c>); two-number tuples such
    /// as <c>betas</c> become value tuples and options PyTorch stores as None are left out.
    /// </summary>
    public static OptimizerStateDict FromPyTorch(object? loaded)
    {
        if (loaded is not OrderedDictionary<object, object?> root || !root.TryGetValue("state", out var st) || !root.TryGetValue("param_groups", out var pg)
            || st is not OrderedDictionary<object, object?> state || pg is not List<object?> groups)
            throw new ArgumentException("not an optimizer state dict: expected {\"state\": {...}, \"param_groups\": [...]}");
        var sd = new OptimizerStateDict();
        foreach (var (k, v) in state)
        {
            // A per-parameter state of tensors only loads as a string → tensor dictionary; any other as object → object.
            if (k is not long index || v is not System.Collections.IDictionary entries) throw new ArgumentException("optimizer state must map parameter indices to dicts");
            var s = new Dictionary<string, object>();
            foreach (System.Collections.DictionaryEntry e in entries)
                if (e.Key is string n && e.Value is not null) s[n] = FromPlain(e.Value);
            sd.State[checked((int)index)] = s;
        }
        foreach (var g in groups)
        {
            if (g is not OrderedDictionary<object, object?> entries) throw new ArgumentException("param_groups must hold dicts");
            var d = new Dictionary<string, object>();
            foreach (var (name, value) in entries)
            {
                if (name is not string n || value is null) continue;
                d[n] = n == "params" ? ((List<object?>)value).Select(i => checked((int)(long)i!)).ToArray() : FromPlain(value);
            }
            if (!d.ContainsKey("params")) throw new ArgumentException("a param group has no \"params\"");
            sd.ParamGroups.Add(d);
        }
        return sd;
    }

    static object FromPlain(object v) => v switch
    {
        object?[] { Length: 2 } t when t[0] is double or long && t[1] is double or long => (System.Convert.ToDouble(t[0], CultureInfo.InvariantCulture), System.Convert.ToDouble(t[1], CultureInfo.InvariantCulture)),
        _ => v,
    };
}

/// <summary>Base class of optimizers (<c>torch.optim.Optimizer</c>): parameter groups, per-parameter state, zeroing and state dicts.</summary>
public abstract class Optimizer
{
    readonly Dictionary<string, object> defaults;

    /// <summary>Creates the optimizer over one group of <paramref name="parameters"/> with <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, Dictionary<string, object> defaults)
        : this([new ParamGroup(parameters)], defaults) { }

    /// <summary>Creates the optimizer over several groups; options a group lacks come from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, Dictionary<string, object> defaults)
    {
        this.defaults = defaults;
        var list = groups.ToList();
        if (list.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
        foreach (var g in list) AddParamGroup(g);
    }

    /// <summary>The parameter groups (<c>param_groups</c>).</summary>
    public List<ParamGroup> ParamGroups { get; } = [];

    /// <summary>Per-parameter state (<c>state</c>), keyed by the parameter object.</summary>
    public Dictionary<Tensor, Dictionary<string, object>> State { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds a group, filling unspecified options from the defaults (<c>add_param_group</c>).</summary>
    public void AddParamGroup(ParamGroup group)
    {
        if (group.Params.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
        foreach (var p in group.Params)
        {
            if (!p.IsLeaf) throw new ArgumentException("can't optimize a non-leaf Tensor");
            if (ParamGroups.Any(g => g.Params.Any(q => ReferenceEquals(p, q))))
                throw new ArgumentException("some parameters appear in more than one parameter group");
        }
        foreach (var (k, v) in defaults) group.Options.TryAdd(k, v);
        ParamGroups.Add(group);
    }

    /// <summary>Clears every parameter's gradient, or zeroes it when <paramref name="setToNone"/> is false (<c>zero_grad</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var g in ParamGroups)
            foreach (var p in g.Params)
            {
                if (p.Grad is null) continue;
                if (setToNone) p.Grad = null;
                else using (Torch.NoGrad()) p.Grad.Zero_();
            }
    }

    /// <summary>Updates every parameter that has a gradient (<c>step</c>).</summary>
    public void Step()
    {
        using var _ = Torch.NoGrad();
        foreach (var g in ParamGroups) StepGroup(g);
    }

    /// <summary>Re-evaluates the loss with <paramref name="closure"/> (gradients on), then steps; returns the loss.</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        Tensor loss;
        using (Torch.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>Updates the parameters of one group; runs with gradients off.</summary>
    protected abstract void StepGroup(ParamGroup group);

    /// <summary>The state of <paramref name="p"/>, created empty on first use.</summary>
    protected Dictionary<string, object> StateOf(Tensor p)
    {
        if (!State.TryGetValue(p, out var s)) State[p] = s = new Dictionary<string, object>();
        return s;
    }

    /// <summary>State and groups with parameters replaced by their indices (<c>state_dict</c>); tensors are shared, not copied.</summary>
    public OptimizerStateDict StateDict()
    {
        var sd = new OptimizerStateDict();
        int index = 0;
        foreach (var g in ParamGroups)
        {
            var entry = new Dictionary<string, object>(g.Options);
            var ids = new int[g.Params.Count];
            for (int i = 0; i < ids.Length; i++, index++)
            {
                ids[i] = index;
                if (State.TryGetValue(g.Params[i], out var s)) sd.State[index] = new Dictionary<string, object>(s);
            }
            entry["params"] = ids;
            sd.ParamGroups.Add(entry);
        }
        return sd;
    }

    /// <summary>Restores state and group options saved by <see cref="StateDict"/> (<c>load_state_dict</c>); state tensors are copied.</summary>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        if (stateDict.ParamGroups.Count != ParamGroups.Count)
            throw new ArgumentException("loaded state dict has a different number of parameter groups");
        for (int i = 0; i < ParamGroups.Count; i++)
            if (((int[])stateDict.ParamGroups[i]["params"]).Length != ParamGroups[i].Params.Count)
                throw new ArgumentException("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
        State.Clear();
        for (int gi = 0; gi < ParamGroups.Count; gi++)
        {
            var g = ParamGroups[gi];
            var saved = stateDict.ParamGroups[gi];
            var ids = (int[])saved["params"];
            foreach (var (k, v) in saved)
                if (k != "params") g.Options[k] = v;
            for (int i = 0; i < ids.Length; i++)
            {
                if (!stateDict.State.TryGetValue(ids[i], out var s)) continue;
                var p = g.Params[i];
                var copy = new Dictionary<string, object>();
                foreach (var (k, v) in s)
                    copy[k] = v is Tensor t ? (k == "step" ? t.Clone() : t.To(p.DType).To(p.Device).Clone()) : v;
                State[p] = copy;
            }
        }
    }

    /// <summary>Throws PyTorch's message for an out-of-range hyperparameter.</summary>
    protected static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }

    /// <summary>A float32 scalar step counter, as PyTorch 1.13 keeps it.</summary>
    protected static long IncrementStep(Dictionary<string, object> state)
    {
        if (!state.TryGetValue("step", out var s))
            using (DisposeScope.Suspend()) state["step"] = s = Torch.Scalar(0, DType.Float32);
        var t = (Tensor)s;
        t.Add_(1.0);
        return (long)t.Item<float>();
    }
}
