namespace Ignis.Backends.Cpu;

/// <summary>
/// Managed-array storage of the CPU backend (bool and uint8 as <c>byte[]</c>). Storages the backend allocates for
/// tensors are pooled: when one becomes unreachable its array goes back to <see cref="BufferPool"/> so the next
/// training step reuses it instead of faulting in fresh memory. Arrays handed to user code are never pooled.
/// </summary>
internal sealed class CpuStorage : Storage
{
    readonly bool pooled;

    /// <summary>Wraps an array of the dtype's CLR type without copying; the array is never returned to the pool.</summary>
    public CpuStorage(Array data, DType dtype) : this(data, dtype, pooled: false) { }

    internal CpuStorage(Array data, DType dtype, bool pooled) : base(Device.Cpu, dtype, data.LongLength)
    {
        if (data.GetType().GetElementType() != dtype.ClrType())
            throw new ArgumentException($"{dtype.TorchName()} storage needs {dtype.ClrType().Name}[], got {data.GetType().Name}.");
        Data = data;
        this.pooled = pooled;
        if (!pooled) GC.SuppressFinalize(this);
        else Torch.Memory.RecordLive(data.LongLength * dtype.ElementSize());
    }

    /// <summary>Returns a pooled array for reuse once no tensor can reach this storage.</summary>
    ~CpuStorage()
    {
        if (!pooled) return;
        Torch.Memory.RecordReleased(Data.LongLength * DType.ElementSize());
        BufferPool.Return(Data, DType);
    }

    /// <summary>The elements. For pooled storages the array is valid only while this storage is reachable.</summary>
    internal Array Data { get; }

    /// <summary>Typed view of the elements.</summary>
    internal T[] As<T>() => (T[])Data;
}
