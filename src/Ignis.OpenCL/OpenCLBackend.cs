using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ignis.Backends;
using Ignis.OpenCL.Native;
using static Ignis.OpenCL.Native.ClApi;

namespace Ignis.OpenCL;

/// <summary>Facts about one OpenCL device, for <c>ignis doctor</c> and logs.</summary>
/// <param name="Index">The <c>opencl:N</c> index.</param>
/// <param name="Name">Device name.</param>
/// <param name="Vendor">Device vendor.</param>
/// <param name="Platform">Platform (driver) name.</param>
/// <param name="Version">OpenCL version the device reports.</param>
/// <param name="DriverVersion">Driver version.</param>
/// <param name="GlobalMemory">Global memory in bytes.</param>
/// <param name="ComputeUnits">Compute units.</param>
/// <param name="HasFp64">Whether float64 kernels can run (cl_khr_fp64).</param>
public sealed record OpenCLDeviceInfo(int Index, string Name, string Vendor, string Platform, string Version, string DriverVersion,
    long GlobalMemory, int ComputeUnits, bool HasFp64);

/// <summary>
/// The OpenCL backend: tensors on <c>opencl:N</c> (PyTorch has no OpenCL device; Ignis names it as <c>torch.device</c>
/// would). It binds the system's OpenCL ICD loader at run time, enumerates every platform's devices (GPUs first), and
/// implements <see cref="IBackend"/> with kernels rendered from templates (<c>Kernels/</c>) and built once per device.
/// Primitives without a device kernel yet run the CPU kernel on a host copy of their operands (counted in
/// <see cref="HostFallbacks"/>, never silently). Referencing this assembly registers the backend; <see cref="Register"/>
/// does it explicitly.
/// </summary>
public sealed partial class OpenCLBackend : IBackend
{
    static readonly Lazy<(ClDevice[] Devices, string? Reason)> Discovery = new(Discover);
    static readonly Lazy<OpenCLBackend> Shared = new(() => new OpenCLBackend());

    /// <summary>The backend instance registered with <see cref="BackendRegistry"/>.</summary>
    public static OpenCLBackend Instance => Shared.Value;

    /// <summary>Registers the OpenCL backend for <see cref="DeviceType.OpenCL"/> (idempotent; devices are found on first use).</summary>
    public static void Register() => BackendRegistry.Register(Instance);

#pragma warning disable CA2255 // the backend registers itself when its assembly loads, as the CPU backend does in the core
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterOnLoad()
    {
        if (BackendRegistry.TryGet(DeviceType.OpenCL) is null) Register();
    }

    readonly IBackend cpu = BackendRegistry.Get(Device.Cpu);

    OpenCLBackend() { }

    internal static ClDevice[] Devices => Discovery.Value.Devices;

    /// <inheritdoc/>
    public DeviceType DeviceType => DeviceType.OpenCL;

    /// <inheritdoc/>
    public bool IsAvailable => Devices.Length > 0;

    /// <inheritdoc/>
    public string? UnavailableReason => Discovery.Value.Reason;

    /// <inheritdoc/>
    public int DeviceCount => Devices.Length;

    /// <summary>Every usable OpenCL device, in <c>opencl:N</c> order.</summary>
    public static IReadOnlyList<OpenCLDeviceInfo> DeviceInfos => Devices.Select(d =>
        new OpenCLDeviceInfo(d.Index, d.Name, d.Vendor, d.PlatformName, d.Version, d.DriverVersion, d.GlobalMemory, d.ComputeUnits, d.HasFp64)).ToArray();

    static (ClDevice[], string?) Discover()
    {
        try
        {
            if (ClApi.Load(out _) is { } why) return ([], why);
            return Enumerate();
        }
        catch (Exception e) when (e is OpenCLException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return ([], "OpenCL initialisation failed: " + e.Message);
        }
    }

    static unsafe (ClDevice[], string?) Enumerate()
    {
        uint nPlatforms;
        int err = GetPlatformIDs(0, null, &nPlatforms);
        if (err == -1001 || nPlatforms == 0)
            return ([], "the OpenCL ICD loader found no platform: no OpenCL driver is installed or registered in /etc/OpenCL/vendors " +
                "(install your GPU vendor's OpenCL driver, or `pocl-opencl-icd` for a CPU device)");
        Check(err, "clGetPlatformIDs");
        var platforms = new nint[nPlatforms];
        fixed (nint* p = platforms) Check(GetPlatformIDs(nPlatforms, p, null), "clGetPlatformIDs");
        var found = new List<(nint Platform, nint Device, bool Gpu)>();
        foreach (var platform in platforms)
        {
            uint n;
            if (GetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, &n) != CL_SUCCESS || n == 0) continue;
            var ids = new nint[n];
            fixed (nint* p = ids) Check(GetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, p, null), "clGetDeviceIDs");
            foreach (var id in ids) found.Add((platform, id, (DeviceValue<ulong>(id, CL_DEVICE_TYPE) & 4) != 0));
        }
        if (found.Count == 0) return ([], $"{platforms.Length} OpenCL platform(s) found but no device");
        // GPUs first, so opencl:0 is the accelerator when a machine has both a GPU driver and a CPU driver such as PoCL.
        var ordered = found.Where(f => f.Gpu).Concat(found.Where(f => !f.Gpu)).ToArray();
        var devices = new ClDevice[ordered.Length];
        for (int i = 0; i < ordered.Length; i++) devices[i] = new ClDevice(i, ordered[i].Platform, ordered[i].Device);
        return (devices, null);
    }

    internal static ClDevice DeviceOf(Device device)
    {
        var all = Devices;
        int i = device.IndexOrDefault;
        if (i < 0 || i >= all.Length)
            throw new DeviceUnavailableException($"Device '{device}' is not available: {all.Length} opencl device(s) found (invalid device ordinal).");
        return all[i];
    }

    static ClDevice DeviceOf(TensorView v) => ClStorage.Of(v.Storage).Owner;

    /// <inheritdoc/>
    public DeviceProperties GetDeviceProperties(int index)
    {
        var d = DeviceOf(new Device(DeviceType.OpenCL, index));
        return new DeviceProperties(d.Name, d.GlobalMemory, d.ComputeUnits);
    }

    /// <inheritdoc/>
    public void Synchronize(int index) => DeviceOf(new Device(DeviceType.OpenCL, index)).Finish();

    /// <inheritdoc/>
    public MemoryStats GetMemoryStats(int index) => DeviceOf(new Device(DeviceType.OpenCL, index)).Allocator.Stats;

    /// <inheritdoc/>
    public void ResetPeakMemoryStats(int index) => DeviceOf(new Device(DeviceType.OpenCL, index)).Allocator.ResetPeak();

    /// <inheritdoc/>
    public void EmptyCache()
    {
        foreach (var d in Devices)
        {
            d.Finish();
            d.Allocator.EmptyCache();
        }
    }

    /// <inheritdoc/>
    public Storage Allocate(Device device, DType dtype, long length)
    {
        var s = new ClStorage(DeviceOf(device), dtype, length);
        ZeroFill(s);
        return s;
    }

    /// <inheritdoc/>
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => new ClStorage(DeviceOf(device), dtype, length);

    /// <inheritdoc/>
    public Storage FromHost(Device device, Array data, DType dtype)
    {
        if (data.GetType().GetElementType() != dtype.ClrType())
            throw new ArgumentException($"{dtype.TorchName()} storage needs {dtype.ClrType().Name}[], got {data.GetType().Name}.");
        var s = new ClStorage(DeviceOf(device), dtype, data.LongLength);
        s.Owner.Write(s.Mem, 0, Bytes(data, dtype));
        GC.KeepAlive(s);
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
        var s = ClStorage.Of(src.Storage);
        s.Owner.Read(s.Mem, src.Offset * t.DType.ElementSize(), WritableBytes(result, t.DType));
        if (temp) src.Storage.Dispose();
        GC.KeepAlive(t);
        return result;
    }

    /// <summary>Copies a whole storage to a new host array (the host fallback's download).</summary>
    internal static Array ReadStorage(Storage storage)
    {
        var s = ClStorage.Of(storage);
        var a = DTypeInfo.NewHostArray(storage.DType, checked((int)storage.Length));
        s.Owner.Read(s.Mem, 0, WritableBytes(a, storage.DType));
        return a;
    }

    /// <summary>Overwrites a whole storage from a host array (the host fallback's upload).</summary>
    internal static void WriteStorage(Storage storage, Array a)
    {
        var s = ClStorage.Of(storage);
        s.Owner.Write(s.Mem, 0, Bytes(a, storage.DType));
    }
}
