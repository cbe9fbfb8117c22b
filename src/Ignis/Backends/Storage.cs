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
