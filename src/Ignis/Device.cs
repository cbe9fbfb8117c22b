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
}

/// <summary>A device (<c>torch.device</c>): a type and an optional index, parsed from strings such as <c>"cuda:0"</c>.</summary>
public readonly record struct Device(DeviceType Type, int? Index = null)
{
    /// <summary>The CPU device.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu);

    /// <summary>Parses <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>, <c>"mps"</c> as <c>torch.device</c> does.</summary>
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
        DeviceType t = type switch
        {
            "cpu" => DeviceType.Cpu,
            "cuda" => DeviceType.Cuda,
            "mps" => DeviceType.Mps,
            _ => throw new ArgumentException(
                $"Expected one of cpu, cuda, mps device type at start of device string: {spec}", nameof(spec)),
        };
        return new Device(t, index);
    }

    /// <summary>Implicit conversion from a device string, so APIs accept <c>"cuda:0"</c>.</summary>
    public static implicit operator Device(string spec) => Parse(spec);

    /// <summary>Prints as PyTorch does: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public override string ToString()
    {
        string t = Type switch { DeviceType.Cpu => "cpu", DeviceType.Cuda => "cuda", _ => "mps" };
        return Index is int i ? $"{t}:{i}" : t;
    }
}
