namespace Ignis.Backends;

/// <summary>A flat buffer of elements owned by one backend; tensors are strided views over it.</summary>
public abstract class Storage
{
    /// <summary>Creates storage metadata.</summary>
    protected Storage(Device device, DType dtype, long length)
    {
        Device = device;
        DType = dtype;
        Length = length;
        Id = Interlocked.Increment(ref nextId);
    }

    static long nextId;

    /// <summary>The id the next storage will get; storages with ids at or above a mark were created after it.</summary>
    internal static long NextId => Interlocked.Read(ref nextId) + 1;

    /// <summary>Creation order, used by autograd to tell freshly computed gradients from shared ones.</summary>
    internal long Id { get; }

    /// <summary>Where the elements live.</summary>
    public Device Device { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }
}

/// <summary>
/// Managed-array storage of the CPU backend (bool and uint8 as <c>byte[]</c>). Storages the backend allocates for
/// tensors are pooled: when one becomes unreachable its array goes back to <see cref="Cpu.BufferPool"/> so the next
/// training step reuses it instead of faulting in fresh memory. Arrays handed to user code are never pooled.
/// </summary>
public sealed class CpuStorage : Storage
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
        Cpu.BufferPool.Return(Data, DType);
    }

    /// <summary>The elements. For pooled storages the array is valid only while this storage is reachable.</summary>
    internal Array Data { get; }

    /// <summary>Typed view of the elements.</summary>
    internal T[] As<T>() => (T[])Data;
}
