using System.Runtime.InteropServices;
using Ignis.Backends;

namespace Ignis.Gpu;

/// <summary>
/// The device-neutral GPU backend: <see cref="IBackend"/> over kernels rendered from the shared templates
/// (<c>src/Ignis.Kernels</c>) and run by a <see cref="GpuDevice"/> — an OpenCL device or a CUDA device. This source is
/// compiled into each GPU backend assembly (internal types), as the templates are; each backend supplies discovery and its
/// device runtime. Primitives without a device kernel yet run the CPU kernel on a host copy of their operands (counted in
/// <see cref="HostFallbacks"/>, never silently).
/// </summary>
/// <param name="deviceType">The device type this instance serves.</param>
/// <param name="discover">Finds the devices once, on first use: the devices in index order, or none and the reason.</param>
internal sealed partial class GpuBackend(DeviceType deviceType, Func<(GpuDevice[] Devices, string? Reason)> discover) : IBackend
{
    readonly Lazy<(GpuDevice[] Devices, string? Reason)> discovery = new(discover);
    readonly IBackend cpu = BackendRegistry.Get(Device.Cpu);

    /// <summary>The devices found, in index order (empty when none).</summary>
    public GpuDevice[] Devices => discovery.Value.Devices;

    /// <inheritdoc/>
    public DeviceType DeviceType => deviceType;

    /// <inheritdoc/>
    public bool IsAvailable => Devices.Length > 0;

    /// <inheritdoc/>
    public string? UnavailableReason => discovery.Value.Reason;

    /// <inheritdoc/>
    public int DeviceCount => Devices.Length;

    /// <summary>The device behind <paramref name="device"/>, or the error PyTorch gives for an invalid ordinal.</summary>
    public GpuDevice DeviceOf(Device device)
    {
        var all = Devices;
        int i = device.IndexOrDefault;
        if (i < 0 || i >= all.Length)
            throw new DeviceUnavailableException($"Device '{device}' is not available: {all.Length} {Device.TypeName(deviceType)} device(s) found (invalid device ordinal).");
        return all[i];
    }

    static GpuDevice DeviceOf(TensorView v) => GpuStorage.Of(v.Storage).Owner;

    GpuDevice DeviceAt(int index) => DeviceOf(new Device(deviceType, index));

    /// <inheritdoc/>
    public DeviceProperties GetDeviceProperties(int index)
    {
        var d = DeviceAt(index);
        return new DeviceProperties(d.Name, d.GlobalMemory, d.ComputeUnits, d.ComputeCapability);
    }

    /// <inheritdoc/>
    public void Synchronize(int index) => DeviceAt(index).Finish();

    /// <inheritdoc/>
    public MemoryStats GetMemoryStats(int index) => DeviceAt(index).MemoryStats;

    /// <inheritdoc/>
    public void ResetPeakMemoryStats(int index) => DeviceAt(index).ResetPeakMemory();

    /// <inheritdoc/>
    public void EmptyCache()
    {
        foreach (var d in Devices)
        {
            d.Finish();
            d.EmptyCache();
        }
    }

    /// <inheritdoc/>
    public Storage Allocate(Device device, DType dtype, long length)
    {
        var s = new GpuStorage(DeviceOf(device), dtype, length);
        ZeroFill(s);
        return s;
    }

    /// <inheritdoc/>
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => new GpuStorage(DeviceOf(device), dtype, length);

    /// <inheritdoc/>
    public Storage FromHost(Device device, Array data, DType dtype)
    {
        if (data.GetType().GetElementType() != dtype.ClrType())
            throw new ArgumentException($"{dtype.TorchName()} storage needs {dtype.ClrType().Name}[], got {data.GetType().Name}.");
        var s = new GpuStorage(DeviceOf(device), dtype, data.LongLength);
        s.Owner.Write(s.Mem, 0, Bytes(data, dtype));
        GC.KeepAlive(s);
        return s;
    }

    /// <inheritdoc/>
    public Storage FromHostBytes(Device device, ReadOnlySpan<byte> bytes, DType dtype)
    {
        long n = bytes.Length / dtype.ElementSize();
        if (n * dtype.ElementSize() != bytes.Length)
            throw new ArgumentException($"{bytes.Length} bytes are not a whole number of {dtype.TorchName()} elements");
        var s = new GpuStorage(DeviceOf(device), dtype, n);
        s.Owner.Write(s.Mem, 0, bytes);
        return s;
    }

    static ReadOnlySpan<byte> Bytes(Array a, DType dtype) =>
        MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(a), checked((int)((long)a.Length * dtype.ElementSize())));

    static Span<byte> WritableBytes(Array a, DType dtype) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(a), checked((int)((long)a.Length * dtype.ElementSize())));

    /// <inheritdoc/>
    public Array ToHost(TensorView t)
    {
        var result = DTypeInfo.NewHostArray(t.DType, checked((int)t.Numel));
        if (t.Numel == 0) return result;
        var src = t;
        bool temp = !t.IsContiguous;
        if (temp)
        {
            src = TensorView.Contiguous(AllocateUninitialized(t.Device, t.DType, t.Numel), t.Shape);
            Copy(t, src);
        }
        var s = GpuStorage.Of(src.Storage);
        s.Owner.Read(s.Mem, src.Offset * t.DType.ElementSize(), WritableBytes(result, t.DType));
        if (temp) src.Storage.Dispose();
        GC.KeepAlive(t);
        return result;
    }

    /// <summary>Copies a whole storage to a new host array (the host fallback's download).</summary>
    internal static Array ReadStorage(Storage storage)
    {
        var s = GpuStorage.Of(storage);
        var a = DTypeInfo.NewHostArray(storage.DType, checked((int)storage.Length));
        s.Owner.Read(s.Mem, 0, WritableBytes(a, storage.DType));
        return a;
    }

    /// <summary>Overwrites a whole storage from a host array (the host fallback's upload).</summary>
    internal static void WriteStorage(Storage storage, Array a)
    {
        var s = GpuStorage.Of(storage);
        s.Owner.Write(s.Mem, 0, Bytes(a, storage.DType));
    }
}
