using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ignis.Cli.Doctor;

/// <summary>
/// What <c>ignis doctor</c> found and concluded, as one object: printed as text, or as JSON (<c>--json</c>) that
/// validates against <c>docs/doctor.schema.json</c> (<see cref="SchemaVersion"/> is bumped when the shape changes).
/// </summary>
public sealed record DoctorReport(
    int SchemaVersion,
    RuntimeSection Runtime,
    ProcessSection Process,
    CpuSection Cpu,
    long MemoryBytes,
    NvidiaSection Nvidia,
    OpenClSection OpenCl,
    IReadOnlyList<OtherStackSection> OtherStacks,
    IReadOnlyList<DeviceVerdict> Devices,
    string BestDevice)
{
    /// <summary>The JSON shape's version.</summary>
    public const int CurrentSchemaVersion = 3;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Readable paths and messages (no \u0027 for every apostrophe); the output is a file or a terminal, never HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The report as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Ignis, .NET and the OS.</summary>
public sealed record RuntimeSection(string Ignis, string Dotnet, string Os, string Platform);

/// <summary>The process's architecture against the machine's; <see cref="Note"/> explains emulation and how to avoid it.</summary>
public sealed record ProcessSection(string Architecture, string MachineArchitecture, bool Emulated, string? Note);

/// <summary>The processor and the SIMD path the CPU kernels take, with why.</summary>
public sealed record CpuSection(string? Model, int LogicalCores, string Simd, string MachineSimd, string Explanation);

/// <summary>One CUDA library (or the driver).</summary>
public sealed record LibrarySection(string Name, bool Found, string? Path, int CudaMajor, string? Via, string Explanation);

/// <summary>One NVIDIA GPU as the driver describes it.</summary>
public sealed record GpuSection(string Device, string Name, long TotalMemoryBytes, string ComputeCapability, int MultiProcessors);

/// <summary>
/// NVIDIA: the driver, the highest CUDA version it supports, GPUs, libraries, problems (what stops the CUDA backend)
/// and notes (optional libraries missing or mismatched).
/// </summary>
public sealed record NvidiaSection(bool DriverFound, string? KernelDriverVersion, string? DriverCudaVersion, int DeviceCount,
    IReadOnlyList<GpuSection> Devices, LibrarySection Driver, IReadOnlyList<LibrarySection> Libraries, IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes);

/// <summary>One OpenCL device.</summary>
public sealed record OpenClDeviceSection(string Device, string Name, string Vendor, string Platform, string Version, string DriverVersion,
    long GlobalMemoryBytes, int ComputeUnits, bool Fp64);

/// <summary>OpenCL: devices, or why there are none.</summary>
public sealed record OpenClSection(IReadOnlyList<OpenClDeviceSection> Devices, string? UnavailableReason);

/// <summary>A vendor stack without an Ignis backend: present or not, and what Ignis can do with it today.</summary>
public sealed record OtherStackSection(string Name, bool Present, string Where, string IgnisSupport);

/// <summary>The smoke test's outcome on one device.</summary>
public sealed record SmokeSection(bool Passed, double? MaxAbsDifference, double Milliseconds, string? Error);

/// <summary>One line per device: usable or not, the exact fix when not, and the smoke test when it ran.</summary>
public sealed record DeviceVerdict(string Device, string Name, bool Usable, string Verdict, string? Fix, SmokeSection? Smoke);

/// <summary>Turns probe facts into the report: the verdicts and advice live here, so tests can check them on simulated machines.</summary>
public static class DoctorAnalysis
{
    /// <summary>Runs every probe (and the smoke test on each device that could be usable) and concludes.</summary>
    public static DoctorReport Run(IDoctorProbes probes, bool smoke = true)
    {
        var m = probes.Machine();
        var nv = probes.Nvidia();
        var cl = probes.OpenCl();
        var others = probes.OtherStacks();
        var devices = new List<DeviceVerdict>();

        var cpuSmoke = smoke ? Smoke(probes.SmokeTest(Device.Cpu)) : null;
        devices.Add(new DeviceVerdict("cpu", m.CpuModel ?? "CPU", cpuSmoke?.Passed ?? true,
            cpuSmoke is { Passed: false } ? $"not usable: the smoke test failed ({cpuSmoke.Error ?? $"max |Δ| {cpuSmoke.MaxAbsDifference}"})"
                : $"usable — {m.Simd} kernels on {m.LogicalCores} logical core(s)" + (cpuSmoke is null ? "" : $", smoke test passed in {cpuSmoke.Milliseconds:F0} ms"),
            cpuSmoke is { Passed: false } ? "report this as a bug with `ignis doctor --json` attached" : null, cpuSmoke));

        devices.AddRange(CudaVerdicts(nv, smoke ? probes.SmokeTest : null));

        foreach (var d in cl.Devices)
        {
            var dev = new Device(DeviceType.OpenCL, d.Index);
            var s = smoke ? Smoke(probes.SmokeTest(dev)) : null;
            string note = IsCpuDriver(d) ? " (a CPU OpenCL driver: correct, but slower than Ignis' own CPU backend)" : "";
            devices.Add(s is { Passed: false }
                ? new DeviceVerdict(dev.ToString(), d.Name, false, $"not usable: the smoke test failed ({s.Error ?? $"max |Δ| {s.MaxAbsDifference:G3} from the CPU"})",
                    "update the OpenCL driver of this device, or report it with `ignis doctor --json` attached", s)
                : new DeviceVerdict(dev.ToString(), d.Name, true, $"usable{note}" + (s is null ? "" : $", smoke test passed in {s.Milliseconds:F0} ms (max |Δ| {s.MaxAbsDifference:G3})"), null, s));
        }
        if (cl.Devices.Count == 0)
            devices.Add(new DeviceVerdict("opencl", "OpenCL", false, "not usable: " + (cl.UnavailableReason ?? "no OpenCL device"),
                "install your GPU vendor's OpenCL driver (or `pocl-opencl-icd` for a CPU device) and the ICD loader (`ocl-icd-libopencl1`)", null));

        var otherSections = others.Select(o => new OtherStackSection(o.Name, o.Present, o.Where, Support(o))).ToArray();
        var best = devices.FirstOrDefault(d => d.Usable && d.Device.StartsWith("cuda", StringComparison.Ordinal))
            ?? devices.FirstOrDefault(v => v.Usable && cl.Devices.Any(d => $"opencl:{d.Index}" == v.Device && !IsCpuDriver(d)))
            ?? devices[0];

        return new DoctorReport(DoctorReport.CurrentSchemaVersion,
            new RuntimeSection(m.IgnisVersion, m.DotnetVersion, m.OsDescription, m.OsPlatform),
            ProcessOf(m), CpuOf(m), m.TotalMemoryBytes,
            NvidiaOf(nv),
            new OpenClSection(cl.Devices.Select(d => new OpenClDeviceSection($"opencl:{d.Index}", d.Name, d.Vendor, d.Platform, d.Version,
                d.DriverVersion, d.GlobalMemory, d.ComputeUnits, d.HasFp64)).ToArray(), cl.UnavailableReason),
            otherSections, devices, best.Device);
    }

    /// <summary>
    /// True for an OpenCL driver that runs on the host CPU (PoCL's pthread device, Intel's/AMD's CPU runtimes): correct,
    /// but never an accelerator next to Ignis' own CPU kernels, so neither the best device nor a benchmark column.
    /// </summary>
    internal static bool IsCpuDriver(Ignis.OpenCL.OpenCLDeviceInfo d) =>
        d.Name.Contains("cpu", StringComparison.OrdinalIgnoreCase) || d.Name.StartsWith("pthread", StringComparison.Ordinal)
        || d.Platform.Contains("Portable Computing Language", StringComparison.Ordinal);

    static SmokeSection Smoke(SmokeResult r) =>
        new(r.Passed, double.IsNaN(r.MaxAbsDifference) ? null : r.MaxAbsDifference, Math.Round(r.Milliseconds, 1), r.Error);

    static string Arch(Architecture a) => a.ToString().ToLowerInvariant();

    static ProcessSection ProcessOf(MachineFacts m)
    {
        if (m.ProcessArchitecture == m.MachineArchitecture)
            return new ProcessSection(Arch(m.ProcessArchitecture), Arch(m.MachineArchitecture), false, null);
        string how = m.OsPlatform switch
        {
            "macos" => "Rosetta 2 translates it",
            "windows" => "Windows' x64 emulation runs it",
            _ => "an emulator runs it",
        };
        string rid = m.OsPlatform switch { "macos" => "osx", "windows" => "win", _ => "linux" } + "-" + Arch(m.MachineArchitecture);
        return new ProcessSection(Arch(m.ProcessArchitecture), Arch(m.MachineArchitecture), true,
            $"this {Arch(m.ProcessArchitecture)} process runs under emulation on an {Arch(m.MachineArchitecture)} machine ({how}): " +
            $"every instruction is translated and the SIMD kernels lose most of their speed. Run natively: install the " +
            $"{Arch(m.MachineArchitecture)} .NET SDK (the {Arch(m.MachineArchitecture)} installer, or dotnet-install.sh --architecture " +
            $"{Arch(m.MachineArchitecture)}), make sure `dotnet --info` reports RID {rid}, and run your app with that `dotnet`.");
    }

    static CpuSection CpuOf(MachineFacts m)
    {
        string why = m.Simd switch
        {
            "AVX512" => "the processor has AVX-512 and the JIT uses 512-bit vectors",
            "AVX2" => m.MachineSimd == "AVX512"
                ? "the processor has AVX-512 but 256-bit vectors are used" + (m.SimdLimitation is { } l ? $" ({l})" : "")
                : "the processor has AVX2 and FMA (256-bit vectors)",
            "NEON" => "Arm64 Advanced SIMD (128-bit vectors)",
            "DEFAULT" => "128-bit SSE only" + (m.SimdLimitation is { } l2 ? $" ({l2})" : " (the processor has no AVX2)"),
            _ => "no SIMD acceleration: scalar kernels" + (m.SimdLimitation is { } l3 ? $" ({l3})" : ""),
        };
        return new CpuSection(m.CpuModel, m.LogicalCores, m.Simd, m.MachineSimd, why);
    }

    static LibrarySection Lib(Ignis.Cuda.CudaLibraryStatus l) => new(l.Name, l.Found, l.Path, l.CudaMajor, l.Via, l.Explanation);

    static NvidiaSection NvidiaOf(NvidiaFacts nv) => new(nv.Status.Driver.Found, nv.KernelDriverVersion, nv.Status.DriverCudaVersion,
        nv.Status.DeviceCount, nv.Status.Devices.Select(g => new GpuSection($"cuda:{g.Index}", g.Name, g.TotalMemory, g.Capability, g.MultiProcessors)).ToArray(),
        Lib(nv.Status.Driver), nv.Status.Libraries.Select(Lib).ToArray(), nv.Status.Problems, nv.Status.Notes);

    /// <summary>The GPUs by name when the driver described them (<c>NVIDIA H200 (9.0)</c>), else their count.</summary>
    static string GpuNames(Ignis.Cuda.CudaStatus s) => s.Devices.Count == 0 ? $"{s.DeviceCount} NVIDIA GPU(s)"
        : string.Join(", ", s.Devices.GroupBy(g => (g.Name, g.Capability)).Select(g => $"{(g.Count() > 1 ? $"{g.Count()}× " : "")}{g.Key.Name} ({g.Key.Capability})"));

    static IEnumerable<DeviceVerdict> CudaVerdicts(NvidiaFacts nv, Func<Device, SmokeResult>? smoke)
    {
        var s = nv.Status;
        if (!s.Driver.Found)
            return [new DeviceVerdict("cuda", "NVIDIA GPU", false, "not usable: no NVIDIA driver (no NVIDIA GPU here, or its driver is not installed)",
                "on a machine with an NVIDIA GPU, install NVIDIA's driver (Linux: your distribution's nvidia-driver package or NVIDIA's .run installer; " +
                "Windows: the GeForce/Studio or data-center driver); `nvidia-smi` must work", null)];
        if (s.DriverCudaVersion is null)
            return [new DeviceVerdict("cuda", "NVIDIA GPU", false, "not usable: " + string.Join("; ", s.Problems),
                "reinstall the NVIDIA driver so that `nvidia-smi` works, then run `ignis doctor` again", null)];
        if (s.DeviceCount == 0)
            return [new DeviceVerdict("cuda", "NVIDIA GPU", false, $"not usable: the driver (CUDA {s.DriverCudaVersion}) reports no GPU",
                "check that the GPU is visible to this process (CUDA_VISIBLE_DEVICES, container --gpus flags, `nvidia-smi`)", null)];
        if (s.Problems.Count > 0)
            return [new DeviceVerdict("cuda", GpuNames(s), false, "not usable: " + string.Join("; ", s.Problems),
                string.Join(" ", s.Problems.Select(FixOf).Distinct()), null)];
        // Usable: one verdict per GPU, each with its smoke test. Missing optional libraries are said, not held against it.
        string notes = s.Notes.Count == 0 ? "" : $" (optional libraries: {string.Join("; ", s.Notes)})";
        var gpus = s.Devices.Count > 0 ? s.Devices.Select(g => (g.Index, Name: $"{g.Name} ({g.Capability})")).ToArray()
            : Enumerable.Range(0, s.DeviceCount).Select(i => (Index: i, Name: "NVIDIA GPU")).ToArray();
        return gpus.Select(g =>
        {
            var dev = new Device(DeviceType.Cuda, g.Index);
            var r = smoke is null ? null : Smoke(smoke(dev));
            return r is { Passed: false }
                ? new DeviceVerdict(dev.ToString(), g.Name, false, $"not usable: the smoke test failed ({r.Error ?? $"max |Δ| {r.MaxAbsDifference:G3} from the CPU"})",
                    "update the NVIDIA driver, or report it with `ignis doctor --json` attached", r)
                : new DeviceVerdict(dev.ToString(), g.Name, true, $"usable — CUDA {s.DriverCudaVersion}, kernels compiled by NVRTC" +
                    (r is null ? "" : $", smoke test passed in {r.Milliseconds:F0} ms (max |Δ| {r.MaxAbsDifference:G3})") + notes, null, r);
        }).ToArray();
    }

    // A problem line carries its own fix after "To fix:" (missing library) or names the driver to install (mismatch).
    static string FixOf(string problem)
    {
        int i = problem.IndexOf("To fix:", StringComparison.Ordinal);
        return i >= 0 ? problem[(i + 7)..].Trim() : problem;
    }

    static string Support(OtherStackFacts o) => o.Name switch
    {
        "AMD ROCm/HIP" => o.Present
            ? "Ignis has no ROCm/HIP backend yet; AMD GPUs work through the OpenCL backend with AMD's OpenCL driver (rocm-opencl-runtime)"
            : "not present; Ignis has no ROCm/HIP backend (AMD GPUs are used through OpenCL)",
        "Apple Metal" => o.Present
            ? "Ignis has no Metal backend yet; on Apple silicon the CPU backend runs NEON kernels natively"
            : "not present (macOS only); Ignis has no Metal backend",
        _ => o.Present ? "present; no Ignis backend" : "not present",
    };
}
