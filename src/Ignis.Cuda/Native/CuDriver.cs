using System.Runtime.InteropServices;

namespace Ignis.Cuda.Native;

/// <summary>A CUDA driver-API call failed; the message names the call and the driver's name for the result.</summary>
public sealed class CudaException : Exception
{
    internal CudaException(string call, int code, string name) : base($"{call} failed: {name} ({code})") => Code = code;

    /// <summary>The <c>CUresult</c>.</summary>
    public int Code { get; }
}

/// <summary>
/// The driver-API entry points the backend uses, bound from the driver library discovery found: initialisation, the
/// device's primary context (shared with cuBLAS and cuDNN, as PyTorch does), memory, copies, modules and launches.
/// Every call is checked; failures name the call and the driver's error name (<c>cuGetErrorName</c>).
/// </summary>
internal sealed unsafe class CuDriver
{
    static readonly string[] Names =
    [
        "cuInit", "cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuMemAlloc_v2", "cuMemFree_v2",
        "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuModuleLoadData", "cuModuleGetFunction", "cuLaunchKernel",
        "cuCtxSynchronize", "cuGetErrorName",
    ];

    readonly nint[] f;

    CuDriver(nint[] functions) => f = functions;

    /// <summary>Binds the entry points; null and the missing names when the library lacks some.</summary>
    public static CuDriver? Bind(nint library, INativeHost host, out string? missing)
    {
        var f = new nint[Names.Length];
        var absent = Names.Where((n, i) => !host.TryGetExport(library, n, out f[i])).ToArray();
        missing = absent.Length == 0 ? null : string.Join(", ", absent);
        return absent.Length == 0 ? new CuDriver(f) : null;
    }

    void Check(int code, string call)
    {
        if (code == 0) return;
        byte* name = null;
        string text = ((delegate* unmanaged<int, byte**, int>)f[12])(code, &name) == 0 && name != null
            ? Marshal.PtrToStringUTF8((nint)name) ?? "CUDA_ERROR_UNKNOWN" : "CUDA_ERROR_UNKNOWN";
        throw new CudaException(call, code, text);
    }

    public void Init() => Check(((delegate* unmanaged<uint, int>)f[0])(0), "cuInit");

    /// <summary>The device's primary context, made current on this thread.</summary>
    public nint PrimaryContext(int ordinal)
    {
        int device;
        Check(((delegate* unmanaged<int*, int, int>)f[1])(&device, ordinal), "cuDeviceGet");
        nint context;
        Check(((delegate* unmanaged<nint*, int, int>)f[2])(&context, device), "cuDevicePrimaryCtxRetain");
        SetCurrent(context);
        return context;
    }

    public void SetCurrent(nint context) => Check(((delegate* unmanaged<nint, int>)f[3])(context), "cuCtxSetCurrent");

    /// <summary>cuMemAlloc; 0 when the device is out of memory (CUDA_ERROR_OUT_OF_MEMORY), other failures throw.</summary>
    public ulong TryAlloc(long bytes)
    {
        ulong p;
        int rc = ((delegate* unmanaged<ulong*, nuint, int>)f[4])(&p, (nuint)bytes);
        if (rc == 2) return 0; // CUDA_ERROR_OUT_OF_MEMORY: the caching allocator frees and retries
        Check(rc, "cuMemAlloc_v2");
        return p;
    }

    public void Free(ulong address) => Check(((delegate* unmanaged<ulong, int>)f[5])(address), "cuMemFree_v2");

    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        fixed (byte* p = src) Check(((delegate* unmanaged<ulong, void*, nuint, int>)f[6])(dst, p, (nuint)src.Length), "cuMemcpyHtoD_v2");
    }

    public void CopyToHost(Span<byte> dst, ulong src)
    {
        fixed (byte* p = dst) Check(((delegate* unmanaged<void*, ulong, nuint, int>)f[7])(p, src, (nuint)dst.Length), "cuMemcpyDtoH_v2");
    }

    /// <summary>Loads a CUBIN (or PTX) image and returns the function <paramref name="name"/> of it.</summary>
    public nint LoadFunction(byte[] image, string name, out nint module)
    {
        nint m;
        fixed (byte* p = image) Check(((delegate* unmanaged<nint*, void*, int>)f[8])(&m, p), "cuModuleLoadData");
        module = m;
        nint function;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes) Check(((delegate* unmanaged<nint*, nint, byte*, int>)f[9])(&function, m, n), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Launches a 1-D grid covering <paramref name="threads"/> work-items in blocks of <paramref name="block"/>.</summary>
    public void Launch(nint function, long threads, int block, LaunchArgs args, nint stream = 0)
    {
        if (threads <= 0) return;
        long blocks = (threads + block - 1) / block;
        if (blocks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(threads), $"{threads} work-items need more than 2^31 blocks");
        Check(((delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, nint, nint, int>)f[10])(
            function, (uint)blocks, 1, 1, (uint)block, 1, 1, 0, stream, args.KernelParams(), 0), "cuLaunchKernel");
    }

    public void Synchronize() => Check(((delegate* unmanaged<int>)f[11])(), "cuCtxSynchronize");
}

/// <summary>Device memory for the caching allocator through the driver (the device's primary context is current).</summary>
internal sealed class DriverMemory(CuDriver driver, long totalBytes) : Memory.IDeviceMemory
{
    public ulong Alloc(long bytes) => driver.TryAlloc(bytes);
    public void Free(ulong address) => driver.Free(address);
    public long TotalBytes => totalBytes;
}
