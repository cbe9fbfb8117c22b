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
        "cuCtxSynchronize", "cuGetErrorName", "cuMemcpyDtoDAsync_v2", "cuMemHostAlloc", "cuMemFreeHost",
        "cuStreamCreate", "cuStreamDestroy_v2", "cuStreamSynchronize", "cuStreamWaitEvent", "cuEventCreate",
        "cuEventRecord", "cuEventSynchronize", "cuEventQuery", "cuEventElapsedTime", "cuEventDestroy_v2",
        "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyPeerAsync",
    ];

    /// <summary>The entry points every driver since CUDA 4 exports (a fake driver in tests provides them too).</summary>
    internal static IReadOnlyList<string> Exports => Names;

    readonly nint[] f;

    CuDriver(nint[] functions) => f = functions;

    /// <summary>Binds the entry points; null and the missing names when the library lacks some.</summary>
    public static CuDriver? Bind(nint library, INativeHost host, out string? missing) =>
        NativeExports.Bind(host, library, Names, out missing) is { } f ? new CuDriver(f) : null;

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

    /// <summary>Copies host bytes to the device; returns once the source may be reused (ordered after earlier work on the legacy stream).</summary>
    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        fixed (byte* p = src) Check(((delegate* unmanaged<ulong, void*, nuint, int>)f[6])(dst, p, (nuint)src.Length), "cuMemcpyHtoD_v2");
    }

    /// <summary>Copies device bytes to the host after the work issued before it.</summary>
    public void CopyToHost(Span<byte> dst, ulong src)
    {
        fixed (byte* p = dst) Check(((delegate* unmanaged<void*, ulong, nuint, int>)f[7])(p, src, (nuint)dst.Length), "cuMemcpyDtoH_v2");
    }

    /// <summary>Asynchronous host-to-device copy on <paramref name="stream"/>; <paramref name="src"/> must be pinned and stay valid until it ran.</summary>
    public void CopyToDeviceAsync(ulong dst, void* src, long bytes, nint stream) =>
        Check(((delegate* unmanaged<ulong, void*, nuint, nint, int>)f[26])(dst, src, (nuint)bytes, stream), "cuMemcpyHtoDAsync_v2");

    /// <summary>Asynchronous device-to-host copy on <paramref name="stream"/> into pinned memory.</summary>
    public void CopyToHostAsync(void* dst, ulong src, long bytes, nint stream) =>
        Check(((delegate* unmanaged<void*, ulong, nuint, nint, int>)f[27])(dst, src, (nuint)bytes, stream), "cuMemcpyDtoHAsync_v2");

    /// <summary>Device-to-device copy, ordered on <paramref name="stream"/> (0: the legacy default stream).</summary>
    public void CopyOnDevice(ulong dst, ulong src, long bytes, nint stream = 0) =>
        Check(((delegate* unmanaged<ulong, ulong, nuint, nint, int>)f[13])(dst, src, (nuint)bytes, stream), "cuMemcpyDtoDAsync_v2");

    /// <summary>
    /// Copy between the memory of two GPUs (contexts), ordered on <paramref name="stream"/> of the destination's context:
    /// direct over NVLink/PCIe where the GPUs can reach each other, staged by the driver otherwise.
    /// </summary>
    public void CopyPeer(ulong dst, nint dstContext, ulong src, nint srcContext, long bytes, nint stream) =>
        Check(((delegate* unmanaged<ulong, nint, ulong, nint, nuint, nint, int>)f[28])(dst, dstContext, src, srcContext, (nuint)bytes, stream), "cuMemcpyPeerAsync");

    /// <summary>Page-locked host memory the GPU reads and writes by DMA (cuMemHostAlloc, portable across contexts).</summary>
    public void* HostAlloc(long bytes)
    {
        void* p;
        Check(((delegate* unmanaged<void**, nuint, uint, int>)f[14])(&p, (nuint)bytes, 1 /* CU_MEMHOSTALLOC_PORTABLE */), "cuMemHostAlloc");
        return p;
    }

    public void FreeHost(void* p) => Check(((delegate* unmanaged<void*, int>)f[15])(p), "cuMemFreeHost");

    /// <summary>Loads a CUBIN (or PTX) image.</summary>
    public nint LoadModule(byte[] image)
    {
        nint m;
        fixed (byte* p = image) Check(((delegate* unmanaged<nint*, void*, int>)f[8])(&m, p), "cuModuleLoadData");
        return m;
    }

    /// <summary>The kernel <paramref name="name"/> of a loaded module.</summary>
    public nint Function(nint module, string name)
    {
        nint function;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes) Check(((delegate* unmanaged<nint*, nint, byte*, int>)f[9])(&function, module, n), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Launches a grid of <paramref name="grid"/> blocks of <paramref name="block"/> threads with the parameter array <paramref name="parameters"/> (<c>void**</c>).</summary>
    public void Launch(nint function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block, nint parameters, nint stream = 0) =>
        Check(((delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, nint, nint, int>)f[10])(
            function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, 0, stream, parameters, 0), "cuLaunchKernel");

    public void Synchronize() => Check(((delegate* unmanaged<int>)f[11])(), "cuCtxSynchronize");

    /// <summary>
    /// A new stream (CU_STREAM_DEFAULT: it synchronises with the legacy default stream, so transfers and reads on the
    /// default stream still see its work in issue order).
    /// </summary>
    public nint CreateStream()
    {
        nint s;
        Check(((delegate* unmanaged<nint*, uint, int>)f[16])(&s, 0), "cuStreamCreate");
        return s;
    }

    public void DestroyStream(nint stream) => Check(((delegate* unmanaged<nint, int>)f[17])(stream), "cuStreamDestroy_v2");

    public void SynchronizeStream(nint stream) => Check(((delegate* unmanaged<nint, int>)f[18])(stream), "cuStreamSynchronize");

    /// <summary>Makes later work on <paramref name="stream"/> wait for <paramref name="evt"/>.</summary>
    public void StreamWaitEvent(nint stream, nint evt) => Check(((delegate* unmanaged<nint, nint, uint, int>)f[19])(stream, evt, 0), "cuStreamWaitEvent");

    /// <summary>A new event (with timing unless <paramref name="timing"/> is false: CU_EVENT_DISABLE_TIMING).</summary>
    public nint CreateEvent(bool timing)
    {
        nint e;
        Check(((delegate* unmanaged<nint*, uint, int>)f[20])(&e, timing ? 0u : 2u), "cuEventCreate");
        return e;
    }

    public void RecordEvent(nint evt, nint stream) => Check(((delegate* unmanaged<nint, nint, int>)f[21])(evt, stream), "cuEventRecord");

    public void SynchronizeEvent(nint evt) => Check(((delegate* unmanaged<nint, int>)f[22])(evt), "cuEventSynchronize");

    /// <summary>True when the work before the event is done (CUDA_SUCCESS), false while it is pending (CUDA_ERROR_NOT_READY).</summary>
    public bool QueryEvent(nint evt)
    {
        int rc = ((delegate* unmanaged<nint, int>)f[23])(evt);
        if (rc == 600) return false; // CUDA_ERROR_NOT_READY
        Check(rc, "cuEventQuery");
        return true;
    }

    /// <summary>Milliseconds between two recorded events.</summary>
    public float ElapsedMilliseconds(nint start, nint end)
    {
        float ms;
        Check(((delegate* unmanaged<float*, nint, nint, int>)f[24])(&ms, start, end), "cuEventElapsedTime");
        return ms;
    }

    public void DestroyEvent(nint evt) => Check(((delegate* unmanaged<nint, int>)f[25])(evt), "cuEventDestroy_v2");
}

/// <summary>Device memory for the caching allocator through the driver (the device's primary context is current).</summary>
internal sealed class DriverMemory(CuDriver driver, long totalBytes) : Memory.IDeviceMemory
{
    public ulong Alloc(long bytes) => driver.TryAlloc(bytes);
    public void Free(ulong address) => driver.Free(address);
    public long TotalBytes => totalBytes;

    public nint RecordEvent(nint stream)
    {
        nint e = driver.CreateEvent(timing: false);
        driver.RecordEvent(e, stream);
        return e;
    }

    public bool EventDone(nint e) => driver.QueryEvent(e);

    public void SynchronizeAndDestroyEvent(nint e)
    {
        driver.SynchronizeEvent(e);
        driver.DestroyEvent(e);
    }

    public void DestroyEvent(nint e) => driver.DestroyEvent(e);
}
