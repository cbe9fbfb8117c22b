using System.Collections;

namespace Ignis.Nn;

/// <summary>
/// Runs its modules in order, each on the previous one's output (<c>nn.Sequential</c>); children are named
/// "0", "1", …. Sequential models also have the Keras-style <c>Compile</c>/<c>Fit</c>/<c>Evaluate</c>/<c>Predict</c> API.
/// </summary>
public partial class Sequential : Module<Tensor, Tensor>, IEnumerable<Module<Tensor, Tensor>>
{
    readonly List<Module<Tensor, Tensor>> layers = [];

    /// <summary>Creates an empty chain (<c>nn.Sequential()</c>); it passes its input through until modules are added.</summary>
    public Sequential() { }

    /// <summary>Creates the chain from <paramref name="modules"/>.</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Creates the chain from named modules (PyTorch's <c>Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        foreach (var (n, m) in modules)
        {
            RegisterModule(n, m);
            layers.Add(m);
        }
    }

    /// <summary>Adds a module at the end (<c>append</c>).</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>Number of modules (<c>len</c>).</summary>
    public int Count => layers.Count;

    /// <summary>
    /// The module at <paramref name="index"/>; negative indices count from the end. Setting replaces it under the same
    /// name, as PyTorch's <c>model.classifier[6] = nn.Linear(4096, 10)</c> does.
    /// </summary>
    public Module<Tensor, Tensor> this[int index]
    {
        get => layers[Index(index)];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            int i = Index(index);
            var name = NamedChildren().First(c => ReferenceEquals(c.Module, layers[i])).Name;
            RegisterModule(name, value);
            layers[i] = value;
        }
    }

    int Index(int index)
    {
        int i = index < 0 ? index + layers.Count : index;
        if (i < 0 || i >= layers.Count) throw new IndexOutOfRangeException($"index {index} is out of range");
        return i;
    }

    /// <summary>Adds a module at the end under <paramref name="name"/> (<c>add_module</c> on a Sequential).</summary>
    public Sequential AddModule(string name, Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(name, module);
        layers.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        foreach (var m in layers) input = m.Forward(input);
        return input;
    }

    /// <inheritdoc/>
    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => layers.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A list of registered submodules (<c>nn.ModuleList</c>); it has no forward pass of its own.</summary>
public sealed class ModuleList : Module, IEnumerable<Module>
{
    readonly List<Module> items = [];

    /// <summary>Creates the list from <paramref name="modules"/>.</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Adds a module at the end (<c>append</c>).</summary>
    public void Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
    }

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>; negative indices count from the end.</summary>
    public Module this[int index] => items[index < 0 ? index + items.Count : index];

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Named submodules in insertion order (<c>nn.ModuleDict</c>).</summary>
public sealed class ModuleDict : Module, IEnumerable<KeyValuePair<string, Module>>
{
    readonly OrderedDictionary<string, Module> items = new();

    /// <summary>Adds or replaces the module under <paramref name="key"/>.</summary>
    public void Add(string key, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(key, module);
        items[key] = module;
    }

    /// <summary>The module under <paramref name="key"/>.</summary>
    public Module this[string key]
    {
        get => items.TryGetValue(key, out var m) ? m : throw new KeyNotFoundException(key);
        set => Add(key, value);
    }

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => items.ContainsKey(key);

    /// <summary>Keys in insertion order.</summary>
    public IEnumerable<string> Keys => items.Keys;

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
