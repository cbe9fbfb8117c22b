using Ignis.Backends;
using Ignis.OpenCL.Native;

namespace Ignis.OpenCL;

/// <summary>A device buffer (<c>cl_mem</c>) the caching allocator hands out and takes back.</summary>
internal sealed class ClBuffer(nint mem, long bytes)
{
    public readonly nint Mem = mem;
    public readonly long Bytes = bytes;
}

/// <summary>
/// The OpenCL caching allocator: size buckets over <c>clCreateBuffer</c> blocks (kind 0 for every dtype: a kernel
/// reads any buffer as its dtype), so a training step reuses the previous step's buffers instead of calling the driver.
/// </summary>
internal sealed unsafe class ClAllocator(ClDevice device) : CachingAllocator<ClBuffer>($"opencl:{device.Index}")
{
    protected override ClBuffer? TryCreate(int kind, long bytes)
    {
        if (bytes > device.MaxAlloc)
            throw new DeviceOutOfMemoryException(
                $"opencl:{device.Index}: a buffer of {bytes} bytes is above the device's largest allocation ({device.MaxAlloc} bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE).");
        int err;
        nint mem = ClApi.CreateBuffer(device.Context, ClApi.CL_MEM_READ_WRITE, (nuint)bytes, null, &err);
        if (err is -4 or -5 or -6) return null; // allocation failure, out of resources, out of host memory: the base collects and retries
        ClApi.Check(err, "clCreateBuffer");
        return new ClBuffer(mem, bytes);
    }

    protected override void Destroy(ClBuffer block, int kind, long bytes) => ClApi.ReleaseMemObject(block.Mem);
}

/// <summary>
/// Storage on an OpenCL device: a buffer borrowed from the device's <see cref="ClAllocator"/>. Dispose returns it at
/// once; the finalizer only queues it (no OpenCL call from the finalizer thread).
/// </summary>
internal sealed class ClStorage : Storage
{
    readonly ClBuffer block;
    readonly long blockBytes;

    public ClStorage(ClDevice device, DType dtype, long length) : base(device.Device, dtype, length)
    {
        Owner = device;
        block = device.Allocator.Allocate(0, Math.Max(1, length * dtype.ElementSize()), out blockBytes, out _);
    }

    /// <summary>Queues the buffer of a storage nobody disposed (no OpenCL call from the finalizer thread).</summary>
    ~ClStorage() => ReleaseFromFinalizer();

    /// <summary>The device the buffer belongs to.</summary>
    public ClDevice Owner { get; }

    /// <summary>The buffer handle; throws once the storage was disposed.</summary>
    public nint Mem => IsDisposed ? throw new ObjectDisposedException(nameof(Storage), $"{DType.TorchName()} storage of {Length} elements on {Device} was disposed") : block.Mem;

    /// <summary>Bytes of the underlying block (at least Length × element size).</summary>
    public long BlockBytes => blockBytes;

    /// <summary>The OpenCL storage behind a storage, or a clear error when it lives elsewhere.</summary>
    public static ClStorage Of(Storage s) => s as ClStorage
        ?? throw new InvalidOperationException($"the OpenCL backend received a storage on {s.Device} ({s.GetType().Name})");

    protected override void Release(bool finalizing)
    {
        if (finalizing) Owner.Allocator.FreeFromFinalizer(block, 0, blockBytes);
        else Owner.Allocator.Free(block, 0, blockBytes);
    }
}
