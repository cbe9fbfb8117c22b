namespace Ignis.Backends;

/// <summary>Thrown when a tensor is placed on a device this machine or build cannot serve.</summary>
public sealed class DeviceUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception with a message that says why and what to install.</summary>
    public DeviceUnavailableException(string message) : base(message) { }
}

/// <summary>Maps device types to backends. GPU backends live in their own assemblies and register here at run time.</summary>
public static class BackendRegistry
{
    static readonly Dictionary<DeviceType, IBackend> Backends = [];
    static readonly object Gate = new();

    /// <summary>
    /// The registered backends by device type, read without the lock: every tensor operation looks its backend up, and a
    /// locked dictionary lookup per call was ~1 % of a small-tensor loop (the polynomial fit).
    /// </summary>
    static readonly IBackend?[] Registered = new IBackend?[8];

    /// <summary>Registers (or replaces) the backend for its device type, e.g. a faster CPU engine or a CUDA backend.</summary>
    public static void Register(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (Gate)
        {
            Backends[backend.DeviceType] = backend;
            if ((uint)backend.DeviceType < (uint)Registered.Length) Volatile.Write(ref Registered[(int)backend.DeviceType], backend);
        }
    }

    static readonly Dictionary<DeviceType, Lazy<string>> Reported = [];

    /// <summary>
    /// Records why a backend assembly that is present cannot serve its device type yet (no driver, missing libraries, a
    /// backend still in progress) without registering a backend; <see cref="DeviceTypeApi.UnavailableReason"/> and the
    /// error for such a device then give this reason. Evaluated once, on first need. A later <see cref="Register"/> wins.
    /// </summary>
    public static void ReportUnavailable(DeviceType type, Func<string> reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (Gate) Reported[type] = new Lazy<string>(reason);
    }

    /// <summary>The reason a present backend assembly reported with <see cref="ReportUnavailable"/>, or null.</summary>
    public static string? ReportedReason(DeviceType type)
    {
        _ = TryGet(type); // loads the backend assembly by name if the app references it
        Lazy<string>? r;
        lock (Gate) Reported.TryGetValue(type, out r);
        return r?.Value;
    }

    /// <summary>The registered backend for a device type, or null.</summary>
    public static IBackend? TryGet(DeviceType type)
    {
        if ((uint)type < (uint)Registered.Length && Volatile.Read(ref Registered[(int)type]) is { } registered) return registered;
        lock (Gate)
            if (Backends.TryGetValue(type, out var b)) return b;
        // An app that references a GPU backend package but never named one of its types has not loaded its assembly
        // yet: load it by name once, so its module initializer registers the backend.
        if (type is DeviceType.OpenCL or DeviceType.Cuda && TryLoadBackendAssembly(type == DeviceType.OpenCL ? "Ignis.OpenCL" : "Ignis.Cuda"))
            lock (Gate) return Backends.TryGetValue(type, out var loaded) ? loaded : null;
        return null;
    }

    static readonly HashSet<string> Attempted = [];

    static bool TryLoadBackendAssembly(string name)
    {
        lock (Gate)
            if (!Attempted.Add(name)) return false;
        try
        {
            var assembly = System.Reflection.Assembly.Load(name);
            System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or NotSupportedException)
        {
            return false; // not referenced by this app: the caller reports what to install
        }
    }

    const string DoctorHint = " `ignis doctor` (the Ignis.Cli tool) lists what this machine has and the fix for each device.";

    /// <summary>The backend for a device, or a <see cref="DeviceUnavailableException"/> that explains what is missing.</summary>
    public static IBackend Get(Device device)
    {
        var b = TryGet(device.Type);
        if (b is { IsAvailable: true })
        {
            if (device.Index is int i && (i < 0 || i >= b.DeviceCount))
                throw new DeviceUnavailableException($"Device '{device}' is not available: {b.DeviceCount} {Device.TypeName(device.Type)} device(s) found (invalid device ordinal).");
            return b;
        }
        if (b is not null)
            throw new DeviceUnavailableException($"Device '{device}' is not available: " +
                (b.UnavailableReason ?? $"the {Device.TypeName(device.Type)} backend reports no usable device") +
                $". Torch.{(device.Type == DeviceType.OpenCL ? "OpenCL" : device.Type.ToString())}.IsAvailable() reports whether it can run." + DoctorHint);
        if (ReportedReason(device.Type) is { } reported)
            throw new DeviceUnavailableException($"Device '{device}' is not available: {reported}. " +
                $"Torch.{(device.Type == DeviceType.OpenCL ? "OpenCL" : device.Type.ToString())}.IsAvailable() reports whether it can run." + DoctorHint);
        throw new DeviceUnavailableException(device.Type switch
        {
            DeviceType.Cuda => $"Device '{device}' is not available: no CUDA backend is loaded. " +
                "Reference the Ignis.Cuda package and install an NVIDIA driver (libcuda.so.1) to use CUDA; " +
                "Torch.Cuda.IsAvailable() reports whether it can run." + DoctorHint,
            DeviceType.OpenCL => $"Device '{device}' is not available: no OpenCL backend is loaded. " +
                "Reference the Ignis.OpenCL package and install an OpenCL driver with the ICD loader (libOpenCL.so.1); " +
                "Torch.OpenCL.IsAvailable() reports whether it can run." + DoctorHint,
            DeviceType.Mps => $"Device '{device}' is not available: Ignis has no Metal (MPS) backend on this machine; use 'cpu'.",
            DeviceType.Cpu => $"Device '{device}' is not available: no CPU backend is registered.",
            DeviceType.PrivateUse1 => $"Device '{device}' is not available: no backend is registered for privateuseone (BackendRegistry.Register).",
            _ => throw new ArgumentOutOfRangeException(nameof(device), device.Type, "not a defined device type"),
        });
    }
}
