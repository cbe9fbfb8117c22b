using Ignis.Backends;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>Tests that read global state — the device memory counters, the default random generator — run alone.</summary>
[CollectionDefinition("opencl serial", DisableParallelization = true)]
public class MemoryCounterCollection;

/// <summary>The backend itself: device discovery, placement, transfers, errors and the kernels' own edge cases.</summary>
[Collection("opencl serial")]
public class OpenCLBackendTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    [OpenCLFact]
    public void A_device_is_found_and_described()
    {
        Assert.True(Torch.OpenCL.IsAvailable(), Torch.OpenCL.UnavailableReason());
        Assert.Null(Torch.OpenCL.UnavailableReason());
        Assert.True(Torch.OpenCL.DeviceCount() >= 1);
        var p = Torch.OpenCL.GetDeviceProperties(0);
        Assert.False(string.IsNullOrWhiteSpace(p.Name));
        Assert.True(p.TotalMemory > 0 && p.ComputeUnits > 0);
        var info = OpenCLBackend.DeviceInfos[0];
        Assert.Equal(p.Name, info.Name);
        Assert.StartsWith("OpenCL ", info.Version);
    }

    [OpenCLFact]
    public void The_current_device_is_per_thread_and_names_the_device_without_an_index()
    {
        int n = Torch.OpenCL.DeviceCount();
        Assert.Equal(0, Torch.OpenCL.CurrentDevice());
        Torch.OpenCL.SetDevice(n - 1);
        try
        {
            Assert.Equal(n - 1, Torch.OpenCL.CurrentDevice());
            Assert.Equal(n - 1, new Device(DeviceType.OpenCL).IndexOrDefault);
            Assert.Equal(Torch.OpenCL.GetDeviceName(n - 1), Torch.OpenCL.GetDeviceName());
            int other = -1;
            var t = new Thread(() => other = Torch.OpenCL.CurrentDevice());
            t.Start();
            t.Join();
            Assert.Equal(0, other); // another thread starts at device 0, as in PyTorch
            Assert.Equal($"Invalid device id {n}: {n} opencl device(s) available (Parameter 'device')",
                Assert.Throws<ArgumentOutOfRangeException>(() => Torch.OpenCL.SetDevice(n)).Message);
        }
        finally { Torch.OpenCL.SetDevice(0); }
        Assert.Equal("opencl devices have no compute capability (an NVIDIA CUDA notion)",
            Assert.Throws<NotSupportedException>(() => Torch.OpenCL.GetDeviceCapability()).Message);
        Assert.Null(Torch.OpenCL.GetDeviceProperties().ComputeCapability);
    }

    [OpenCLFact]
    public void Tensors_live_on_the_device_and_compute_there()
    {
        var x = Torch.Arange(6).View(2, 3).Float().To(Cl);
        Assert.Equal("opencl:0", x.Device.ToString());
        var y = (x.T * 2 + 1).Sum(0);
        Assert.Equal(Cl, y.Device);
        Assert.Equal([9f, 27f], y.Cpu().ToArray<float>());
        var z = Torch.Exp(x.T.Contiguous()).Neg() - 1;
        // exp differs from the CPU's by an ULP or two (OpenCL's exp is not correctly rounded): float tolerance.
        Assert.True(Torch.Allclose(Torch.Exp(Torch.Arange(6).View(2, 3).Float().T).Neg().Sub(1), z.Cpu(), rtol: 1e-6, atol: 0));
    }

    [OpenCLFact]
    public void Elementwise_kernels_run_on_the_device_not_the_host()
    {
        var a = Torch.Randn(4, 5).To(Cl);
        var b = Torch.Randn(5).To(Cl);
        OpenCLBackend.ResetHostFallbacks();
        var c = Torch.Where(a.Gt(0), a * b + 2, Torch.Relu(-a)).Sigmoid().To(DType.Float16).To(DType.Float64);
        Assert.DoesNotContain(OpenCLBackend.HostFallbacks.Keys, k => k.StartsWith("Unary") || k.StartsWith("Binary") || k == "Copy" || k == "Where");
        var ac = a.Cpu(); var bc = b.Cpu();
        var expected = Torch.Where(ac.Gt(0), ac * bc + 2, Torch.Relu(-ac)).Sigmoid().To(DType.Float16).To(DType.Float64);
        Assert.Equal(expected.ToArray<double>(), c.Cpu().ToArray<double>());
    }

    [OpenCLFact]
    public void Mixing_devices_names_both()
    {
        var a = Torch.Ones(2).To(Cl);
        var e = Assert.Throws<ArgumentException>(() => a + Torch.Ones(2));
        Assert.Contains("opencl:0", e.Message);
        Assert.Contains("cpu", e.Message);
    }

    [OpenCLFact]
    public void An_index_past_the_devices_is_refused()
    {
        var e = Assert.Throws<DeviceUnavailableException>(() => Torch.Ones(2).To($"opencl:{Torch.OpenCL.DeviceCount()}"));
        Assert.Contains("invalid device ordinal", e.Message);
    }

    [OpenCLFact]
    public void Dtype_conversions_round_as_c10()
    {
        double[] values = [1.0000001, -2.5, 65504, 70000, double.NaN, -0.0, 1e-8, 3.999999];
        var host = Torch.Tensor(values);
        foreach (var dt in new[] { DType.Float32, DType.Float16, DType.BFloat16, DType.Int64, DType.Int32, DType.Bool })
        {
            if (dt.IsIntegral() && values.Any(double.IsNaN)) continue;
            var expected = host.To(dt).To(DType.Float64).ToArray<double>();
            var actual = host.To(Cl).To(dt).To(DType.Float64).Cpu().ToArray<double>();
            Assert.Equal(expected, actual);
        }
    }

    [OpenCLFact]
    public void Memory_is_pooled_and_counted()
    {
        // Storages earlier tests left to the GC are queued by their finalizers; take them over first, so the counters
        // below move only with this test's tensors.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Torch.OpenCL.EmptyCache();
        long before = Torch.OpenCL.MemoryAllocated();
        var t = Torch.Zeros(1 << 20).To(Cl);
        Assert.True(Torch.OpenCL.MemoryAllocated() >= before + (4 << 20));
        t.Dispose();
        Assert.True(Torch.OpenCL.MemoryAllocated() <= before + 0);
        Assert.True(Torch.OpenCL.MemoryReserved() >= 4 << 20);
        var again = Torch.Zeros(1 << 20).To(Cl);
        Assert.Equal(0f, again.Sum().Item<float>());
    }

    [OpenCLFact]
    public void A_kernel_that_does_not_build_shows_the_build_log()
    {
        var device = OpenCLBackend.DeviceOf(Cl);
        var e = Assert.Throws<OpenCLException>(() => device.Kernel("__kernel void broken(__global float* x) { x[0] = undefined_name; }", "broken"));
        Assert.Contains("clBuildProgram", e.Message);
        Assert.Contains("CL_BUILD_PROGRAM_FAILURE", e.Message);
        Assert.Contains("undefined_name", e.Message);
    }

    [OpenCLFact]
    public void Error_codes_have_names_and_meanings()
    {
        var e = new OpenCLException("clEnqueueNDRangeKernel", -5);
        Assert.Equal("clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES (-5): the device ran out of resources (memory, registers) or a kernel faulted", e.Message);
        Assert.Equal(-5, e.Code);
    }
}

/// <summary>The shared op/nn suites really run on the OpenCL device.</summary>
public class ConformanceSuiteDeviceTests
{
    [OpenCLFact]
    public void The_shared_suites_run_on_opencl() => Assert.Equal("opencl:0", Ignis.Tests.Fixture.DeviceUnderTest.ToString());
}

/// <summary>
/// Machines without OpenCL: a child process (tests/Ignis.OpenCL.Probe) runs with the ICD loader hidden, or with the
/// loader present but no driver registered; OpenCL is unavailable with the reason, and using it throws a clear error.
/// </summary>
public class MissingOpenCLTests
{
    static string Probe()
    {
        // tests/Ignis.OpenCL.Tests/bin/<Configuration>/net10.0 → tests/Ignis.OpenCL.Probe/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = here.Parent!.Name, tfm = here.Name;
        string path = Path.GetFullPath(Path.Combine(here.FullName, "..", "..", "..", "..", "Ignis.OpenCL.Probe", "bin", configuration, tfm, "Ignis.OpenCL.Probe.dll"));
        Assert.True(File.Exists(path), $"build tests/Ignis.OpenCL.Probe first ({path} is missing)");
        return path;
    }

    static Dictionary<string, string> Run(params (string Name, string Value)[] env)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Probe());
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "the probe hung");
        Assert.True(p.ExitCode == 0, $"the probe crashed ({p.ExitCode}): {stdout}\n{stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1].TrimEnd('\r'));
    }

    [OpenCLFact]
    public void A_program_that_never_names_the_backend_finds_and_uses_it()
    {
        var r = Run();
        Assert.Equal("True", r["available"]);
        Assert.Equal("6", r["sum"]);
    }

    [Fact]
    public void Without_the_icd_loader_opencl_is_unavailable_with_the_reason()
    {
        var r = Run(("IGNIS_OPENCL_LIBRARY", "/nonexistent/libOpenCL.so.1"));
        Assert.Equal("False", r["available"]);
        Assert.Equal("0", r["count"]);
        Assert.Contains("no OpenCL ICD loader found", r["reason"]);
        Assert.StartsWith("DeviceUnavailableException: Device 'opencl' is not available: no OpenCL ICD loader found", r["error"]);
    }

    [Fact]
    public void Without_a_driver_opencl_is_unavailable_with_the_reason()
    {
        if (!OperatingSystem.IsLinux()) return; // OCL_ICD_VENDORS is the Linux ICD loader's variable
        var empty = Directory.CreateTempSubdirectory("ignis-no-icd");
        try
        {
            var r = Run(("OCL_ICD_VENDORS", empty.FullName));
            Assert.Equal("False", r["available"]);
            Assert.Contains("no platform", r["reason"]);
            Assert.Contains("DeviceUnavailableException", r["error"]);
        }
        finally { empty.Delete(); }
    }
}
