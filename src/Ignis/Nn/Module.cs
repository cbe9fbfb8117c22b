using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Ignis.Nn;

/// <summary>
/// Base class of all network modules (<c>torch.nn.Module</c>). Fields holding a <see cref="Parameter"/> or a
/// <see cref="Module"/> are registered automatically under their field name (leading underscores dropped,
/// first letter lower-cased, so <c>Conv1</c> and <c>_conv1</c> become <c>conv1</c>); buffers are registered with
/// <see cref="RegisterBuffer"/>, as in PyTorch. Names, order and state-dict keys follow PyTorch.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract class Module
{
    readonly List<(string Name, Parameter? Value)> explicitParams = [];
    readonly List<(string Name, Tensor? Value, bool Persistent)> buffers = [];
    readonly List<(string Name, Module? Value)> explicitModules = [];
    static readonly ConcurrentDictionary<Type, FieldInfo[]> FieldCache = new();

    /// <summary>True in training mode (<c>training</c>); see <see cref="Train"/> and <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    // ---------- registration ----------

    /// <summary>Registers (or replaces) a parameter under <paramref name="name"/>; null records an absent parameter (<c>register_parameter</c>).</summary>
    public void RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name, "parameter");
        Replace(explicitParams, name, parameter);
    }

    /// <summary>Registers (or replaces) a buffer: state that is not trained (<c>register_buffer</c>). Non-persistent buffers stay out of the state dict.</summary>
    public void RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckName(name, "buffer");
        int i = buffers.FindIndex(b => b.Name == name);
        if (i >= 0) buffers[i] = (name, tensor, persistent); else buffers.Add((name, tensor, persistent));
    }

    /// <summary>Registers (or replaces) a submodule under <paramref name="name"/> (<c>register_module</c> / <c>add_module</c>).</summary>
    public void RegisterModule(string name, Module? module)
    {
        CheckName(name, "module");
        Replace(explicitModules, name, module);
    }

    /// <summary>The buffer registered under <paramref name="name"/>, or null.</summary>
    protected Tensor? GetBuffer(string name) => buffers.Find(b => b.Name == name).Value;

    static void CheckName(string name, string what)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{what} name can't be empty string \"\"");
        if (name.Contains('.')) throw new ArgumentException($"{what} name can't contain \".\"");
    }

    static void Replace<T>(List<(string Name, T Value)> list, string name, T value)
    {
        int i = list.FindIndex(e => e.Name == name);
        if (i >= 0) list[i] = (name, value); else list.Add((name, value));
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Module's DynamicallyAccessedMembers keeps the fields of every derived type, base types included.")]
    static FieldInfo[] FieldsOf([DynamicallyAccessedMembers(FieldMembers)] Type type) => FieldCache.GetOrAdd(type, static t =>
    {
        var chain = new List<Type>();
        for (var c = t; c is not null && c != typeof(Module) && c != typeof(object); c = c.BaseType) chain.Add(c);
        chain.Reverse();
        return chain.SelectMany(c => c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => typeof(Module).IsAssignableFrom(f.FieldType) || typeof(Parameter).IsAssignableFrom(f.FieldType)
                        || f.FieldType == typeof(Tensor) || f.FieldType == typeof(object))
            .ToArray();
    });

    static string MemberName(FieldInfo f)
    {
        string n = f.Name;
        if (n.StartsWith('<')) n = n[1..n.IndexOf('>')];
        n = n.TrimStart('_');
        if (n.StartsWith("m_")) n = n[2..];
        return n.Length == 0 ? f.Name : char.ToLowerInvariant(n[0]) + n[1..];
    }

    const DynamicallyAccessedMemberTypes FieldMembers = DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields;

    // NativeAOT keeps the fields of Module-derived types only once its dataflow analysis sees GetType() called on a
    // Module, and it analyses only methods whose signature is annotated or that call reflection: a bare GetType() in the
    // iterator below was never analysed, and zoo models (whose submodules are fields) came out with no parameters.
    [return: DynamicallyAccessedMembers(FieldMembers)]
    Type FieldOwnerType() => GetType();

    /// <summary>Fields first (declaration order, base class first), then explicit registrations; an object registered explicitly is not listed twice.</summary>
    IEnumerable<(string Name, T Value)> Members<T>(List<(string Name, T? Value)> explicitList) where T : class =>
        Members(FieldsOf(FieldOwnerType()), explicitList);

    IEnumerable<(string Name, T Value)> Members<T>(FieldInfo[] fields, List<(string Name, T? Value)> explicitList) where T : class
    {
        var explicitValues = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var names = new HashSet<string>();
        foreach (var (n, v) in explicitList) { if (v is not null) explicitValues.Add(v); names.Add(n); }
        foreach (var f in fields)
            if (f.GetValue(this) is T v && !explicitValues.Contains(v))
            {
                var n = MemberName(f);
                if (names.Add(n)) yield return (n, v);
            }
        foreach (var (n, v) in explicitList)
            if (v is not null) yield return (n, v);
    }

    // ---------- traversal ----------

    /// <summary>This module's own parameters, by local name (<c>named_parameters(recurse=False)</c>).</summary>
    IEnumerable<(string Name, Parameter Value)> OwnParameters() => Members(explicitParams);

    /// <summary>Direct submodules with their names (<c>named_children</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in Members(explicitModules))
            if (seen.Add(m)) yield return (n, m);
    }

    /// <summary>Direct submodules (<c>children</c>).</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>This module and all descendants with dotted names, each once (<c>named_modules</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return NamedModulesCore(prefix, seen);
    }

    IEnumerable<(string, Module)> NamedModulesCore(string prefix, HashSet<Module> seen)
    {
        if (!seen.Add(this)) yield break;
        yield return (prefix, this);
        foreach (var (n, m) in NamedChildren())
            foreach (var x in m.NamedModulesCore(prefix.Length == 0 ? n : prefix + "." + n, seen))
                yield return x;
    }

    /// <summary>This module and all descendants (<c>modules</c>).</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>All parameters with PyTorch's dotted names, each once (<c>named_parameters</c>).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var mods = recurse ? NamedModules() : [("", this)];
        foreach (var (prefix, m) in mods)
            foreach (var (n, p) in m.OwnParameters())
                if (seen.Add(p)) yield return (prefix.Length == 0 ? n : prefix + "." + n, p);
    }

    /// <summary>All parameters, each once (<c>parameters</c>); pass these to an optimizer.</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>All buffers with dotted names (<c>named_buffers</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var mods = recurse ? NamedModules() : [("", this)];
        foreach (var (prefix, m) in mods)
            foreach (var (n, b, _) in m.buffers)
                if (b is not null && seen.Add(b)) yield return (prefix.Length == 0 ? n : prefix + "." + n, b);
    }

    /// <summary>All buffers (<c>buffers</c>).</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse).Select(b => b.Buffer);

    /// <summary>Number of parameter elements, optionally only those that require gradients.</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => p.Numel);

    // ---------- modes and transforms ----------

    /// <summary>Sets training mode on this module and every descendant (<c>train(mode)</c>).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.Training = mode;
        return this;
    }

    /// <summary>Evaluation mode: dropout off, batch norm uses running statistics (<c>eval</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>Calls <paramref name="fn"/> on every descendant, then on this module (<c>apply</c>).</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var c in Children()) c.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Sets or clears <c>RequiresGrad</c> on every parameter (<c>requires_grad_</c>).</summary>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Clears (or zeroes) every parameter's gradient (<c>zero_grad</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (p.Grad is null) continue;
            if (setToNone) p.Grad = null;
            else using (Torch.NoGrad()) p.Grad.Zero_();
        }
    }

    /// <summary>Moves parameters (with their gradients) and buffers to <paramref name="device"/>, keeping their identity (<c>to(device)</c>).</summary>
    public Module To(Device device) => Convert(t => t.To(device), floatingOnly: false);

    /// <summary>Moves to the named device, e.g. <c>"cpu"</c> or <c>"cuda:0"</c>.</summary>
    public Module To(string device) => To(Device.Parse(device));

    /// <summary>Casts floating-point parameters and buffers to <paramref name="dtype"/> (<c>to(dtype)</c>).</summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype.TorchName()}");
        return Convert(t => t.To(dtype), floatingOnly: true);
    }

    /// <summary>Casts to float64 (<c>double()</c>).</summary>
    public Module Double() => To(DType.Float64);

    /// <summary>Casts to float32 (<c>float()</c>).</summary>
    public Module Float() => To(DType.Float32);

    Module Convert(Func<Tensor, Tensor> fn, bool floatingOnly)
    {
        using var _ = Torch.NoGrad();
        foreach (var p in Parameters())
        {
            if (floatingOnly && !p.DType.IsFloatingPoint()) continue;
            p.SetData(fn(p));
            if (p.Grad is { } g) p.Grad = fn(g);
        }
        foreach (var b in Buffers())
            if (!floatingOnly || b.DType.IsFloatingPoint()) b.SetData(fn(b));
        return this;
    }

    // ---------- state dict ----------

    /// <summary>
    /// Parameters and persistent buffers by dotted name, in PyTorch's order (<c>state_dict</c>). The tensors are
    /// detached and share elements with the module.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var d = new OrderedDictionary<string, Tensor>();
        foreach (var (prefix, m) in NamedModules())
        {
            string p = prefix.Length == 0 ? "" : prefix + ".";
            foreach (var (n, t) in m.OwnParameters()) d.TryAdd(p + n, t.Detach());
            foreach (var (n, b, persistent) in m.buffers)
                if (b is not null && persistent) d.TryAdd(p + n, b.Detach());
        }
        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into parameters and buffers (<c>load_state_dict</c>). With
    /// <paramref name="strict"/>, missing or unexpected keys raise; shape mismatches always raise, before anything is copied.
    /// </summary>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(
        IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var targets = new Dictionary<string, Tensor>();
        foreach (var (prefix, m) in NamedModules())
        {
            string p = prefix.Length == 0 ? "" : prefix + ".";
            foreach (var (n, t) in m.OwnParameters()) targets.TryAdd(p + n, t);
            foreach (var (n, b, persistent) in m.buffers)
                if (b is not null && persistent) targets.TryAdd(p + n, b);
        }
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var errors = new List<string>();
        foreach (var (k, src) in stateDict)
        {
            if (!targets.TryGetValue(k, out var dst)) continue;
            if (!src.Shape.SequenceEqual(dst.Shape))
                errors.Add($"size mismatch for {k}: copying a param with shape {TorchSize(src.Shape)} from checkpoint, the shape in current model is {TorchSize(dst.Shape)}.");
        }
        if (strict)
        {
            if (unexpected.Count > 0) errors.Insert(0, "Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ". ");
            if (missing.Count > 0) errors.Insert(0, "Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ". ");
        }
        if (errors.Count > 0)
            throw new InvalidOperationException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", errors));
        using (Torch.NoGrad())
            foreach (var (k, src) in stateDict)
                if (targets.TryGetValue(k, out var dst)) dst.Copy_(src);
        return (missing, unexpected);
    }

    static string TorchSize(long[] s) => "torch.Size([" + string.Join(", ", s) + "])";

    // ---------- printing ----------

    /// <summary>
    /// The name this module prints under: its type's name, as PyTorch prints <c>self.__class__.__name__</c>; modules
    /// whose PyTorch class name is not a good .NET name (torchvision's <c>_DenseLayer</c>) override it.
    /// </summary>
    protected virtual string ReprName => GetType().Name;

    /// <summary>The text inside this module's parentheses in its print-out (<c>extra_repr</c>).</summary>
    public virtual string ExtraRepr() => "";

    /// <summary>PyTorch's module print-out: the module name, its settings and its children, indented.</summary>
    public override string ToString()
    {
        var extra = ExtraRepr();
        var extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        var childLines = NamedChildren().Select(c => $"({c.Name}): " + AddIndent(c.Module.ToString(), 2)).ToList();
        var sb = new StringBuilder(ReprName).Append('(');
        if (extraLines.Length + childLines.Count > 0)
        {
            if (extraLines.Length == 1 && childLines.Count == 0) sb.Append(extraLines[0]);
            else sb.Append("\n  ").Append(string.Join("\n  ", extraLines.Concat(childLines))).Append('\n');
        }
        return sb.Append(')').ToString();
    }

    static string AddIndent(string s, int n)
    {
        var lines = s.Split('\n');
        if (lines.Length == 1) return s;
        return lines[0] + "\n" + string.Join("\n", lines.Skip(1).Select(l => new string(' ', n) + l));
    }

    /// <summary>Python's repr of a bool, for <see cref="ExtraRepr"/>.</summary>
    protected static string PyRepr(bool b) => b ? "True" : "False";

    /// <summary>Python's repr of a float, for <see cref="ExtraRepr"/>.</summary>
    protected static string PyRepr(double d) => Ignis.Py.Repr(d);

    /// <summary>A Python tuple of ints, e.g. <c>(3, 3)</c>.</summary>
    protected static string PyTuple(IEnumerable<int> v) { var a = v.ToArray(); return a.Length == 1 ? $"({a[0]},)" : "(" + string.Join(", ", a) + ")"; }
}

/// <summary>A module with a typed forward pass; <see cref="Forward"/> is what PyTorch's <c>module(x)</c> calls.</summary>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>Computes the module's output (<c>forward</c>).</summary>
    public abstract TOut Forward(TIn input);
}
