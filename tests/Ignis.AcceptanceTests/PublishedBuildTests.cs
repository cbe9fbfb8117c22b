using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;

namespace Ignis.AcceptanceTests;

/// <summary>
/// The builds people ship: NativeAOT (with Ignis' default instruction set and with the .NET baseline) and trimmed
/// self-contained. .ci/run publishes them into artifacts/published (IGNIS_PUBLISHED); these tests run them. A build
/// whose kernels were compiled down to a narrower path than its target allows fails the kernel check's --expect, and
/// each published program must print exactly what the JIT build prints on the same instruction set.
/// </summary>
public class PublishedBuildTests(ITestOutputHelper output)
{
    static readonly string Root = FindRoot();
    static readonly string Published = Environment.GetEnvironmentVariable("IGNIS_PUBLISHED") is { Length: > 0 } p ? p : Path.Combine(Root, "artifacts", "published");

    static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Ignis.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root (Ignis.slnx) not found above " + AppContext.BaseDirectory);
    }

    // CI must have published them; elsewhere the tests say how to get them.
    static string PublishedFile(string folder, string name)
    {
        string path = Path.Combine(Published, folder, name);
        if (!File.Exists(path))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"{path} was not published (.ci/run publishes it)");
            Skip.If(true, $"{path} not found: run the publish step of .ci/run first");
        }
        return path;
    }

    static string JitDll(string project, string name) => Path.Combine(Root, project, "bin", "Release", "net10.0", name);

    (int Code, string Out) Run(string file, string args, params (string Key, string Value)[] env)
    {
        bool dll = file.EndsWith(".dll", StringComparison.Ordinal);
        var psi = new ProcessStartInfo(dll ? "dotnet" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(file)!,
        };
        if (dll) psi.ArgumentList.Add(file);
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); Assert.Fail($"{file} {args} did not finish in 5 minutes"); }
        output.WriteLine($"$ {string.Join(' ', env.Select(e => $"{e.Key}={e.Value}"))} {Path.GetFileName(file)} {args} -> exit {p.ExitCode}");
        output.WriteLine(stdout + stderr.Result);
        return (p.ExitCode, stdout);
    }

    static int Bits(string capability) => capability switch { "AVX512" => 512, "AVX2" => 256, "SCALAR" => 0, _ => 128 };

    // The JIT settings that make the JIT take the same path as a NativeAOT build targeting `capability`.
    static (string, string)[] JitAt(string capability) => capability switch
    {
        "AVX2" => [("DOTNET_EnableAVX512", "0")],
        "DEFAULT" => [("DOTNET_EnableAVX", "0")],
        _ => [],
    };

    static string[] CheckLines(string stdout) => stdout.Split('\n').Where(l => l.StartsWith("check ", StringComparison.Ordinal)).ToArray();

    [SkippableFact]
    public void NativeAot_kernel_check_takes_the_avx2_path_and_matches_the_jit_bit_for_bit()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64, "Ignis' NativeAOT default (x86-64-v3) is x64-only");
        string exe = PublishedFile("aotcheck-aot", "Ignis.AotCheck");
        string machine = Torch.Backends.Cpu.GetMachineCapability();
        // Ignis' build targets compile x64 NativeAOT apps for x86-64-v3: AVX2 wherever the machine has it.
        string expect = Bits(machine) >= 256 ? "AVX2" : machine;
        var aot = Run(exe, $"--expect {expect}");
        Assert.Equal(0, aot.Code);
        var jit = Run(JitDll("tests/Ignis.AotCheck", "Ignis.AotCheck.dll"), $"--expect {expect}", JitAt(expect));
        Assert.Equal(0, jit.Code);
        Assert.Equal(CheckLines(jit.Out), CheckLines(aot.Out));
        Assert.Equal(15, CheckLines(aot.Out).Length);
    }

    [SkippableFact]
    public void NativeAot_for_the_x64_baseline_runs_correct_128_bit_kernels_equal_to_the_jit_without_avx()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64, "the x86-64 baseline build is an x64 question");
        string exe = PublishedFile("aotcheck-aot-baseline", "Ignis.AotCheck");
        var aot = Run(exe, "--expect DEFAULT");
        Assert.Equal(0, aot.Code);
        var jit = Run(JitDll("tests/Ignis.AotCheck", "Ignis.AotCheck.dll"), "--expect DEFAULT", JitAt("DEFAULT"));
        Assert.Equal(0, jit.Code);
        Assert.Equal(CheckLines(jit.Out), CheckLines(aot.Out));
    }

    [SkippableFact]
    public void On_a_cpu_without_avx_the_baseline_build_runs_and_ignis_default_build_refuses_with_the_runtimes_message()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64, "emulates an x64 CPU");
        string baseline = PublishedFile("aotcheck-aot-baseline", "Ignis.AotCheck"), v3 = PublishedFile("aotcheck-aot", "Ignis.AotCheck");
        const string qemu = "/usr/bin/qemu-x86_64-static";
        if (!File.Exists(qemu))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"{qemu} missing (.ci/run installs qemu-user-static)");
            Skip.If(true, "qemu-user-static is not installed (apt-get install qemu-user-static)");
        }
        // Nehalem (2008): SSE4.2, no AVX. CPUID inside the emulator says so, and the 128-bit kernels are right there.
        var old = Run(qemu, $"-cpu Nehalem {baseline} --expect DEFAULT");
        Assert.Equal(0, old.Code);
        Assert.Contains("(machine: DEFAULT)", old.Out);
        var refused = RunCapturingErrors(qemu, $"-cpu Nehalem {v3}");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("The required instruction sets are not supported by the current CPU.", refused.All);
    }

    (int Code, string All) RunCapturingErrors(string file, string args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string all = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); Assert.Fail($"{file} {args} did not finish"); }
        all += stderr.Result;
        output.WriteLine($"$ {Path.GetFileName(file)} {args} -> exit {p.ExitCode}\n{all}");
        return (p.ExitCode, all);
    }

    [SkippableFact]
    public void ReadyToRun_trimmed_kernel_check_takes_the_widest_path_the_machine_has()
    {
        // ReadyToRun code that depends on the vector width is rejected at load and re-jitted for this CPU.
        string exe = PublishedFile("aotcheck-r2r", "Ignis.AotCheck");
        Assert.Equal(0, Run(exe, $"--expect {Torch.Backends.Cpu.GetMachineCapability()}").Code);
    }

    [Fact]
    public void The_jit_switches_ci_uses_to_disable_simd_really_change_the_kernel_path()
    {
        // .NET 10 renamed DOTNET_EnableAVX512F to DOTNET_EnableAVX512: the old knob silently did nothing in CI's reruns.
        string dll = JitDll("tests/Ignis.AotCheck", "Ignis.AotCheck.dll");
        Assert.True(File.Exists(dll), $"{dll} is built by the solution build");
        string machine = Torch.Backends.Cpu.GetMachineCapability();
        if (Bits(machine) >= 512) Assert.Equal(0, Run(dll, "--expect AVX2", ("DOTNET_EnableAVX512", "0")).Code);
        if (Bits(machine) >= 256) Assert.Equal(0, Run(dll, "--expect DEFAULT", ("DOTNET_EnableAVX2", "0")).Code);
        Assert.Equal(0, Run(dll, "--expect SCALAR", ("DOTNET_EnableHWIntrinsic", "0")).Code);
    }

    [SkippableFact]
    public void NativeAot_mnist_mlp_prints_what_the_jit_prints_on_the_same_isa()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64, "compared against the x86-64-v3 JIT settings");
        string exe = PublishedFile("mnistmlp-aot", "MnistMlp");
        string expect = Bits(Torch.Backends.Cpu.GetMachineCapability()) >= 256 ? "AVX2" : "DEFAULT";
        var aot = Run(exe, "--data mnist --epochs 1");
        var jit = Run(JitDll("samples/MnistMlp", "MnistMlp.dll"), "--data mnist --epochs 1", JitAt(expect));
        Assert.Equal(0, aot.Code);
        Assert.Equal(0, jit.Code);
        Assert.Equal(Results(jit.Out), Results(aot.Out));
        Assert.Contains("test accuracy", aot.Out);
    }

    [SkippableFact]
    public void Trimmed_self_contained_quickstart_prints_what_the_jit_prints()
    {
        string exe = PublishedFile("quickstart-trimmed", "QuickStart");
        var trimmed = Run(exe, "--seed 0");
        var jit = Run(JitDll("samples/QuickStart", "QuickStart.dll"), "--seed 0");
        Assert.Equal(0, trimmed.Code);
        Assert.Equal(jit.Out, trimmed.Out);
        Assert.Contains("tensor([[0.4963, 0.7682, 0.0885]", trimmed.Out);
    }

    [SkippableFact]
    public void NativeAot_opencl_probe_binds_opencl_at_run_time_and_explains_its_absence()
    {
        // The OpenCL backend's binding (function pointers over NativeLibrary) compiled ahead of time: CI installs PoCL.
        string exe = PublishedFile("openclprobe-aot", "Ignis.OpenCL.Probe");
        var found = Run(exe, "");
        Assert.Equal(0, found.Code);
        Assert.Contains("available=True", found.Out);
        Assert.Contains("sum=6", found.Out);
        var hidden = Run(exe, "", ("IGNIS_OPENCL_LIBRARY", "/nonexistent/libOpenCL.so.1"));
        Assert.Equal(0, hidden.Code);
        Assert.Contains("available=False", hidden.Out);
        Assert.Contains("error=DeviceUnavailableException: Device 'opencl' is not available: no OpenCL ICD loader found", hidden.Out);
    }

    [SkippableFact]
    public void Gpucheck_as_carried_to_a_gpu_machine_runs_the_conformance_suite_and_times_steps_on_an_opencl_device()
    {
        // The same NativeAOT program a GPU session carries; here on PoCL's CPU device, with tiny steps. The parameter
        // counts are torchvision's: under NativeAOT the zoo's models once came out with none (fields not kept).
        string exe = PublishedFile("gpucheck", "gpucheck");
        var r = Run(exe, "--device opencl:0 --image-size 32 --batch 2 --warmup 1 --steps 1");
        Assert.Equal(0, r.Code);
        Assert.Matches(@"conformance ops: (\d+)/\1 cases match PyTorch 1\.13 \(forward and gradients\), 0 failed", r.Out);
        Assert.Matches(@"conformance nn: (\d+)/\1 cases match", r.Out);
        Assert.Matches(@"(?m)^step resnet18 32 2 \d+\.\d\d \d+\.\d\d \(Ignis on opencl:0, 11689512 parameters", r.Out);
        Assert.Matches(@"(?m)^step mobilenet_v2 32 2 \d+\.\d\d \d+\.\d\d \(Ignis on opencl:0, 3504872 parameters", r.Out);
        Assert.Contains("host fallbacks during timing: none", r.Out);
        // Without a GPU the default device is cuda:0, which is not there: it says why and exits 2.
        var none = Run(exe, "");
        Assert.Equal(2, none.Code);
        Assert.Contains("no CUDA device: ", none.Out);
    }

    // Loss and accuracy lines without the timings that follow them.
    static string[] Results(string stdout) => stdout.Split('\n')
        .Where(l => l.Contains("loss", StringComparison.Ordinal) || l.Contains("accuracy", StringComparison.Ordinal))
        .Select(l => l.Contains(" (", StringComparison.Ordinal) ? l[..l.LastIndexOf(" (", StringComparison.Ordinal)] : l)
        .ToArray();
}
