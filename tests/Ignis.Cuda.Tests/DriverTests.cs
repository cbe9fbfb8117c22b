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
    static readonly Dictionary<ulong, byte[]> Memory = [];
    static ulong next = 0x7000_0000_0000;
    static long capacity = long.MaxValue;
    static readonly List<string> Calls = [];
    static byte[]? loadedImage;
    static (uint Grid, uint Block, long A, int B, ulong Ptr)? lastLaunch;

    static (ulong Base, byte[] Bytes) Find(ulong address)
    {
        foreach (var (b, bytes) in Memory)
            if (address >= b && address < b + (ulong)bytes.Length) return (b, bytes);
        throw new InvalidOperationException($"0x{address:x} is not device memory");
    }

    [UnmanagedCallersOnly] static int Init(uint flags) { Calls.Add("cuInit"); return 0; }
    [UnmanagedCallersOnly] static int DeviceGet(int* device, int ordinal) { *device = ordinal; return ordinal < 2 ? 0 : 101; }
    [UnmanagedCallersOnly] static int PrimaryCtxRetain(nint* context, int device) { *context = 0xC0 + device; Calls.Add($"retain {device}"); return 0; }
    [UnmanagedCallersOnly] static int CtxSetCurrent(nint context) { Calls.Add($"current 0x{context:x}"); return 0; }

    [UnmanagedCallersOnly]
    static int MemAlloc(ulong* p, nuint bytes)
    {
        if (Memory.Values.Sum(b => (long)b.Length) + (long)bytes > capacity) return 2; // CUDA_ERROR_OUT_OF_MEMORY
        *p = next;
        Memory[next] = new byte[(int)bytes];
        next += (ulong)bytes + 4096;
        return 0;
    }

    [UnmanagedCallersOnly] static int MemFree(ulong p) => Memory.Remove(p) ? 0 : 1;

    [UnmanagedCallersOnly]
    static int CopyHtoD(ulong dst, void* src, nuint n)
    {
        var (b, bytes) = Find(dst);
        new ReadOnlySpan<byte>(src, (int)n).CopyTo(bytes.AsSpan((int)(dst - b)));
        return 0;
    }

    [UnmanagedCallersOnly]
    static int CopyDtoH(void* dst, ulong src, nuint n)
    {
        var (b, bytes) = Find(src);
        bytes.AsSpan((int)(src - b), (int)n).CopyTo(new Span<byte>(dst, (int)n));
        return 0;
    }

    [UnmanagedCallersOnly] static int ModuleLoadData(nint* module, void* image) { loadedImage = Encoding.ASCII.GetBytes(Marshal.PtrToStringAnsi((nint)image)!); *module = 0x1000; return 0; }

    [UnmanagedCallersOnly]
    static int ModuleGetFunction(nint* function, nint module, byte* name)
    {
        if (Marshal.PtrToStringAnsi((nint)name) != "ew") return 500; // CUDA_ERROR_NOT_FOUND
        *function = 0x2000;
        return 0;
    }

    [UnmanagedCallersOnly]
    static int LaunchKernel(nint f, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, uint shared, nint stream, nint parameters, nint extra)
    {
        var p = (nint*)parameters;
        lastLaunch = (gx, bx, *(long*)p[0], *(int*)p[1], *(ulong*)p[2]);
        return 0;
    }

    [UnmanagedCallersOnly] static int CtxSynchronize() => 0;

    [UnmanagedCallersOnly]
    static int GetErrorName(int code, byte** name)
    {
        string text = code switch { 101 => "CUDA_ERROR_INVALID_DEVICE", 500 => "CUDA_ERROR_NOT_FOUND", _ => "CUDA_ERROR_UNKNOWN" };
        *name = (byte*)Marshal.StringToHGlobalAnsi(text); // leaked: test-only
        return 0;
    }

    static CuDriver Fake()
    {
        var host = new FakeHost();
        (string, nint)[] exports =
        [
            ("cuInit", (nint)(delegate* unmanaged<uint, int>)&Init),
            ("cuDeviceGet", (nint)(delegate* unmanaged<int*, int, int>)&DeviceGet),
            ("cuDevicePrimaryCtxRetain", (nint)(delegate* unmanaged<nint*, int, int>)&PrimaryCtxRetain),
            ("cuCtxSetCurrent", (nint)(delegate* unmanaged<nint, int>)&CtxSetCurrent),
            ("cuMemAlloc_v2", (nint)(delegate* unmanaged<ulong*, nuint, int>)&MemAlloc),
            ("cuMemFree_v2", (nint)(delegate* unmanaged<ulong, int>)&MemFree),
            ("cuMemcpyHtoD_v2", (nint)(delegate* unmanaged<ulong, void*, nuint, int>)&CopyHtoD),
            ("cuMemcpyDtoH_v2", (nint)(delegate* unmanaged<void*, ulong, nuint, int>)&CopyDtoH),
            ("cuModuleLoadData", (nint)(delegate* unmanaged<nint*, void*, int>)&ModuleLoadData),
            ("cuModuleGetFunction", (nint)(delegate* unmanaged<nint*, nint, byte*, int>)&ModuleGetFunction),
            ("cuLaunchKernel", (nint)(delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, nint, nint, int>)&LaunchKernel),
            ("cuCtxSynchronize", (nint)(delegate* unmanaged<int>)&CtxSynchronize),
            ("cuGetErrorName", (nint)(delegate* unmanaged<int, byte**, int>)&GetErrorName),
        ];
        host.Libraries["libcuda.so.1"] = exports.Select(e => e.Item1).ToArray();
        foreach (var (n, a) in exports) host.Addresses[n] = a;
        Assert.True(host.TryLoad("libcuda.so.1", out nint lib, out _));
        return CuDriver.Bind(lib, host, out var missing) ?? throw new InvalidOperationException(missing);
    }

    [Fact]
    public void The_primary_context_is_retained_and_made_current_and_errors_carry_the_drivers_name()
    {
        var d = Fake();
        d.Init();
        Assert.Equal(0xC1, d.PrimaryContext(1));
        Assert.Equal(["cuInit", "retain 1", "current 0xc1"], Calls.TakeLast(3));
        var e = Assert.Throws<CudaException>(() => d.PrimaryContext(5));
        Assert.Equal("cuDeviceGet failed: CUDA_ERROR_INVALID_DEVICE (101)", e.Message);
    }

    [Fact]
    public void The_caching_allocator_runs_on_cuMemAlloc_and_copies_round_trip()
    {
        var d = Fake();
        Memory.Clear();
        capacity = 64L << 20;
        try
        {
            var alloc = new SegmentAllocator(new DriverMemory(d, capacity), "cuda:0");
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
        finally { capacity = long.MaxValue; }
    }

    [Fact]
    public void A_module_is_loaded_and_a_launch_gets_its_grid_and_parameters()
    {
        var d = Fake();
        var fn = d.LoadFunction(Encoding.ASCII.GetBytes("CUBIN-IMAGE\0"), "ew", out _);
        Assert.Equal("CUBIN-IMAGE", Encoding.ASCII.GetString(loadedImage!));
        using var args = new LaunchArgs().Long(1000).Int(3).Pointer(0x7000_0000_1000);
        d.Launch(fn, 1000, 256, args);
        Assert.Equal((4u, 256u, 1000L, 3, 0x7000_0000_1000UL), lastLaunch);
        Assert.Equal("cuModuleGetFunction(missing) failed: CUDA_ERROR_NOT_FOUND (500)",
            Assert.Throws<CudaException>(() => d.LoadFunction(Encoding.ASCII.GetBytes("X\0"), "missing", out _)).Message);
    }
}
