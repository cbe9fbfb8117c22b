using System.Runtime.CompilerServices;
using Ignis.Backends;
using Ignis.Cuda.Native;
using Ignis.Gpu;

namespace Ignis.Cuda;

/// <summary>
/// Entry point of the CUDA backend package (<c>torch.cuda</c>'s device side): finds the driver and NVRTC at run time,
/// and runs the device-neutral GPU backend (<c>src/Ignis.Gpu</c>) on each NVIDIA GPU with kernels rendered to CUDA C++
/// and compiled by NVRTC. When something is missing, <c>Torch.Cuda.UnavailableReason()</c> says exactly what was tried.
/// Referencing this assembly registers the backend; <see cref="Register"/> does it explicitly.
/// </summary>
public static class CudaBackend
{
    static readonly Lazy<CudaProbe> Probe = new(() => CudaProbe.Run(SystemHost.Instance));
    static readonly Lazy<GpuBackend> Shared = new(() => new GpuBackend(DeviceType.Cuda, () => Discover(Probe.Value, SystemHost.Instance)));

    /// <summary>The backend instance registered with <see cref="BackendRegistry"/>.</summary>
    public static IBackend Instance => Shared.Value;

    internal static GpuBackend Backend => Shared.Value;

    /// <summary>The GPU behind <c>cuda:<paramref name="index"/></c>, or the error a tensor gets for an unavailable device.</summary>
    internal static CudaDevice DeviceOf(int index)
    {
        var device = new Device(DeviceType.Cuda, index);
        _ = BackendRegistry.Get(device); // throws DeviceUnavailableException with the reason and the doctor's hint
        return (CudaDevice)Backend.DeviceOf(device);
    }

    /// <summary>
    /// Whether float32 matrix products (and the GEMMs of convolutions) may use TF32 tensor cores in cuBLAS, trading
    /// mantissa bits for speed (<c>torch.backends.cuda.matmul.allow_tf32</c>; false by default, as in PyTorch ≥ 1.12).
    /// </summary>
    public static bool AllowTf32 { get; set; }

    /// <summary>Whether convolutions and batch norm use cuDNN when it is present (<c>torch.backends.cudnn.enabled</c>; true by default).</summary>
    public static bool CudnnEnabled { get; set; } = true;

    /// <summary>
    /// Whether training-mode batch norm (float32/float64 with an affine weight and bias, eps ≥ 1e-5) runs cuDNN's
    /// <c>cudnnBatchNormalizationForwardTraining</c>/<c>Backward</c>, as PyTorch does, rather than Ignis' own kernels
    /// (true by default; <c>tools/gpucheck --compare-batchnorm</c> times both on a GPU). Evaluation-mode batch norm,
    /// pooling and softmax always run Ignis' kernels — as PyTorch runs its own for them.
    /// </summary>
    public static bool CudnnBatchNorm { get; set; } = true;

    /// <summary>
    /// Whether cuDNN picks each convolution's algorithm by timing the candidates once per problem instead of by its
    /// heuristics (<c>torch.backends.cudnn.benchmark</c>; false by default).
    /// </summary>
    public static bool CudnnBenchmark { get; set; }

    /// <summary>
    /// Whether convolutions use only algorithms cuDNN reports as deterministic (bit-identical results run to run;
    /// <c>torch.backends.cudnn.deterministic</c>; false by default). A problem no deterministic algorithm serves fails
    /// with a <see cref="Native.CudnnException"/> rather than silently running a nondeterministic one.
    /// </summary>
    public static bool CudnnDeterministic { get; set; }

    /// <summary>
    /// Whether float32 convolutions may use TF32 tensor cores in cuDNN (<c>torch.backends.cudnn.allow_tf32</c>; true by
    /// default, as in PyTorch).
    /// </summary>
    public static bool CudnnAllowTf32 { get; set; } = true;

    /// <summary>
    /// How often each primitive ran on the host instead of a GPU since start (or <see cref="ResetHostFallbacks"/>), keyed
    /// like <c>"Binary Remainder"</c>. Empty when every primitive ran on the device.
    /// </summary>
    public static IReadOnlyDictionary<string, long> HostFallbacks => Backend.HostFallbacks;

    /// <summary>Clears <see cref="HostFallbacks"/>.</summary>
    public static void ResetHostFallbacks() => Backend.ResetHostFallbacks();

    /// <summary>
    /// A scope in which random fills on CUDA devices draw PyTorch's CPU numbers on the host and copy them in, so a run
    /// reproduces a CPU run number for number; outside it samples come from Philox4x32-10 on the device (as in PyTorch,
    /// CUDA's streams differ from the CPU's).
    /// </summary>
    public static IDisposable HostSampling() => Backend.HostSampling();

    /// <summary>
    /// Every library the backend looked for, where it was found or everything that was tried, and the problems
    /// (missing driver, library/driver CUDA version mismatch) — for <c>ignis doctor</c>.
    /// </summary>
    public static string Diagnose()
    {
        var p = Probe.Value;
        var lines = new List<string> { p.Driver.Explain() };
        if (p.DriverInfo is { Error: null } d)
        {
            lines.Add($"driver supports CUDA {DriverCompatibility.Format(d.CudaVersion)}, {d.DeviceCount} GPU(s)");
            lines.AddRange((d.Devices ?? []).Select(g =>
                $"cuda:{g.Index}: {g.Name}, {g.TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, compute capability {g.Capability} ({g.Architecture}), {g.MultiProcessors} multiprocessors"));
        }
        lines.AddRange(p.Libraries.Select(l => l.Explain()));
        lines.AddRange(p.Problems.Select(x => "problem: " + x));
        lines.AddRange(p.Notes.Select(x => "note: " + x));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The same findings as data (driver, CUDA version, GPU count, libraries, problems), for <c>ignis doctor</c>.</summary>
    public static CudaStatus Status() => CudaStatus.From(Probe.Value);

    /// <summary>Registers the CUDA backend for <see cref="DeviceType.Cuda"/> (idempotent; the driver is asked on first use).</summary>
    public static void Register()
    {
        if (BackendRegistry.TryGet(DeviceType.Cuda) is null) BackendRegistry.Register(Instance);
    }

#pragma warning disable CA2255 // the backend registers itself when its assembly loads, as the OpenCL backend does
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterOnLoad() => Register();

    /// <summary>
    /// The GPUs of a machine whose probe found a working driver and NVRTC: the driver's entry points bound, each GPU's
    /// primary context retained; none and the reason otherwise. Only GPUs the driver described, numbered from 0 without
    /// gaps, become <c>cuda:N</c> devices.
    /// </summary>
    internal static (GpuDevice[] Devices, string? Reason) Discover(CudaProbe probe, INativeHost host)
    {
        if (probe.Reason() is { } why) return ([], why);
        var driver = CuDriver.Bind(probe.Driver.Handle, host, out var missing);
        if (driver is null) return ([], $"the NVIDIA driver at {probe.Driver.Path} lacks {missing}: update the driver");
        var nvrtc = Nvrtc.Bind(probe.Nvrtc.Handle, host, out missing);
        if (nvrtc is null) return ([], $"NVRTC at {probe.Nvrtc.Path} lacks {missing}: install a complete NVRTC (CUDA toolkit or `pip install nvidia-cuda-nvrtc-cu12`)");
        var described = (probe.DriverInfo?.Devices ?? []).Where((g, i) => g.Index == i).ToArray();
        if (described.Length == 0)
            return ([], $"the NVIDIA driver at {probe.Driver.Path} reports {probe.DriverInfo?.DeviceCount} GPU(s) but could not describe cuda:0 (cuDeviceGetName, cuDeviceTotalMem or cuDeviceGetAttribute failed)");
        // cuBLAS is optional: without it (or with one the driver is too old for) GEMMs run the template.
        var blas = probe.Usable(LibrarySpec.Cublas, host.IsWindows) is { } cublas ? CuBlas.Bind(cublas.Handle, host, out _) : null;
        // cuDNN likewise: without it convolutions run the im2col/GEMM and depthwise templates.
        var dnn = probe.Usable(LibrarySpec.Cudnn, host.IsWindows) is { } cudnn ? CuDnn.Bind(cudnn.Handle, host, out _) : null;
        try
        {
            driver.Init();
            return (described.Select(g => (GpuDevice)new CudaDevice(driver, nvrtc, blas, dnn, g)).ToArray(), null);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            return ([], "CUDA initialisation failed: " + e.Message);
        }
    }
}
