using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ignis.Backends;
using Ignis.Cuda.Memory;
using Ignis.Cuda.Native;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>
/// The driver-API binding against a fake driver (its C API as unmanaged-callable methods, device memory as host
/// arrays): the primary context, the caching allocator on cuMemAlloc (out-of-memory recovery included), copies both
/// ways, module loading and the launch configuration and parameters a kernel receives.
/// </summary>
[Collection("fake driver")]
public unsafe class DriverTests
{
    static CuDriver Fake() => FakeDriver.Bind();

    [Fact]
    public void The_primary_context_is_retained_and_made_current_and_errors_carry_the_drivers_name()
    {
        var d = Fake();
        d.Init();
        Assert.Equal(0xC1, d.PrimaryContext(1));
        Assert.Equal(["cuInit", "retain 1", "current 0xc1"], FakeDriver.Calls.TakeLast(3));
        var e = Assert.Throws<CudaException>(() => d.PrimaryContext(5));
        Assert.Equal("cuDeviceGet failed: CUDA_ERROR_INVALID_DEVICE (101)", e.Message);
    }

    [Fact]
    public void The_caching_allocator_runs_on_cuMemAlloc_and_copies_round_trip()
    {
        var d = Fake();
        FakeDriver.Memory.Clear();
        FakeDriver.Capacity = 64L << 20;
        try
        {
            var alloc = new SegmentAllocator(new DriverMemory(d, FakeDriver.Capacity), "cuda:0");
            var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
            ulong p = alloc.Allocate(data.Length);
            d.CopyToDevice(p, data);
            var back = new byte[data.Length];
            d.CopyToHost(back, p);
            Assert.Equal(data, back);
            ulong big = alloc.Allocate(40L << 20);
            alloc.Free(big);
            ulong bigger = alloc.Allocate(50L << 20); // cuMemAlloc reports OOM; the idle 40 MiB segment is freed and it retries
            Assert.NotEqual(0UL, bigger);
            Assert.Throws<DeviceOutOfMemoryException>(() => alloc.Allocate(30L << 20));
        }
        finally { FakeDriver.Capacity = long.MaxValue; }
    }

    [Fact]
    public void A_module_is_loaded_and_a_missing_function_is_named()
    {
        var d = Fake();
        var module = d.LoadModule(Encoding.ASCII.GetBytes("CUBIN-IMAGE\0"));
        Assert.Equal("CUBIN-IMAGE", Encoding.ASCII.GetString(FakeDriver.LoadedImage!));
        Assert.NotEqual(0, d.Function(module, "ew"));
        Assert.Equal("cuModuleGetFunction(missing) failed: CUDA_ERROR_NOT_FOUND (500)",
            Assert.Throws<CudaException>(() => d.Function(module, "missing")).Message);
    }
}
