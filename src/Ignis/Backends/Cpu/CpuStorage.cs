namespace Ignis.Backends.Cpu;

/// <summary>
/// Managed-array storage of the CPU backend (bool and uint8 as <c>byte[]</c>). Storages the backend allocates for
/// tensors borrow their arrays from <see cref="CpuAllocator"/>: <c>Dispose</c> returns the array at once, and a storage
/// that becomes unreachable queues it from its finalizer, so the next training step reuses it instead of faulting in
/// fresh memory. Arrays handed to user code are never cached.
/// </summary>
internal class CpuStorage : Storage
{
    readonly Array data;
    readonly long blockBytes;

    /// <summary>Wraps an array of the dtype's CLR type without copying; the array is never returned to the cache.</summary>
    public CpuStorage(Array data, DType dtype) : this(data, dtype, blockBytes: 0) { }

    /// <summary>A block of <paramref name="blockBytes"/> from <see cref="CpuAllocator"/> (use <see cref="Pooled"/>), or 0.</summary>
    private protected CpuStorage(Array data, DType dtype, long blockBytes) : base(Device.Cpu, dtype, data.LongLength)
    {
        if (!HostArrays.IsArrayOf(data, dtype))
            throw new ArgumentException($"{dtype.TorchName()} storage needs {dtype.ClrType().Name}[], got {data.GetType().Name}.");
        this.data = data;
        this.blockBytes = blockBytes;
    }

    /// <summary>
    /// A storage over a block from <see cref="CpuAllocator"/>: the only kind with a finalizer (small arrays, the GC's
    /// own, need none, and allocating a finalizable object costs every tensor a trip through the GC's slow path).
    /// </summary>
    internal sealed class Pooled(Array data, DType dtype, long blockBytes) : CpuStorage(data, dtype, blockBytes)
    {
        ~Pooled() => ReleaseFromFinalizer();
    }

    /// <inheritdoc/>
    protected override void Release(bool finalizing)
    {
        if (blockBytes == 0) return;
        if (finalizing) CpuAllocator.Instance.FreeFromFinalizer(data, CpuAllocator.Kind(DType), blockBytes);
        else CpuAllocator.Instance.Free(data, CpuAllocator.Kind(DType), blockBytes);
    }

    /// <summary>The elements. A cached array is valid only while this storage is reachable and not disposed.</summary>
    internal Array Data => IsDisposed ? throw new ObjectDisposedException(nameof(Storage), $"{DType.TorchName()} storage of {Length} elements was disposed") : data;

    /// <summary>Typed view of the elements.</summary>
    internal T[] As<T>() => (T[])Data;
}
