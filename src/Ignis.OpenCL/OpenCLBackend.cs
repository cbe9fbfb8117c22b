using System.Runtime.CompilerServices;
using Ignis.Backends;
using Ignis.Gpu;
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
/// runs the device-neutral GPU backend (<c>src/Ignis.Gpu</c>) on them: kernels rendered from the shared templates and
/// built once per device. Primitives without a device kernel yet run the CPU kernel on a host copy of their operands
/// (counted in <see cref="HostFallbacks"/>, never silently). Referencing this assembly registers the backend;
/// <see cref="Register"/> does it explicitly.
/// </summary>
public static class OpenCLBackend
{
    static readonly Lazy<GpuBackend> Shared = new(() => new GpuBackend(DeviceType.OpenCL, Discover));

    /// <summary>The backend instance registered with <see cref="BackendRegistry"/>.</summary>
    public static IBackend Instance => Shared.Value;

    internal static GpuBackend Backend => Shared.Value;

    /// <summary>Registers the OpenCL backend for <see cref="DeviceType.OpenCL"/> (idempotent; devices are found on first use).</summary>
    public static void Register() => BackendRegistry.Register(Instance);

#pragma warning disable CA2255 // the backend registers itself when its assembly loads, as the CPU backend does in the core
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterOnLoad()
    {
        if (BackendRegistry.TryGet(DeviceType.OpenCL) is null) Register();
    }

    internal static ClDevice[] Devices => Backend.Devices.Cast<ClDevice>().ToArray();

    internal static ClDevice DeviceOf(Device device) => (ClDevice)Backend.DeviceOf(device);

    /// <summary>Every usable OpenCL device, in <c>opencl:N</c> order.</summary>
    public static IReadOnlyList<OpenCLDeviceInfo> DeviceInfos => Devices.Select(d =>
        new OpenCLDeviceInfo(d.Index, d.Name, d.Vendor, d.PlatformName, d.Version, d.DriverVersion, d.GlobalMemory, d.ComputeUnits, d.HasFp64)).ToArray();

    /// <summary>
    /// How often each primitive ran on the host instead of an OpenCL device since start (or
    /// <see cref="ResetHostFallbacks"/>), keyed like <c>"Binary Remainder"</c>. Empty when every primitive ran on the device.
    /// </summary>
    public static IReadOnlyDictionary<string, long> HostFallbacks => Backend.HostFallbacks;

    /// <summary>Clears <see cref="HostFallbacks"/>.</summary>
    public static void ResetHostFallbacks() => Backend.ResetHostFallbacks();

    /// <summary>
    /// When true, random fills on OpenCL devices draw on the host with PyTorch's CPU algorithms and are copied in, so a
    /// device run reproduces a CPU run number for number (dropout masks included). False by default: samples come from
    /// Philox4x32-10 on the device — reproducible per seed (<see cref="Generator.PhiloxOffset"/>) but not the CPU's
    /// numbers, as in PyTorch, where CUDA and CPU streams differ.
    /// </summary>
    public static bool SampleOnHost
    {
        get => Backend.SampleOnHost;
        set => Backend.SampleOnHost = value;
    }

    /// <summary>
    /// A scope in which random fills draw on the host as with <see cref="SampleOnHost"/> (scopes nest and may overlap
    /// across threads); dispose it to return to device sampling.
    /// </summary>
    public static IDisposable HostSampling() => Backend.HostSampling();

    static (GpuDevice[], string?) Discover()
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

    static unsafe (GpuDevice[], string?) Enumerate()
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
        var devices = new GpuDevice[ordered.Length];
        for (int i = 0; i < ordered.Length; i++) devices[i] = new ClDevice(i, ordered[i].Platform, ordered[i].Device);
        return (devices, null);
    }
}
