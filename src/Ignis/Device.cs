namespace Ignis;

/// <summary>Kind of device a tensor lives on (<c>torch.device.type</c>).</summary>
public enum DeviceType
{
    /// <summary>The host CPU.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU.</summary>
    Cuda,
    /// <summary>Apple's Metal Performance Shaders.</summary>
    Mps,
    /// <summary>An OpenCL device (any vendor's GPU or CPU driver behind the ICD loader).</summary>
    OpenCL,
    /// <summary>A device served by a backend from outside Ignis (PyTorch's <c>privateuseone</c>), e.g. a test or research backend.</summary>
    PrivateUse1,
}

/// <summary>A device (<c>torch.device</c>): a type and an optional index, parsed from strings such as <c>"cuda:0"</c>.</summary>
public readonly record struct Device(DeviceType Type, int? Index = null)
{
    /// <summary>The CPU device.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu);

    /// <summary>Parses <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>, <c>"mps"</c>, <c>"opencl:1"</c> as <c>torch.device</c> does.</summary>
    /// <exception cref="ArgumentException">The string names no known device type or has a bad index.</exception>
    public static Device Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim();
        string type = s;
        int? index = null;
        int colon = s.IndexOf(':');
        if (colon >= 0)
        {
            type = s[..colon];
            string idx = s[(colon + 1)..];
            if (idx.Length == 0 || !idx.All(char.IsAsciiDigit) || (idx.Length > 1 && idx[0] == '0'))
                throw new ArgumentException($"Invalid device string: '{spec}'", nameof(spec));
            index = int.Parse(idx, System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var (t, name) in Names)
            if (name == type) return new Device(t, index);
        throw new ArgumentException(
            $"Expected one of {string.Join(", ", Names.Select(n => n.Name))} device type at start of device string: {spec}", nameof(spec));
    }

    /// <summary>Implicit conversion from a device string, so APIs accept <c>"cuda:0"</c>.</summary>
    public static implicit operator Device(string spec) => Parse(spec);

    /// <summary>Prints as PyTorch does: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public override string ToString()
    {
        string t = TypeName(Type);
        return Index is int i ? $"{t}:{i}" : t;
    }

    /// <summary>The device index with "no index" read as this thread's current device of the type (0 unless set).</summary>
    public int IndexOrDefault => Index ?? (anyCurrentSet ? CurrentIndex(Type) : 0);

    // The current device per device type, per thread as in PyTorch (torch.cuda.set_device): 0 until set. Every binary
    // op compares devices, so the thread-static table is read only once some thread has set a device.
    [ThreadStatic] static int[]? current;
    static volatile bool anyCurrentSet;

    internal static int CurrentIndex(DeviceType type) => current is { } c && (int)type < c.Length ? c[(int)type] : 0;

    internal static void SetCurrentIndex(DeviceType type, int index)
    {
        current ??= new int[Enum.GetValues<DeviceType>().Max(t => (int)t) + 1];
        current[(int)type] = index;
        anyCurrentSet = true;
    }

    /// <summary>True when both name the same physical device (<c>cuda</c> and <c>cuda:0</c> do).</summary>
    public bool SameAs(Device other) => Type == other.Type && IndexOrDefault == other.IndexOrDefault;

    static readonly (DeviceType Type, string Name)[] Names =
        [(DeviceType.Cpu, "cpu"), (DeviceType.Cuda, "cuda"), (DeviceType.Mps, "mps"), (DeviceType.OpenCL, "opencl"), (DeviceType.PrivateUse1, "privateuseone")];

    /// <summary>PyTorch's lower-case name of a device type; an undefined value is an error, never printed as another.</summary>
    public static string TypeName(DeviceType type)
    {
        foreach (var (t, name) in Names)
            if (t == type) return name;
        throw new ArgumentOutOfRangeException(nameof(type), type, "not a defined device type");
    }
}
