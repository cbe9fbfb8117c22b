using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Ignis.Cuda;
using Ignis.OpenCL;

namespace Ignis.Cli.Doctor;

/// <summary>Facts about the host: runtime, OS, architectures, CPU and memory.</summary>
/// <param name="IgnisVersion">The Ignis assembly's informational version.</param>
/// <param name="DotnetVersion">The runtime's version (<c>Environment.Version</c>).</param>
/// <param name="OsDescription">What the OS calls itself.</param>
/// <param name="OsPlatform"><c>linux</c>, <c>windows</c>, <c>macos</c> or <c>other</c>.</param>
/// <param name="ProcessArchitecture">The architecture this process was built for and runs as.</param>
/// <param name="MachineArchitecture">The processor's own architecture (differs under emulation).</param>
/// <param name="CpuModel">The processor's marketing name, when the OS tells it.</param>
/// <param name="LogicalCores">Logical processors visible to the process.</param>
/// <param name="Simd">The SIMD level the CPU kernels run at (<c>torch.backends.cpu.get_cpu_capability()</c>).</param>
/// <param name="MachineSimd">The widest level the processor reports.</param>
/// <param name="SimdLimitation">Why <paramref name="Simd"/> is below <paramref name="MachineSimd"/>, if it is.</param>
/// <param name="TotalMemoryBytes">Physical memory available to the process.</param>
public sealed record MachineFacts(string IgnisVersion, string DotnetVersion, string OsDescription, string OsPlatform,
    Architecture ProcessArchitecture, Architecture MachineArchitecture, string? CpuModel, int LogicalCores, string Simd,
    string MachineSimd, string? SimdLimitation, long TotalMemoryBytes);

/// <summary>What the NVIDIA probe found: the CUDA backend's status and the kernel driver's version.</summary>
/// <param name="Status">Driver, CUDA version, GPU count, libraries and problems (<see cref="CudaBackend.Status"/>).</param>
/// <param name="KernelDriverVersion">The NVIDIA kernel module's version (e.g. <c>580.65.06</c>), where the OS shows it.</param>
public sealed record NvidiaFacts(CudaStatus Status, string? KernelDriverVersion);

/// <summary>What the OpenCL probe found: devices, or why there are none.</summary>
/// <param name="Devices">Every usable OpenCL device, in <c>opencl:N</c> order.</param>
/// <param name="UnavailableReason">Why no device is usable (no ICD loader, no platform…), null when some are.</param>
public sealed record OpenClFacts(IReadOnlyList<OpenCLDeviceInfo> Devices, string? UnavailableReason);

/// <summary>A vendor stack Ignis has no backend for yet (AMD ROCm/HIP, Apple Metal): present or not, and where.</summary>
/// <param name="Name">The stack's name.</param>
/// <param name="Present">Whether its runtime is on this machine.</param>
/// <param name="Where">Where it was found, or what was looked for.</param>
public sealed record OtherStackFacts(string Name, bool Present, string Where);

/// <summary>The result of allocating on a device, computing there and comparing with the CPU.</summary>
/// <param name="Passed">Whether the device's result matched the CPU's.</param>
/// <param name="MaxAbsDifference">The largest elementwise difference from the CPU's result.</param>
/// <param name="Milliseconds">How long the test took.</param>
/// <param name="Error">The exception message when the test could not run.</param>
public sealed record SmokeResult(bool Passed, double MaxAbsDifference, double Milliseconds, string? Error);

/// <summary>
/// Everything <c>ignis doctor</c> asks of the machine. <see cref="SystemProbes"/> asks the real one; tests substitute
/// simulated machines (no GPU, a driver too old for the CUDA libraries, libraries missing, x64 under emulation).
/// </summary>
public interface IDoctorProbes
{
    /// <summary>Host facts.</summary>
    MachineFacts Machine();
    /// <summary>NVIDIA driver and CUDA libraries.</summary>
    NvidiaFacts Nvidia();
    /// <summary>OpenCL platforms and devices.</summary>
    OpenClFacts OpenCl();
    /// <summary>ROCm/HIP and Metal.</summary>
    IReadOnlyList<OtherStackFacts> OtherStacks();
    /// <summary>Allocates on <paramref name="device"/>, computes a small network step and compares with the CPU.</summary>
    SmokeResult SmokeTest(Device device);
}

/// <summary>The real machine.</summary>
public sealed partial class SystemProbes : IDoctorProbes
{
    /// <inheritdoc/>
    public MachineFacts Machine()
    {
        var version = typeof(Tensor).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        int plus = version.IndexOf('+');
        if (plus > 0) version = version[..plus];
        string platform = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "other";
        var machineArch = RuntimeInformation.OSArchitecture;
        // Rosetta 2 reports the x64 view to an x64 process; sysctl.proc_translated says the process is translated.
        if (OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && MacTranslated()) machineArch = Architecture.Arm64;
        return new MachineFacts(version, Environment.Version.ToString(), RuntimeInformation.OSDescription, platform,
            RuntimeInformation.ProcessArchitecture, machineArch, CpuModel(), Environment.ProcessorCount,
            Torch.Backends.Cpu.GetCpuCapability(), Torch.Backends.Cpu.GetMachineCapability(), Torch.Backends.Cpu.GetCapabilityLimitation(),
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    static string? CpuModel()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model", StringComparison.Ordinal))
                        return line[(line.IndexOf(':') + 1)..].Trim();
            if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER");
            if (OperatingSystem.IsMacOS()) return MacSysctlString("machdep.cpu.brand_string");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "sysctlbyname", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysctlByName(string name, Span<byte> value, ref nint length, nint newValue, nint newLength);

    static bool MacTranslated()
    {
        try
        {
            Span<byte> v = stackalloc byte[4];
            nint len = 4;
            return SysctlByName("sysctl.proc_translated", v, ref len, 0, 0) == 0 && BitConverter.ToInt32(v) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    static string? MacSysctlString(string name)
    {
        try
        {
            Span<byte> v = stackalloc byte[256];
            nint len = v.Length;
            return SysctlByName(name, v, ref len, 0, 0) == 0 ? System.Text.Encoding.UTF8.GetString(v[..(int)Math.Max(0, len - 1)]) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <inheritdoc/>
    public NvidiaFacts Nvidia()
    {
        string? kernel = null;
        try
        {
            // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 …"
            if (File.Exists("/proc/driver/nvidia/version"))
                kernel = KernelModule().Match(File.ReadAllText("/proc/driver/nvidia/version")) is { Success: true } m ? m.Groups[1].Value : null;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new NvidiaFacts(CudaBackend.Status(), kernel);
    }

    [GeneratedRegex(@"Kernel Module\s+([0-9.]+)")]
    private static partial Regex KernelModule();

    /// <inheritdoc/>
    public OpenClFacts OpenCl()
    {
        var devices = OpenCLBackend.DeviceInfos;
        return new OpenClFacts(devices, devices.Count > 0 ? null : OpenCLBackend.Instance.UnavailableReason);
    }

    /// <inheritdoc/>
    public IReadOnlyList<OtherStackFacts> OtherStacks()
    {
        var list = new List<OtherStackFacts>();
        string[] hip = OperatingSystem.IsWindows()
            ? [Path.Combine(Environment.GetEnvironmentVariable("HIP_PATH") ?? @"C:\Program Files\AMD\ROCm", "bin")]
            : ["/opt/rocm/lib", "/opt/rocm/hip/lib", "/usr/lib/x86_64-linux-gnu"];
        string hipName = OperatingSystem.IsWindows() ? "amdhip64" : "libamdhip64.so";
        var hipFound = hip.Where(Directory.Exists).SelectMany(d => SafeFiles(d, hipName + "*")).FirstOrDefault();
        list.Add(new OtherStackFacts("AMD ROCm/HIP", hipFound is not null, hipFound ?? $"looked for {hipName} in {string.Join(", ", hip)}"));
        bool metal = OperatingSystem.IsMacOS() && Directory.Exists("/System/Library/Frameworks/Metal.framework");
        list.Add(new OtherStackFacts("Apple Metal", metal, metal ? "/System/Library/Frameworks/Metal.framework" : "Metal exists on macOS only"));
        return list;
    }

    static IEnumerable<string> SafeFiles(string dir, string pattern)
    {
        try { return Directory.EnumerateFiles(dir, pattern); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    /// <inheritdoc/>
    public SmokeResult SmokeTest(Device device) => Smoke.Run(device);
}

/// <summary>The per-device check: a small linear layer, ReLU, softmax and their gradients, compared with the CPU.</summary>
internal static class Smoke
{
    public static SmokeResult Run(Device device)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var gen = new Generator().ManualSeed(1234);
            var x = Torch.Randn([64, 96], generator: gen);
            var w = Torch.Randn([96, 48], generator: gen);
            var expected = Compute(x, w);
            var actual = Compute(x.To(device), w.To(device));
            double diff = 0;
            for (int i = 0; i < expected.Length; i++)
                diff = Math.Max(diff, Math.Abs(expected[i].Cpu().Sub(actual[i].Cpu()).Abs().Max().Item<float>()));
            return new SmokeResult(diff <= 1e-4, diff, sw.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SmokeResult(false, double.NaN, sw.Elapsed.TotalMilliseconds, e.Message);
        }
    }

    static Tensor[] Compute(Tensor x, Tensor w)
    {
        w = w.Detach().RequiresGrad_();
        var y = x.MatMul(w).Relu().Softmax(1);
        y.Mul(y).Sum().Backward();
        return [y.Detach(), w.Grad!];
    }
}
