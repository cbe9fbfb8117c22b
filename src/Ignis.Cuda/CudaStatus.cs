using Ignis.Cuda.Native;

namespace Ignis.Cuda;

/// <summary>One library the CUDA backend looks for, as <c>ignis doctor</c> reports it.</summary>
/// <param name="Name">NVIDIA's name for it: <c>NVRTC</c>, <c>cuBLAS</c>, <c>cuDNN</c>, …</param>
/// <param name="Found">Whether it loaded.</param>
/// <param name="Path">Where it was loaded from (null when not found).</param>
/// <param name="CudaMajor">The CUDA major version of the matched file name (13, 12; 0 for the driver).</param>
/// <param name="Via">Which rule found it (override variable, CUDA_HOME, a pip wheel, the system loader, …).</param>
/// <param name="Explanation">One line: where it is, or everything tried and how to fix it.</param>
public sealed record CudaLibraryStatus(string Name, bool Found, string? Path, int CudaMajor, string? Via, string Explanation);

/// <summary>One GPU as the driver describes it (<c>torch.cuda.get_device_properties</c>'s name, memory and capability).</summary>
/// <param name="Index">The <c>cuda:N</c> ordinal.</param>
/// <param name="Name">The device name (cuDeviceGetName), e.g. <c>NVIDIA H200</c>.</param>
/// <param name="TotalMemory">Device memory in bytes (cuDeviceTotalMem).</param>
/// <param name="Major">Compute capability, major (9 for Hopper).</param>
/// <param name="Minor">Compute capability, minor.</param>
/// <param name="MultiProcessors">Streaming multiprocessors.</param>
public sealed record CudaDeviceInfo(int Index, string Name, long TotalMemory, int Major, int Minor, int MultiProcessors)
{
    /// <summary>The compute capability as PyTorch prints it (<c>get_device_capability</c>): <c>9.0</c>.</summary>
    public string Capability => $"{Major}.{Minor}";

    /// <summary>The architecture kernels are compiled for: <c>sm_90</c>.</summary>
    public string Architecture => $"sm_{Major}{Minor}";
}

/// <summary>
/// What the CUDA backend found on this machine: the driver, the CUDA version it supports, the GPU count, every library
/// and every problem (missing driver or NVRTC, driver too old for NVRTC's CUDA major). <see cref="Problems"/> empty means
/// the backend can run; <see cref="Notes"/> lists optional libraries that are missing or mismatched.
/// </summary>
/// <param name="Driver">The driver library.</param>
/// <param name="DriverCudaVersion">The highest CUDA version the driver supports (<c>12.4</c>), null when it did not start.</param>
/// <param name="DeviceCount">GPUs the driver reports.</param>
/// <param name="Devices">Each GPU's name, memory and compute capability (empty without a working driver).</param>
/// <param name="Libraries">NVRTC, cuBLAS, cuBLASLt, cuDNN.</param>
/// <param name="Problems">Each problem that stops the backend, with its fix.</param>
/// <param name="Notes">Optional libraries missing or mismatched, with the fix (without cuBLAS and cuDNN, GEMMs and convolutions run Ignis' kernels; cuBLASLt is not called by this version).</param>
/// <param name="UnavailableReason">Why <c>Torch.Cuda.IsAvailable()</c> is false, or null when nothing stops it.</param>
public sealed record CudaStatus(CudaLibraryStatus Driver, string? DriverCudaVersion, int DeviceCount, IReadOnlyList<CudaDeviceInfo> Devices,
    IReadOnlyList<CudaLibraryStatus> Libraries, IReadOnlyList<string> Problems, IReadOnlyList<string> Notes, string? UnavailableReason)
{
    internal static CudaStatus From(CudaProbe p)
    {
        static CudaLibraryStatus Lib(LibraryResult r) => new(r.Spec.Title, r.Found, r.Path, r.Major, r.Via, r.Explain());
        var d = p.DriverInfo is { Error: null } info ? info : (DriverInfo?)null;
        return new CudaStatus(Lib(p.Driver), d is { } x ? DriverCompatibility.Format(x.CudaVersion) : null, d?.DeviceCount ?? 0,
            d?.Devices ?? [], p.Libraries.Select(Lib).ToArray(), p.Problems, p.Notes, p.Reason());
    }
}
