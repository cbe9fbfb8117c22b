using Ignis;
using Ignis.Backends;
using Xunit;

namespace Ignis.Tests;

/// <summary>Device names, the per-device-type query API and the errors for devices this machine lacks.</summary>
public class DeviceServicesTests
{
    [Theory]
    [InlineData("cpu", DeviceType.Cpu, null)]
    [InlineData("cuda:1", DeviceType.Cuda, 1)]
    [InlineData("opencl:1", DeviceType.OpenCL, 1)]
    [InlineData("opencl", DeviceType.OpenCL, null)]
    [InlineData("mps", DeviceType.Mps, null)]
    [InlineData("privateuseone:0", DeviceType.PrivateUse1, 0)]
    public void Device_strings_parse_and_print_back(string spec, DeviceType type, int? index)
    {
        var d = Device.Parse(spec);
        Assert.Equal(new Device(type, index), d);
        Assert.Equal(spec, d.ToString());
    }

    [Fact]
    public void An_undefined_device_type_is_an_error_not_another_name()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Device((DeviceType)42).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DType)42).TorchName());
    }

    [Fact]
    public void Missing_gpu_backends_explain_what_to_install()
    {
        Assert.False(Torch.OpenCL.IsAvailable());
        Assert.Equal(0, Torch.OpenCL.DeviceCount());
        Assert.Equal(0, Torch.Cuda.DeviceCount());
        var e = Assert.Throws<DeviceUnavailableException>(() => Torch.Ones(2).To("opencl:1"));
        Assert.Contains("Ignis.OpenCL", e.Message);
        Assert.Contains("libOpenCL.so.1", e.Message);
        Assert.Throws<DeviceUnavailableException>(() => Torch.Cuda.MemoryAllocated());
    }

    [Fact]
    public void The_host_reports_properties_and_rejects_bad_indices()
    {
        Assert.True(Torch.Host.IsAvailable());
        Assert.Equal(1, Torch.Host.DeviceCount());
        var p = Torch.Host.GetDeviceProperties();
        Assert.False(string.IsNullOrWhiteSpace(p.Name));
        Assert.True(p.TotalMemory > 0);
        Assert.Equal(Environment.ProcessorCount, p.ComputeUnits);
        Torch.Host.Synchronize();
        Assert.Throws<ArgumentOutOfRangeException>(() => Torch.Host.GetDeviceProperties(1));
        Assert.Throws<DeviceUnavailableException>(() => Torch.Zeros([2], device: "cpu:1"));
    }

    [Fact]
    public void Memory_counters_follow_allocations_and_releases()
    {
        var t = Torch.Zeros(1 << 18);
        var during = Torch.Host.MemoryStats();
        Assert.True(during.Allocated >= 1L << 20);
        Assert.True(during.Reserved >= during.Allocated);
        Assert.True(during.PeakAllocated >= during.Allocated);
        t.Dispose();
        Assert.True(Torch.Host.MemoryReserved() - Torch.Host.MemoryAllocated() >= 1L << 20 || Torch.Host.MemoryReserved() < during.Reserved);
    }
}
