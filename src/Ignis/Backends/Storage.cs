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
    }

    /// <summary>Where the elements live.</summary>
    public Device Device { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }
}

/// <summary>Managed-array storage of the CPU backend (bool and uint8 as <c>byte[]</c>).</summary>
public sealed class CpuStorage : Storage
{
    /// <summary>Wraps an array of the dtype's CLR type without copying.</summary>
    public CpuStorage(Array data, DType dtype) : base(Device.Cpu, dtype, data.LongLength)
    {
        if (data.GetType().GetElementType() != dtype.ClrType())
            throw new ArgumentException($"{dtype.TorchName()} storage needs {dtype.ClrType().Name}[], got {data.GetType().Name}.");
        Data = data;
    }

    /// <summary>The elements.</summary>
    public Array Data { get; }

    /// <summary>Typed view of the elements.</summary>
    public T[] As<T>() => (T[])Data;
}
