using System.Runtime.InteropServices;
using System.Text;
using Ignis.Cuda.Native;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>
/// Discovery's driver query against a fake driver: the CUDA version, the device count and each device's name, memory,
/// compute capability and multiprocessors (what <c>ignis doctor</c> and <c>torch.cuda.get_device_properties</c> show).
/// </summary>
[Collection("fake driver")]
public unsafe class DeviceQueryTests
{
    // Two GPUs; the second one's name query fails when failSecond is set.
    static bool failSecond;

    [UnmanagedCallersOnly] static int Init(uint flags) => 0;
    [UnmanagedCallersOnly] static int DriverGetVersion(int* v) { *v = 13000; return 0; }
    [UnmanagedCallersOnly] static int DeviceGetCount(int* n) { *n = 2; return 0; }
    [UnmanagedCallersOnly] static int DeviceGet(int* device, int ordinal) { *device = 10 + ordinal; return ordinal < 2 ? 0 : 101; }

    [UnmanagedCallersOnly]
    static int DeviceGetName(byte* name, int length, int device)
    {
        if (failSecond && device == 11) return 999;
        var bytes = Encoding.UTF8.GetBytes((device == 10 ? "NVIDIA H200" : "NVIDIA A100-SXM4-80GB") + "\0");
        if (bytes.Length > length) return 1;
        bytes.CopyTo(new Span<byte>(name, length));
        return 0;
    }

    [UnmanagedCallersOnly] static int DeviceTotalMem(nuint* bytes, int device) { *bytes = (nuint)(device == 10 ? 150_109_880_320L : 85_100_000_000L); return 0; }

    [UnmanagedCallersOnly]
    static int DeviceGetAttribute(int* value, int attribute, int device)
    {
        *value = attribute switch
        {
            75 => device == 10 ? 9 : 8, // compute capability major
            76 => 0,                    // minor
            16 => device == 10 ? 132 : 108, // multiprocessors
            _ => -1,
        };
        return *value < 0 ? 1 : 0;
    }

    [UnmanagedCallersOnly] static int GetErrorName(int code, byte** name) { *name = null; return 1; }

    static (FakeHost Host, nint Library) Driver(bool withDeviceQueries = true)
    {
        var host = new FakeHost();
        var exports = new List<(string, nint)>
        {
            ("cuInit", (nint)(delegate* unmanaged<uint, int>)&Init),
            ("cuDriverGetVersion", (nint)(delegate* unmanaged<int*, int>)&DriverGetVersion),
            ("cuDeviceGetCount", (nint)(delegate* unmanaged<int*, int>)&DeviceGetCount),
            ("cuGetErrorName", (nint)(delegate* unmanaged<int, byte**, int>)&GetErrorName),
        };
        if (withDeviceQueries)
            exports.AddRange([
                ("cuDeviceGet", (nint)(delegate* unmanaged<int*, int, int>)&DeviceGet),
                ("cuDeviceGetName", (nint)(delegate* unmanaged<byte*, int, int, int>)&DeviceGetName),
                ("cuDeviceTotalMem_v2", (nint)(delegate* unmanaged<nuint*, int, int>)&DeviceTotalMem),
                ("cuDeviceGetAttribute", (nint)(delegate* unmanaged<int*, int, int, int>)&DeviceGetAttribute),
            ]);
        host.Libraries["libcuda.so.1"] = exports.Select(e => e.Item1).ToArray();
        foreach (var (n, a) in exports) host.Addresses[n] = a;
        Assert.True(host.TryLoad("libcuda.so.1", out nint lib, out _));
        return (host, lib);
    }

    [Fact]
    public void Each_device_is_described_by_name_memory_capability_and_multiprocessors()
    {
        var (host, lib) = Driver();
        var info = DriverApi.Query(lib, host);
        Assert.Null(info.Error);
        Assert.Equal(13000, info.CudaVersion);
        Assert.Equal(2, info.DeviceCount);
        Assert.Equal([new CudaDeviceInfo(0, "NVIDIA H200", 150_109_880_320, 9, 0, 132), new CudaDeviceInfo(1, "NVIDIA A100-SXM4-80GB", 85_100_000_000, 8, 0, 108)],
            info.Devices!);
        Assert.Equal("9.0", info.Devices![0].Capability);
        Assert.Equal("sm_80", info.Devices[1].Architecture);
    }

    [Fact]
    public void A_device_whose_queries_fail_is_left_out_and_an_older_driver_gives_the_count_only()
    {
        var (host, lib) = Driver();
        failSecond = true;
        try
        {
            var info = DriverApi.Query(lib, host);
            Assert.Equal(2, info.DeviceCount);
            Assert.Equal("NVIDIA H200", Assert.Single(info.Devices!).Name);
        }
        finally { failSecond = false; }

        var (bare, bareLib) = Driver(withDeviceQueries: false);
        var count = DriverApi.Query(bareLib, bare);
        Assert.Equal(2, count.DeviceCount);
        Assert.Empty(count.Devices!);
    }
}
