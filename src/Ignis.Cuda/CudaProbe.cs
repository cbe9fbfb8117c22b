using Ignis.Cuda.Native;

namespace Ignis.Cuda;

/// <summary>
/// What the driver reported: its CUDA version (cuDriverGetVersion), device count and each device's name, memory and
/// compute capability, or why it could not.
/// </summary>
internal readonly record struct DriverInfo(int CudaVersion, int DeviceCount, string? Error, IReadOnlyList<CudaDeviceInfo>? Devices = null);

/// <summary>
/// Finds and checks everything the CUDA backend needs — the driver, NVRTC, cuBLAS/cuBLASLt, cuDNN — and says, in one
/// message, what is missing or mismatched. The result is the reason <c>Torch.Cuda.IsAvailable()</c> is false.
/// </summary>
internal sealed class CudaProbe
{
    public required LibraryResult Driver { get; init; }
    public DriverInfo? DriverInfo { get; init; }
    public required IReadOnlyList<LibraryResult> Libraries { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Runs discovery on <paramref name="host"/>; <paramref name="queryDriver"/> asks a loaded driver (the real one by default).</summary>
    public static CudaProbe Run(INativeHost host, Func<nint, INativeHost, DriverInfo>? queryDriver = null)
    {
        var problems = new List<string>();
        var driver = LibraryDiscovery.Find(LibrarySpec.Driver, host);
        DriverInfo? info = null;
        if (!driver.Found) problems.Add($"no NVIDIA driver: {driver.Explain()}");
        else
        {
            info = (queryDriver ?? DriverApi.Query)(driver.Handle, host);
            if (info.Value.Error is { } e) problems.Add($"the NVIDIA driver at {driver.Path} did not start: {e}");
            else if (info.Value.DeviceCount == 0) problems.Add($"the NVIDIA driver at {driver.Path} (CUDA {DriverCompatibility.Format(info.Value.CudaVersion)}) reports no GPU");
        }
        var libraries = new List<LibraryResult>();
        foreach (var spec in new[] { LibrarySpec.Nvrtc, LibrarySpec.Cublas, LibrarySpec.CublasLt, LibrarySpec.Cudnn })
        {
            var r = LibraryDiscovery.Find(spec, host);
            libraries.Add(r);
            if (!r.Found) problems.Add(r.Explain());
            else if (info is { Error: null } d && DriverCompatibility.Explain(spec.Title, r.Major, d.CudaVersion, host.IsWindows) is { } mismatch)
                problems.Add(mismatch);
        }
        return new CudaProbe { Driver = driver, DriverInfo = info, Libraries = libraries, Problems = problems };
    }

    /// <summary>
    /// Why CUDA cannot be used: every problem found, or — when everything is present — that the backend's device
    /// operations are not written yet (this package is in progress), naming what was found.
    /// </summary>
    public string Reason()
    {
        if (Problems.Count > 0) return string.Join(". ", Problems);
        var found = new[] { Driver }.Concat(Libraries).Select(r => r.Explain());
        return "the Ignis.Cuda backend found everything it needs but its device operations are not implemented yet " +
            $"(CUDA {DriverCompatibility.Format(DriverInfo!.Value.CudaVersion)}, {DriverInfo.Value.DeviceCount} GPU(s); {string.Join("; ", found)})";
    }
}
