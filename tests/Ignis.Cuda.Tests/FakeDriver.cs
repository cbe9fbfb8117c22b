using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ignis.Cuda.Native;

namespace Ignis.Cuda.Tests;

/// <summary>
/// A CUDA driver made of unmanaged-callable methods: device memory is host arrays at made-up addresses, copies (sync
/// and async) move bytes between them, pinned host memory is native memory, modules and functions are numbered, and a
/// launch is recorded — and, when a test sets <see cref="OnLaunch"/>, carried out by it (the test plays the kernel).
/// Static state: tests using it run in the "fake driver" collection, one at a time.
/// </summary>
internal static unsafe class FakeDriver
{
    public static readonly Dictionary<ulong, byte[]> Memory = [];
    static ulong next = 0x7000_0000_0000;
    public static long Capacity = long.MaxValue;
    public static readonly List<string> Calls = [];
    public static byte[]? LoadedImage;
    static readonly Dictionary<nint, string> FunctionNames = [];

    /// <summary>One launch: the kernel's name, grid, block and stream.</summary>
    public sealed record Launched(string Kernel, (uint X, uint Y, uint Z) Grid, (uint X, uint Y, uint Z) Block, nint Stream);

    public static readonly List<Launched> Launches = [];

    /// <summary>Plays a kernel: gets its name and its parameter array (<c>void**</c>, valid only during the call).</summary>
    public delegate void KernelPlayer(string kernel, nint* parameters);

    /// <summary>Runs during cuLaunchKernel (a test playing the kernel).</summary>
    public static KernelPlayer? OnLaunch;

    /// <summary>The bytes at a device address (the rest of its allocation).</summary>
    public static Span<byte> At(ulong address)
    {
        foreach (var (b, bytes) in Memory)
            if (address >= b && address < b + (ulong)bytes.Length) return bytes.AsSpan((int)(address - b));
        throw new InvalidOperationException($"0x{address:x} is not device memory");
    }

    [UnmanagedCallersOnly] static int Init(uint flags) { Calls.Add("cuInit"); return 0; }
    [UnmanagedCallersOnly] static int DeviceGet(int* device, int ordinal) { *device = ordinal; return ordinal < 2 ? 0 : 101; }
    [UnmanagedCallersOnly] static int PrimaryCtxRetain(nint* context, int device) { *context = 0xC0 + device; Calls.Add($"retain {device}"); return 0; }
    [UnmanagedCallersOnly] static int CtxSetCurrent(nint context) { Calls.Add($"current 0x{context:x}"); return 0; }

    [UnmanagedCallersOnly]
    static int MemAlloc(ulong* p, nuint bytes)
    {
        if (Memory.Values.Sum(b => (long)b.Length) + (long)bytes > Capacity) return 2; // CUDA_ERROR_OUT_OF_MEMORY
        *p = next;
        Memory[next] = new byte[(int)bytes];
        next += (ulong)bytes + 4096;
        return 0;
    }

    [UnmanagedCallersOnly] static int MemFree(ulong p) => Memory.Remove(p) ? 0 : 1;

    [UnmanagedCallersOnly]
    static int CopyHtoD(ulong dst, void* src, nuint n) { new ReadOnlySpan<byte>(src, (int)n).CopyTo(At(dst)); return 0; }

    [UnmanagedCallersOnly]
    static int CopyDtoH(void* dst, ulong src, nuint n) { At(src)[..(int)n].CopyTo(new Span<byte>(dst, (int)n)); return 0; }

    [UnmanagedCallersOnly]
    static int CopyHtoDAsync(ulong dst, void* src, nuint n, nint stream) { Calls.Add($"HtoD async {n} on {stream}"); new ReadOnlySpan<byte>(src, (int)n).CopyTo(At(dst)); return 0; }

    [UnmanagedCallersOnly]
    static int CopyDtoHAsync(void* dst, ulong src, nuint n, nint stream) { Calls.Add($"DtoH async {n} on {stream}"); At(src)[..(int)n].CopyTo(new Span<byte>(dst, (int)n)); return 0; }

    [UnmanagedCallersOnly]
    static int CopyDtoDAsync(ulong dst, ulong src, nuint n, nint stream) { At(src)[..(int)n].CopyTo(At(dst)); return 0; }

    [UnmanagedCallersOnly]
    static int CopyPeerAsync(ulong dst, nint dstContext, ulong src, nint srcContext, nuint n, nint stream)
    {
        Calls.Add($"peer copy {n} from 0x{srcContext:x} to 0x{dstContext:x} on {stream}");
        At(src)[..(int)n].CopyTo(At(dst));
        return 0;
    }

    [UnmanagedCallersOnly] static int HostAlloc(void** p, nuint bytes, uint flags) { *p = NativeMemory.AllocZeroed(bytes); Calls.Add($"pinned {bytes}"); return 0; }
    [UnmanagedCallersOnly] static int FreeHost(void* p) { NativeMemory.Free(p); return 0; }

    [UnmanagedCallersOnly]
    static int ModuleLoadData(nint* module, void* image)
    {
        LoadedImage = Encoding.ASCII.GetBytes(Marshal.PtrToStringAnsi((nint)image)!);
        *module = 0x1000 + Calls.Count;
        Calls.Add("module");
        return 0;
    }

    [UnmanagedCallersOnly]
    static int ModuleGetFunction(nint* function, nint module, byte* name)
    {
        string n = Marshal.PtrToStringAnsi((nint)name)!;
        if (n == "missing") return 500; // CUDA_ERROR_NOT_FOUND
        *function = 0x2000 + FunctionNames.Count;
        FunctionNames[*function] = n;
        return 0;
    }

    [UnmanagedCallersOnly]
    static int LaunchKernel(nint f, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, uint shared, nint stream, nint parameters, nint extra)
    {
        string name = FunctionNames.GetValueOrDefault(f, "?");
        Launches.Add(new Launched(name, (gx, gy, gz), (bx, by, bz), stream));
        OnLaunch?.Invoke(name, (nint*)parameters);
        return 0;
    }

    [UnmanagedCallersOnly] static int CtxSynchronize() { Calls.Add("synchronize"); return 0; }
    [UnmanagedCallersOnly] static int StreamCreate(nint* s, uint flags) { *s = 0x5000 + Calls.Count; Calls.Add($"stream flags {flags}"); return 0; }
    [UnmanagedCallersOnly] static int StreamDestroy(nint s) { Calls.Add($"destroy stream {s}"); return 0; }
    [UnmanagedCallersOnly] static int StreamSynchronize(nint s) { Calls.Add($"sync stream {s}"); return 0; }
    [UnmanagedCallersOnly] static int StreamWaitEvent(nint s, nint e, uint flags) { Calls.Add($"stream {s} waits {e}"); return 0; }
    [UnmanagedCallersOnly] static int EventCreate(nint* e, uint flags) { *e = 0x6000 + Calls.Count; Calls.Add($"event flags {flags}"); return 0; }
    [UnmanagedCallersOnly] static int EventRecord(nint e, nint s) { Calls.Add($"record {e} on {s}"); return 0; }
    [UnmanagedCallersOnly] static int EventSynchronize(nint e) { Calls.Add($"sync event {e}"); return 0; }
    [UnmanagedCallersOnly] static int EventQuery(nint e) => 600; // CUDA_ERROR_NOT_READY
    [UnmanagedCallersOnly] static int EventElapsed(float* ms, nint a, nint b) { *ms = 1.5f; return 0; }
    [UnmanagedCallersOnly] static int EventDestroy(nint e) { Calls.Add($"destroy event {e}"); return 0; }

    [UnmanagedCallersOnly]
    static int GetErrorName(int code, byte** name)
    {
        string text = code switch { 101 => "CUDA_ERROR_INVALID_DEVICE", 500 => "CUDA_ERROR_NOT_FOUND", _ => "CUDA_ERROR_UNKNOWN" };
        *name = (byte*)Marshal.StringToHGlobalAnsi(text); // leaked: test-only
        return 0;
    }

    /// <summary>Puts the fake driver on <paramref name="host"/> as the library <paramref name="path"/>.</summary>
    public static void Install(FakeHost host, string path = "libcuda.so.1")
    {
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
            ("cuMemcpyDtoDAsync_v2", (nint)(delegate* unmanaged<ulong, ulong, nuint, nint, int>)&CopyDtoDAsync),
            ("cuMemcpyPeerAsync", (nint)(delegate* unmanaged<ulong, nint, ulong, nint, nuint, nint, int>)&CopyPeerAsync),
            ("cuMemHostAlloc", (nint)(delegate* unmanaged<void**, nuint, uint, int>)&HostAlloc),
            ("cuMemFreeHost", (nint)(delegate* unmanaged<void*, int>)&FreeHost),
            ("cuStreamCreate", (nint)(delegate* unmanaged<nint*, uint, int>)&StreamCreate),
            ("cuStreamDestroy_v2", (nint)(delegate* unmanaged<nint, int>)&StreamDestroy),
            ("cuStreamSynchronize", (nint)(delegate* unmanaged<nint, int>)&StreamSynchronize),
            ("cuStreamWaitEvent", (nint)(delegate* unmanaged<nint, nint, uint, int>)&StreamWaitEvent),
            ("cuEventCreate", (nint)(delegate* unmanaged<nint*, uint, int>)&EventCreate),
            ("cuEventRecord", (nint)(delegate* unmanaged<nint, nint, int>)&EventRecord),
            ("cuEventSynchronize", (nint)(delegate* unmanaged<nint, int>)&EventSynchronize),
            ("cuEventQuery", (nint)(delegate* unmanaged<nint, int>)&EventQuery),
            ("cuEventElapsedTime", (nint)(delegate* unmanaged<float*, nint, nint, int>)&EventElapsed),
            ("cuEventDestroy_v2", (nint)(delegate* unmanaged<nint, int>)&EventDestroy),
            ("cuMemcpyHtoDAsync_v2", (nint)(delegate* unmanaged<ulong, void*, nuint, nint, int>)&CopyHtoDAsync),
            ("cuMemcpyDtoHAsync_v2", (nint)(delegate* unmanaged<void*, ulong, nuint, nint, int>)&CopyDtoHAsync),
        ];
        host.Libraries[path] = [.. host.Libraries.GetValueOrDefault(path, []), .. exports.Select(e => e.Item1)];
        foreach (var (n, a) in exports) host.Addresses[n] = a;
    }

    /// <summary>The bound fake driver.</summary>
    public static CuDriver Bind()
    {
        var host = new FakeHost();
        Install(host);
        if (!host.TryLoad("libcuda.so.1", out nint lib, out _)) throw new InvalidOperationException("fake driver did not load");
        return CuDriver.Bind(lib, host, out var missing) ?? throw new InvalidOperationException(missing);
    }
}
