using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Ignis.Cli.Doctor;
using Ignis.Cuda;
using Ignis.Cuda.Native;
using Ignis.Cuda.Tests;
using Ignis.OpenCL;
using Json.Schema;
using Xunit;

namespace Ignis.Cli.Tests;

/// <summary>
/// <c>ignis doctor</c> on simulated machines: the NVIDIA facts come from the real CUDA discovery code run against a fake
/// machine (<see cref="FakeHost"/>), so the verdicts and fixes are the ones a user with that machine would read.
/// </summary>
public class DoctorTests
{
    sealed class SimulatedMachine : IDoctorProbes
    {
        public MachineFacts Facts = new("0.1.0", "10.0.12", "Debian GNU/Linux 12 (bookworm)", "linux", Architecture.X64, Architecture.X64,
            "Intel(R) Xeon(R) Processor @ 2.80GHz", 2, "AVX512", "AVX512", null, 24L << 30);
        public CudaStatus Cuda = Status(new FakeHost(), null);
        public string? KernelDriver;
        public OpenClFacts OpenClFacts = new([], "the OpenCL ICD loader found no platform: no OpenCL driver is installed");
        public IReadOnlyList<OtherStackFacts> Others = [new("AMD ROCm/HIP", false, "looked for libamdhip64.so"), new("Apple Metal", false, "Metal exists on macOS only")];
        public Func<Device, SmokeResult> Smoke = _ => new SmokeResult(true, 0, 3, null);

        public MachineFacts Machine() => Facts;
        public NvidiaFacts Nvidia() => new(Cuda, KernelDriver);
        public OpenClFacts OpenCl() => OpenClFacts;
        public IReadOnlyList<OtherStackFacts> OtherStacks() => Others;
        public SmokeResult SmokeTest(Device device) => Smoke(device);
    }

    static CudaStatus Status(FakeHost host, DriverInfo? driver) =>
        CudaStatus.From(CudaProbe.Run(host, (_, _) => driver ?? throw new InvalidOperationException("no driver to query")));

    /// <summary>A driver and the pip-wheel CUDA libraries of one major version, as PyTorch installs them.</summary>
    static FakeHost Nvidia(int libraryMajor, bool withCudnn = true)
    {
        string site = "/venv/lib/python3.11/site-packages/nvidia";
        var host = new FakeHost()
            .With("libcuda.so.1", LibrarySpec.Driver, file: false)
            .With($"{site}/cuda_nvrtc/lib/libnvrtc.so.{libraryMajor}", LibrarySpec.Nvrtc)
            .With($"{site}/cublas/lib/libcublas.so.{libraryMajor}", LibrarySpec.Cublas)
            .With($"{site}/cublas/lib/libcublasLt.so.{libraryMajor}", LibrarySpec.CublasLt);
        if (withCudnn) host.With($"{site}/cudnn/lib/libcudnn.so.9", LibrarySpec.Cudnn);
        host.Environment["VIRTUAL_ENV"] = "/venv";
        return host;
    }

    static DeviceVerdict Verdict(DoctorReport r, string device) => r.Devices.Single(d => d.Device == device);

    [Fact]
    public void A_machine_without_a_gpu_uses_the_cpu_and_says_why_cuda_and_opencl_are_not_usable()
    {
        var r = DoctorAnalysis.Run(new SimulatedMachine());
        Assert.Equal("cpu", r.BestDevice);
        Assert.True(Verdict(r, "cpu").Usable);
        Assert.StartsWith("usable — AVX512 kernels on 2 logical core(s), smoke test passed", Verdict(r, "cpu").Verdict);
        var cuda = Verdict(r, "cuda");
        Assert.False(cuda.Usable);
        Assert.Equal("not usable: no NVIDIA driver (no NVIDIA GPU here, or its driver is not installed)", cuda.Verdict);
        Assert.Contains("install NVIDIA's driver", cuda.Fix);
        Assert.False(r.Nvidia.DriverFound);
        Assert.Contains("libcuda.so.1", r.Nvidia.Driver.Explanation);
        var cl = Verdict(r, "opencl");
        Assert.False(cl.Usable);
        Assert.Contains("pocl-opencl-icd", cl.Fix);
        Assert.False(r.Process.Emulated);
        Assert.Equal("the processor has AVX-512 and the JIT uses 512-bit vectors", r.Cpu.Explanation);
    }

    [Fact]
    public void A_driver_too_old_for_the_cuda_libraries_names_the_driver_to_install()
    {
        var m = new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(12040, 1, null)), KernelDriver = "550.54.14" };
        var r = DoctorAnalysis.Run(m);
        var cuda = Verdict(r, "cuda");
        Assert.False(cuda.Usable);
        Assert.Contains("NVRTC is from CUDA 13, but the installed driver supports CUDA 12.4 only: CUDA 13 needs an NVIDIA driver ≥ 580.65.06", cuda.Verdict);
        Assert.DoesNotContain("cuBLAS", cuda.Verdict); // optional: a note, not the reason
        Assert.Contains(r.Nvidia.Notes, n => n.Contains("cuBLAS is from CUDA 13", StringComparison.Ordinal));
        Assert.Contains("Update the driver, or use CUDA 12 libraries", cuda.Fix);
        Assert.Equal("12.4", r.Nvidia.DriverCudaVersion);
        Assert.Equal("550.54.14", r.Nvidia.KernelDriverVersion);
        Assert.Equal(1, r.Nvidia.DeviceCount);
        Assert.All(r.Nvidia.Libraries.Where(l => l.Name != "cuDNN"), l => Assert.Equal(13, l.CudaMajor));
        Assert.Equal("cpu", r.BestDevice);
    }

    [Fact]
    public void Missing_nvrtc_is_named_with_where_ignis_looked_and_how_to_install_it()
    {
        var host = new FakeHost().With("libcuda.so.1", LibrarySpec.Driver, file: false);
        var r = DoctorAnalysis.Run(new SimulatedMachine { Cuda = Status(host, new DriverInfo(12080, 2, null)) });
        var cuda = Verdict(r, "cuda");
        Assert.False(cuda.Usable);
        Assert.StartsWith("not usable: NVRTC not found; tried ", cuda.Verdict);
        Assert.Contains("IGNIS_CUDA_NVRTC", cuda.Fix);
        Assert.Equal("2 NVIDIA GPU(s)", cuda.Name);
        Assert.False(r.Nvidia.Libraries.Single(l => l.Name == "NVRTC").Found);
    }

    [Fact]
    public void Missing_optional_libraries_are_notes_with_how_to_install_them_and_the_gpus_stay_usable()
    {
        var m = new SimulatedMachine { Cuda = Status(Nvidia(12, withCudnn: false), new DriverInfo(12080, 2, null)) };
        var r = DoctorAnalysis.Run(m);
        Assert.Empty(r.Nvidia.Problems);
        var note = Assert.Single(r.Nvidia.Notes);
        Assert.StartsWith("cuDNN not found; tried ", note);
        Assert.Contains("IGNIS_CUDA_CUDNN", note);
        foreach (var dev in new[] { "cuda:0", "cuda:1" })
        {
            Assert.True(Verdict(r, dev).Usable);
            Assert.Contains("optional libraries: cuDNN not found", Verdict(r, dev).Verdict);
        }
        Assert.False(r.Nvidia.Libraries.Single(l => l.Name == "cuDNN").Found);
    }

    static readonly CudaDeviceInfo[] TwoH200 =
        [new(0, "NVIDIA H200", 150_109_880_320, 9, 0, 132), new(1, "NVIDIA H200", 150_109_880_320, 9, 0, 132)];

    [Fact]
    public void The_gpus_are_named_with_their_memory_and_compute_capability()
    {
        var r = DoctorAnalysis.Run(new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(13000, 2, null, TwoH200)) });
        Assert.Equal("NVIDIA H200 (9.0)", Verdict(r, "cuda:1").Name);
        Assert.Equal(2, r.Nvidia.Devices.Count);
        Assert.Equal(new GpuSection("cuda:1", "NVIDIA H200", 150_109_880_320, "9.0", 132), r.Nvidia.Devices[1]);
        var json = JsonNode.Parse(r.ToJson())!;
        Assert.Equal("9.0", (string)json["nvidia"]!["devices"]![0]!["computeCapability"]!);
        // Without device queries (a driver that only counts) each verdict still has its device.
        Assert.Equal("NVIDIA GPU", Verdict(DoctorAnalysis.Run(new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(13000, 1, null)) }), "cuda:0").Name);
    }

    [Fact]
    public void With_everything_found_each_gpu_gets_a_smoke_test_and_a_failing_one_is_not_usable()
    {
        var tested = new List<Device>();
        var m = new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(13000, 2, null, TwoH200)) };
        m.Smoke = d =>
        {
            tested.Add(d);
            return d == new Device(DeviceType.Cuda, 1) ? new SmokeResult(false, 0.5, 4, null) : new SmokeResult(true, 1e-6, 4, null);
        };
        var r = DoctorAnalysis.Run(m);
        Assert.Contains(new Device(DeviceType.Cuda, 0), tested);
        Assert.Empty(r.Nvidia.Problems);
        Assert.Empty(r.Nvidia.Notes);
        var first = Verdict(r, "cuda:0");
        Assert.True(first.Usable);
        Assert.StartsWith("usable — CUDA 13.0, kernels compiled by NVRTC, smoke test passed", first.Verdict);
        var second = Verdict(r, "cuda:1");
        Assert.False(second.Usable);
        Assert.Contains("the smoke test failed (max |Δ| 0.5 from the CPU)", second.Verdict);
        Assert.Equal("cuda:0", r.BestDevice);
    }

    [Fact]
    public void An_x64_process_on_an_arm64_mac_is_told_it_runs_emulated_and_how_to_run_natively()
    {
        var m = new SimulatedMachine();
        m.Facts = m.Facts with { OsPlatform = "macos", MachineArchitecture = Architecture.Arm64, Simd = "AVX2", MachineSimd = "AVX2" };
        var r = DoctorAnalysis.Run(m);
        Assert.True(r.Process.Emulated);
        Assert.Equal(("x64", "arm64"), (r.Process.Architecture, r.Process.MachineArchitecture));
        Assert.Contains("Rosetta 2 translates it", r.Process.Note);
        Assert.Contains("lose most of their speed", r.Process.Note);
        Assert.Contains("install the arm64 .NET SDK", r.Process.Note);
        Assert.Contains("RID osx-arm64", r.Process.Note);
    }

    [Fact]
    public void Opencl_devices_get_a_smoke_test_each_and_a_cpu_driver_is_not_picked_as_the_best_device()
    {
        var pocl = new OpenCLDeviceInfo(0, "pthread-skylake-avx512", "GenuineIntel", "Portable Computing Language", "OpenCL 1.2 PoCL", "3.1", 20L << 30, 2, true);
        var gpu = new OpenCLDeviceInfo(1, "NVIDIA H200", "NVIDIA Corporation", "NVIDIA CUDA", "OpenCL 3.0 CUDA", "580.65.06", 140L << 30, 132, true);
        var tested = new List<string>();
        var m = new SimulatedMachine
        {
            OpenClFacts = new([pocl, gpu], null),
            Smoke = d => { tested.Add(d.ToString()); return new SmokeResult(true, 1e-7, 5, null); },
        };
        var r = DoctorAnalysis.Run(m);
        Assert.Equal(["cpu", "opencl:0", "opencl:1"], tested);
        Assert.Contains("a CPU OpenCL driver", Verdict(r, "opencl:0").Verdict);
        Assert.Equal("opencl:1", r.BestDevice);
        m.Smoke = d => d.Type == DeviceType.OpenCL ? new SmokeResult(false, double.NaN, 1, "CL_OUT_OF_RESOURCES") : new SmokeResult(true, 0, 1, null);
        r = DoctorAnalysis.Run(m);
        Assert.False(Verdict(r, "opencl:1").Usable);
        Assert.Contains("CL_OUT_OF_RESOURCES", Verdict(r, "opencl:1").Verdict);
        Assert.Equal("cpu", r.BestDevice);
    }

    [Fact]
    public void Rocm_and_metal_say_what_ignis_can_do_with_them()
    {
        var m = new SimulatedMachine { Others = [new("AMD ROCm/HIP", true, "/opt/rocm/lib/libamdhip64.so.6"), new("Apple Metal", false, "macOS only")] };
        var r = DoctorAnalysis.Run(m);
        Assert.Contains("OpenCL backend", r.OtherStacks[0].IgnisSupport);
        Assert.Contains("no Metal backend", r.OtherStacks[1].IgnisSupport);
    }

    static readonly Lazy<JsonSchema> Loaded = new(() => JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "doctor.schema.json")));

    static JsonSchema Schema() => Loaded.Value;

    static void AssertValid(string json)
    {
        var result = Schema().Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void Json_of_every_simulated_machine_validates_against_the_documented_schema()
    {
        var emulated = new SimulatedMachine();
        emulated.Facts = emulated.Facts with { MachineArchitecture = Architecture.Arm64, OsPlatform = "windows", CpuModel = null };
        foreach (var m in new[]
                 {
                     new SimulatedMachine(), emulated,
                     new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(12040, 1, null)) },
                     new SimulatedMachine { Cuda = Status(Nvidia(13), new DriverInfo(13000, 2, null, TwoH200)) },
                     new SimulatedMachine { Smoke = _ => new SmokeResult(false, double.NaN, 2, "boom") },
                 })
            AssertValid(DoctorAnalysis.Run(m).ToJson());
        Assert.False(Schema().Evaluate(System.Text.Json.JsonDocument.Parse("""{"schemaVersion": 1}""").RootElement).IsValid);
    }

    [Fact]
    public void On_this_machine_the_doctor_is_correct_and_its_json_validates()
    {
        var output = new StringWriter();
        Assert.Equal(0, Cli.Build(output: output).Parse(["doctor", "--json"]).Invoke());
        string json = output.ToString();
        AssertValid(json);
        var r = JsonNode.Parse(json)!;
        Assert.Equal(RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), (string)r["process"]!["architecture"]!);
        Assert.Equal(Torch.Backends.Cpu.GetCpuCapability(), (string)r["cpu"]!["simd"]!);
        Assert.Equal(Environment.ProcessorCount, (int)r["cpu"]!["logicalCores"]!);
        Assert.False((bool)r["process"]!["emulated"]!);
        var cpu = r["devices"]!.AsArray().Single(d => (string)d!["device"]! == "cpu")!;
        Assert.True((bool)cpu["usable"]!);
        Assert.True((bool)cpu["smoke"]!["passed"]!);
        // No NVIDIA GPU is lent to these machines: the doctor must not claim one.
        Assert.Equal(Torch.Cuda.IsAvailable(), r["devices"]!.AsArray().Any(d => (string)d!["device"]! == "cuda" && (bool)d["usable"]!));

        var text = new StringWriter();
        Assert.Equal(0, Cli.Build(output: text).Parse(["doctor"]).Invoke());
        Assert.Contains("Best device:", text.ToString());
        Assert.Contains(Torch.Backends.Cpu.GetCpuCapability(), text.ToString());
    }
}
