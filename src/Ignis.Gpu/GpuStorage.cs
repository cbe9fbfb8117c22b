using Ignis.Backends;

namespace Ignis.Gpu;

/// <summary>A device buffer a device's allocator hands out and takes back: its address or handle and its size.</summary>
/// <param name="Mem">The <c>cl_mem</c> handle (OpenCL) or the device address (CUDA).</param>
/// <param name="Bytes">Bytes of the block (at least what was asked for).</param>
internal sealed record GpuBuffer(nint Mem, long Bytes);

/// <summary>
/// Storage on a GPU device: a buffer borrowed from the device's allocator. Dispose returns it at once; the finalizer
/// only queues it (no device API call from the finalizer thread).
/// </summary>
internal sealed class GpuStorage : Storage
{
    readonly GpuBuffer block;

    public GpuStorage(GpuDevice device, DType dtype, long length) : base(device.Device, dtype, length)
    {
        Owner = device;
        block = device.Allocate(Math.Max(1, length * dtype.ElementSize()));
    }

    /// <summary>Queues the buffer of a storage nobody disposed (no device call from the finalizer thread).</summary>
    ~GpuStorage() => ReleaseFromFinalizer();

    /// <summary>The device the buffer belongs to.</summary>
    public GpuDevice Owner { get; }

    /// <summary>The buffer handle or address; throws once the storage was disposed.</summary>
    public nint Mem => IsDisposed ? throw new ObjectDisposedException(nameof(Storage), $"{DType.TorchName()} storage of {Length} elements on {Device} was disposed") : block.Mem;

    /// <summary>The device storage behind a storage, or a clear error when it lives elsewhere.</summary>
    public static GpuStorage Of(Storage s) => s as GpuStorage
        ?? throw new InvalidOperationException($"a GPU backend received a storage on {s.Device} ({s.GetType().Name})");

    protected override void Release(bool finalizing) => Owner.Free(block, finalizing);
}
