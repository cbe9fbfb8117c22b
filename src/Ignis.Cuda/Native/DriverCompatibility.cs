namespace Ignis.Cuda.Native;

/// <summary>
/// Which driver a CUDA major version needs (NVIDIA's CUDA release notes, "CUDA Toolkit and Minimum Required Driver
/// Version for CUDA Minor Version Compatibility"): libraries of CUDA N.x run on any driver that supports CUDA N.0.
/// </summary>
internal static class DriverCompatibility
{
    /// <summary>The minimum driver of a CUDA major version on Linux and on Windows, or null when not tabulated.</summary>
    public static (string Linux, string Windows)? MinimumDriver(int cudaMajor) => cudaMajor switch
    {
        13 => ("580.65.06", "580 branch"),
        12 => ("525.60.13", "528.33"),
        11 => ("450.80.02", "452.39"),
        _ => null,
    };

    /// <summary>"12.4" from cuDriverGetVersion's 12040.</summary>
    public static string Format(int driverCudaVersion) => $"{driverCudaVersion / 1000}.{driverCudaVersion % 1000 / 10}";

    /// <summary>
    /// Null when a driver supporting CUDA <paramref name="driverCudaVersion"/> (cuDriverGetVersion) can run a library of
    /// CUDA <paramref name="libraryMajor"/>; otherwise what is wrong and the two ways out.
    /// </summary>
    public static string? Explain(string library, int libraryMajor, int driverCudaVersion, bool windows)
    {
        if (libraryMajor <= 0 || driverCudaVersion / 1000 >= libraryMajor) return null;
        string need = MinimumDriver(libraryMajor) is { } min
            ? $"CUDA {libraryMajor} needs an NVIDIA driver ≥ {(windows ? min.Windows : min.Linux)}"
            : $"CUDA {libraryMajor} needs a newer NVIDIA driver";
        return $"{library} is from CUDA {libraryMajor}, but the installed driver supports CUDA {Format(driverCudaVersion)} only: {need}. " +
            $"Update the driver, or use CUDA {driverCudaVersion / 1000} libraries (e.g. the -cu{driverCudaVersion / 1000} pip wheels)";
    }
}
