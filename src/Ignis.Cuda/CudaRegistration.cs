using System.Runtime.CompilerServices;
using Ignis.Backends;
using Ignis.Cuda.Native;

namespace Ignis.Cuda;

/// <summary>
/// Entry point of the CUDA backend package. This step of the backend finds and checks the driver and libraries and
/// reports, through <c>Torch.Cuda.UnavailableReason()</c>, exactly what is missing; device operations come next.
/// </summary>
public static class CudaBackend
{
    static readonly Lazy<CudaProbe> Probe = new(() => CudaProbe.Run(SystemHost.Instance));

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
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The same findings as data (driver, CUDA version, GPU count, libraries, problems), for <c>ignis doctor</c>.</summary>
    public static CudaStatus Status() => CudaStatus.From(Probe.Value);

    /// <summary>Reports the backend's state to the core (idempotent).</summary>
    public static void Register() => BackendRegistry.ReportUnavailable(DeviceType.Cuda, () => Probe.Value.Reason());

#pragma warning disable CA2255 // the backend reports itself when its assembly loads, as the OpenCL backend registers
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterOnLoad() => Register();
}
