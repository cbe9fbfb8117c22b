using Ignis.Backends;

namespace Ignis;

/// <summary>
/// Queries and services of one device type (<c>torch.cuda</c>'s functions, for any backend): availability, device
/// count and properties, synchronisation and the caching allocator's memory counters.
/// </summary>
public sealed class DeviceTypeApi
{
    internal DeviceTypeApi(DeviceType type) => Type = type;

    /// <summary>The device type these functions serve.</summary>
    public DeviceType Type { get; }

    IBackend? Backend => BackendRegistry.TryGet(Type) is { IsAvailable: true } b ? b : null;

    IBackend Required => BackendRegistry.Get(new Device(Type));

    /// <summary>True when a backend for this type is registered and reports a usable device (<c>torch.cuda.is_available()</c>).</summary>
    public bool IsAvailable() => Backend is not null;

    /// <summary>
    /// Why no device of this type can be used, or null when one can: no backend assembly loaded, or the backend's own
    /// reason (no driver library, no platform, no device).
    /// </summary>
    public string? UnavailableReason() => BackendRegistry.TryGet(Type) switch
    {
        null => BackendRegistry.ReportedReason(Type) ?? $"no {Device.TypeName(Type)} backend is loaded",
        { IsAvailable: true } => null,
        var b => b.UnavailableReason ?? $"the {Device.TypeName(Type)} backend reports no usable device",
    };

    /// <summary>Number of usable devices, 0 without a backend (<c>torch.cuda.device_count()</c>).</summary>
    public int DeviceCount() => Backend?.DeviceCount ?? 0;

    /// <summary>Name, memory and compute units of a device (<c>torch.cuda.get_device_properties</c>).</summary>
    public DeviceProperties GetDeviceProperties(int? device = null) => Required.GetDeviceProperties(CheckIndex(device));

    /// <summary>The device's name (<c>torch.cuda.get_device_name</c>).</summary>
    public string GetDeviceName(int? device = null) => GetDeviceProperties(device).Name;

    /// <summary>Waits for all queued work on the device (<c>torch.cuda.synchronize</c>).</summary>
    public void Synchronize(int? device = null) => Required.Synchronize(CheckIndex(device));

    /// <summary>Bytes held by live tensors on the device (<c>torch.cuda.memory_allocated</c>).</summary>
    public long MemoryAllocated(int? device = null) => Stats(device).Allocated;

    /// <summary>Bytes the caching allocator holds, live and cached (<c>torch.cuda.memory_reserved</c>).</summary>
    public long MemoryReserved(int? device = null) => Stats(device).Reserved;

    /// <summary>Peak of <see cref="MemoryAllocated"/> since start or the last reset (<c>torch.cuda.max_memory_allocated</c>).</summary>
    public long MaxMemoryAllocated(int? device = null) => Stats(device).PeakAllocated;

    /// <summary>All counters at once.</summary>
    public MemoryStats MemoryStats(int? device = null) => Stats(device);

    /// <summary>Starts a new peak measurement (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
    public void ResetPeakMemoryStats(int? device = null) => Required.ResetPeakMemoryStats(CheckIndex(device));

    /// <summary>Returns cached, unused blocks (<c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        if (Backend is { } b) b.EmptyCache();
    }

    MemoryStats Stats(int? device) => Required.GetMemoryStats(CheckIndex(device));

    /// <summary>This thread's current device of this type: what a device named without an index (<c>"cuda"</c>) means (<c>torch.cuda.current_device</c>).</summary>
    public int CurrentDevice() => Device.CurrentIndex(Type);

    /// <summary>Makes <paramref name="device"/> this thread's current device of this type (<c>torch.cuda.set_device</c>).</summary>
    public void SetDevice(int device) => Device.SetCurrentIndex(Type, CheckIndex(device));

    /// <summary>An NVIDIA GPU's compute capability, e.g. (9, 0) (<c>torch.cuda.get_device_capability</c>).</summary>
    public (int Major, int Minor) GetDeviceCapability(int? device = null) =>
        GetDeviceProperties(device).ComputeCapability
        ?? throw new NotSupportedException($"{Device.TypeName(Type)} devices have no compute capability (an NVIDIA CUDA notion)");

    int CheckIndex(int? index)
    {
        int device = index ?? CurrentDevice();
        int n = DeviceCount();
        if (device < 0 || device >= n)
            throw new ArgumentOutOfRangeException(nameof(device), $"Invalid device id {device}: {n} {Device.TypeName(Type)} device(s) available");
        return device;
    }
}

public static partial class Torch
{
    /// <summary>CUDA queries (<c>torch.cuda</c>): <c>Torch.Cuda.IsAvailable()</c>, <c>DeviceCount()</c>, memory counters.</summary>
    public static readonly DeviceTypeApi Cuda = new(DeviceType.Cuda);

    /// <summary>The same queries for OpenCL devices.</summary>
    public static readonly DeviceTypeApi OpenCL = new(DeviceType.OpenCL);

    /// <summary>The same queries for the host: memory counters of the CPU's tensor allocator.</summary>
    public static readonly DeviceTypeApi Host = new(DeviceType.Cpu);
}
