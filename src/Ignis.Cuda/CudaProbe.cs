using Ignis.Cuda.Native;

namespace Ignis.Cuda;

/// <summary>
/// What the driver reported: its CUDA version (cuDriverGetVersion), device count and each device's name, memory and
/// compute capability, or why it could not.
/// </summary>
internal readonly record struct DriverInfo(int CudaVersion, int DeviceCount, string? Error, IReadOnlyList<CudaDeviceInfo>? Devices = null);

/// <summary>
/// Finds and checks everything the CUDA backend uses — the driver and NVRTC (required: every device operation runs
/// kernels NVRTC compiled), cuBLAS and cuDNN (optional: GEMMs and convolutions use them when present) and cuBLASLt
/// (looked for and reported; not called by this version) — and says, in one message, what is missing or mismatched. A required problem is the reason
/// <c>Torch.Cuda.IsAvailable()</c> is false; an optional library's is a note.
/// </summary>
internal sealed class CudaProbe
{
    public required LibraryResult Driver { get; init; }
    public DriverInfo? DriverInfo { get; init; }
    public required IReadOnlyList<LibraryResult> Libraries { get; init; }

    /// <summary>What stops the backend: no driver, a driver that did not start or has no GPU, NVRTC missing or too new.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Optional libraries missing or mismatched (cuBLAS, cuDNN: GEMMs and convolutions then run Ignis' kernels; cuBLASLt: not called by this version).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Runs discovery on <paramref name="host"/>; <paramref name="queryDriver"/> asks a loaded driver (the real one by default).</summary>
    public static CudaProbe Run(INativeHost host, Func<nint, INativeHost, DriverInfo>? queryDriver = null)
    {
        var problems = new List<string>();
        var notes = new List<string>();
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
            var into = spec == LibrarySpec.Nvrtc ? problems : notes;
            if (!r.Found) into.Add(r.Explain());
            else if (info is { Error: null } d && DriverCompatibility.Explain(spec.Title, r.Major, d.CudaVersion, host.IsWindows) is { } mismatch)
                into.Add(mismatch);
        }
        return new CudaProbe { Driver = driver, DriverInfo = info, Libraries = libraries, Problems = problems, Notes = notes };
    }

    /// <summary>The NVRTC discovery found (present when <see cref="Problems"/> is empty).</summary>
    public LibraryResult Nvrtc => Libraries.First(l => l.Spec == LibrarySpec.Nvrtc);

    /// <summary>An optional library when it was found and its CUDA major suits the driver; null otherwise (its note says why).</summary>
    public LibraryResult? Usable(LibrarySpec spec, bool windows) =>
        Libraries.FirstOrDefault(l => l.Spec == spec) is { Found: true } r && DriverInfo is { Error: null } d
        && DriverCompatibility.Explain(spec.Title, r.Major, d.CudaVersion, windows) is null ? r : null;

    /// <summary>Why CUDA cannot be used (every required problem found), or null when it can.</summary>
    public string? Reason() => Problems.Count > 0 ? string.Join(". ", Problems) : null;
}
