using Ignis.Backends;
using Ignis.Cuda.Native;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>Library discovery on fake machines: every place in the search order, and every failure names what was tried.</summary>
public class DiscoveryTests
{
    static DriverInfo Cuda(int version, int gpus = 1) => new(version, gpus, null);

    [Fact]
    public void With_nothing_installed_the_driver_is_missing_and_every_attempt_is_named()
    {
        var host = new FakeHost();
        var r = LibraryDiscovery.Find(LibrarySpec.Driver, host);
        Assert.False(r.Found);
        string text = r.Explain();
        Assert.Contains("IGNIS_CUDA_DRIVER: (unset)", text);
        Assert.Contains("already loaded", text);
        Assert.Contains("system loader: libcuda.so.1 — load failed: libcuda.so.1: cannot open shared object file", text);
        Assert.Contains("install NVIDIA's driver", text);
        var probe = CudaProbe.Run(host, (_, _) => throw new InvalidOperationException("no driver to ask"));
        Assert.StartsWith("no NVIDIA driver", probe.Reason());
        Assert.Contains("NVRTC not found", probe.Reason());
        Assert.Contains("pip install nvidia-cuda-nvrtc-cu12", probe.Reason());
    }

    [Fact]
    public void An_override_is_authoritative()
    {
        var host = new FakeHost().With("/usr/lib/x86_64-linux-gnu/libcuda.so.1", LibrarySpec.Driver, file: false);
        host.Environment["IGNIS_CUDA_DRIVER"] = "/opt/wrong/libcuda.so.1";
        var r = LibraryDiscovery.Find(LibrarySpec.Driver, host);
        Assert.False(r.Found);
        Assert.Equal(["/opt/wrong/libcuda.so.1"], host.LoadCalls); // nothing else tried
        Assert.Contains("IGNIS_CUDA_DRIVER: /opt/wrong/libcuda.so.1 — load failed", r.Explain());

        host.Libraries["/opt/old/libnvrtc.so.12"] = ["nvrtcVersion"];
        host.Environment["IGNIS_CUDA_NVRTC"] = "/opt/old/libnvrtc.so.12";
        var nvrtc = LibraryDiscovery.Find(LibrarySpec.Nvrtc, host);
        Assert.False(nvrtc.Found);
        Assert.Contains("lacks nvrtcCreateProgram, nvrtcCompileProgram, nvrtcGetPTX", nvrtc.Explain());
    }

    [Fact]
    public void A_library_already_loaded_in_the_process_is_used_first()
    {
        var host = new FakeHost().With("/env/torch/lib/libnvrtc.so.13", LibrarySpec.Nvrtc, file: false).With("libnvrtc.so.12", LibrarySpec.Nvrtc, file: false);
        host.Loaded.Add("/env/torch/lib/libnvrtc.so.13");
        var r = LibraryDiscovery.Find(LibrarySpec.Nvrtc, host);
        Assert.True(r.Found);
        Assert.Equal(("/env/torch/lib/libnvrtc.so.13", 13, "already loaded"), (r.Path, r.Major, r.Via));
    }

    [Fact]
    public void Cuda_home_is_searched_newest_version_first_but_never_for_the_driver()
    {
        var host = new FakeHost()
            .With("/usr/local/cuda/lib64/libcublas.so.12", LibrarySpec.Cublas)
            .With("/usr/local/cuda/lib64/libcublas.so.13", LibrarySpec.Cublas)
            .With("/usr/local/cuda/lib64/stubs/libcuda.so", LibrarySpec.Driver);
        host.Environment["CUDA_HOME"] = "/usr/local/cuda";
        var r = LibraryDiscovery.Find(LibrarySpec.Cublas, host);
        Assert.Equal(("/usr/local/cuda/lib64/libcublas.so.13", 13, "CUDA_HOME"), (r.Path, r.Major, r.Via));
        Assert.False(LibraryDiscovery.Find(LibrarySpec.Driver, host).Found); // the toolkit's stub cannot run anything
    }

    [Fact]
    public void Nvidia_pip_wheels_are_found_under_the_pythons_on_path()
    {
        var host = new FakeHost()
            .With("/home/u/venv/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12", LibrarySpec.Nvrtc)
            .With("/home/u/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", LibrarySpec.Cublas)
            .With("/home/u/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9", LibrarySpec.Cudnn);
        host.Files.Add("/home/u/venv/bin/python3");
        host.Environment["PATH"] = "/usr/bin:/home/u/venv/bin";
        Assert.Equal(["/home/u/venv/lib/python3.12/site-packages"], LibraryDiscovery.SitePackages(host));
        var nvrtc = LibraryDiscovery.Find(LibrarySpec.Nvrtc, host);
        Assert.Equal(("/home/u/venv/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12", 12, "pip wheel"), (nvrtc.Path, nvrtc.Major, nvrtc.Via));
        Assert.Equal("/home/u/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", LibraryDiscovery.Find(LibrarySpec.Cublas, host).Path);
        Assert.True(LibraryDiscovery.Find(LibrarySpec.Cudnn, host).Found);
    }

    [Fact]
    public void Windows_names_and_cuda_path_are_used_on_windows()
    {
        var host = new FakeHost(windows: true).With("C:/CUDA/v13.0/bin/x64/nvrtc64_130_0.dll", LibrarySpec.Nvrtc);
        host.Environment["CUDA_PATH"] = "C:/CUDA/v13.0";
        var r = LibraryDiscovery.Find(LibrarySpec.Nvrtc, host);
        Assert.Equal(("C:/CUDA/v13.0/bin/x64/nvrtc64_130_0.dll", 13), (r.Path, r.Major));
        Assert.Contains("nvcuda.dll", LibraryDiscovery.Find(LibrarySpec.Driver, host).Explain());
    }

    static FakeHost Complete(int nvrtcMajor)
    {
        string site = "/venv/lib/python3.11/site-packages/nvidia";
        var host = new FakeHost()
            .With("libcuda.so.1", LibrarySpec.Driver, file: false)
            .With($"{site}/cuda_nvrtc/lib/libnvrtc.so.{nvrtcMajor}", LibrarySpec.Nvrtc)
            .With($"{site}/cublas/lib/libcublas.so.12", LibrarySpec.Cublas)
            .With($"{site}/cublas/lib/libcublasLt.so.12", LibrarySpec.CublasLt)
            .With($"{site}/cudnn/lib/libcudnn.so.9", LibrarySpec.Cudnn);
        host.Environment["VIRTUAL_ENV"] = "/venv";
        return host;
    }

    [Fact]
    public void A_library_newer_than_the_driver_is_explained_with_the_minimum_driver()
    {
        var probe = CudaProbe.Run(Complete(13), (_, _) => Cuda(12040));
        var problem = Assert.Single(probe.Problems);
        Assert.Equal("NVRTC is from CUDA 13, but the installed driver supports CUDA 12.4 only: CUDA 13 needs an NVIDIA driver ≥ 580.65.06. " +
            "Update the driver, or use CUDA 12 libraries (e.g. the -cu12 pip wheels)", problem);
        Assert.Null(DriverCompatibility.Explain("cuBLAS", 12, 13000, windows: false));
    }

    [Fact]
    public void Driver_failures_are_reported_with_the_drivers_words()
    {
        Assert.Contains("did not start: cuInit failed: CUDA_ERROR_NO_DEVICE (100)",
            CudaProbe.Run(Complete(12), (_, _) => new DriverInfo(12080, 0, "cuInit failed: CUDA_ERROR_NO_DEVICE (100)")).Reason());
        Assert.Contains("(CUDA 12.8) reports no GPU", CudaProbe.Run(Complete(12), (_, _) => Cuda(12080, gpus: 0)).Reason());
    }

    [Fact]
    public void With_the_driver_and_nvrtc_present_nothing_stops_the_backend_and_optional_libraries_are_notes()
    {
        var probe = CudaProbe.Run(Complete(12), (_, _) => Cuda(13000, 8));
        Assert.Empty(probe.Problems);
        Assert.Null(probe.Reason());
        Assert.Empty(probe.Notes);
        Assert.Equal("/venv/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12", probe.Nvrtc.Path);

        var host = Complete(12);
        host.Libraries.Remove("/venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9");
        host.Files.Remove("/venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9");
        var withoutCudnn = CudaProbe.Run(host, (_, _) => Cuda(13000, 8));
        Assert.Null(withoutCudnn.Reason());
        Assert.StartsWith("cuDNN not found; tried ", Assert.Single(withoutCudnn.Notes));
        Assert.Contains("note: cuDNN not found", CudaStatus.From(withoutCudnn).Notes.Select(n => "note: " + n).Single());
    }

    [Fact]
    public void On_this_machine_cuda_is_unavailable_with_the_reason()
    {
        CudaBackend.Register();
        Assert.False(Torch.Cuda.IsAvailable());
        string? reason = Torch.Cuda.UnavailableReason();
        Assert.NotNull(reason);
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
            Assert.StartsWith("no NVIDIA driver", reason);
        var e = Assert.Throws<DeviceUnavailableException>(() => Torch.Ones(2).To("cuda"));
        Assert.Contains(reason!, e.Message);
        Assert.Contains(CudaBackend.Diagnose().Split('\n')[0].Trim(), CudaBackend.Diagnose());
    }
}
