using System.Runtime.InteropServices;

namespace Ignis;

/// <summary>Host arrays of a dtype's CLR type (bool as bytes): the one place that maps a dtype to an array type.</summary>
internal static class HostArrays
{
    /// <summary>A new zero-filled array of <paramref name="length"/> elements of the dtype's CLR type.</summary>
    public static Array New(DType dtype, int length) => dtype.Kind switch
    {
        ScalarType.Float32 => new float[length],
        ScalarType.Float64 => new double[length],
        ScalarType.Float16 => new Half[length],
        ScalarType.BFloat16 => new BFloat16[length],
        ScalarType.Int64 => new long[length],
        ScalarType.Int32 => new int[length],
        ScalarType.Int16 => new short[length],
        ScalarType.Int8 => new sbyte[length],
        ScalarType.UInt8 or ScalarType.Bool => new byte[length],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a defined Ignis dtype"),
    };

    /// <summary>
    /// A new array whose elements the caller overwrites before reading: not zeroed (for small tensors, which bypass the
    /// caching allocator, zeroing cost as much as the elementwise op that fills them).
    /// </summary>
    public static Array NewUninitialized(DType dtype, int length) => dtype.Kind switch
    {
        ScalarType.Float32 => GC.AllocateUninitializedArray<float>(length),
        ScalarType.Float64 => GC.AllocateUninitializedArray<double>(length),
        ScalarType.Float16 => GC.AllocateUninitializedArray<Half>(length),
        ScalarType.BFloat16 => GC.AllocateUninitializedArray<BFloat16>(length),
        ScalarType.Int64 => GC.AllocateUninitializedArray<long>(length),
        ScalarType.Int32 => GC.AllocateUninitializedArray<int>(length),
        ScalarType.Int16 => GC.AllocateUninitializedArray<short>(length),
        ScalarType.Int8 => GC.AllocateUninitializedArray<sbyte>(length),
        ScalarType.UInt8 or ScalarType.Bool => GC.AllocateUninitializedArray<byte>(length),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a defined Ignis dtype"),
    };

    /// <summary>
    /// Whether <paramref name="data"/> is exactly an array of the dtype's CLR type (bool as bytes): the exact type, since the
    /// runtime lets an sbyte[] pass as a byte[]; cheaper than asking for the element type by reflection.
    /// </summary>
    public static bool IsArrayOf(Array data, DType dtype)
    {
        var t = data.GetType();
        return dtype.Kind switch
        {
            ScalarType.Float32 => t == typeof(float[]),
            ScalarType.Float64 => t == typeof(double[]),
            ScalarType.Float16 => t == typeof(Half[]),
            ScalarType.BFloat16 => t == typeof(BFloat16[]),
            ScalarType.Int64 => t == typeof(long[]),
            ScalarType.Int32 => t == typeof(int[]),
            ScalarType.Int16 => t == typeof(short[]),
            ScalarType.Int8 => t == typeof(sbyte[]),
            ScalarType.UInt8 or ScalarType.Bool => t == typeof(byte[]),
            _ => false,
        };
    }

    /// <summary>The raw little-endian bytes of an array of unmanaged elements (this machine is little-endian).</summary>
    public static byte[] ToBytes(Array a, DType dtype)
    {
        long n = (long)a.Length * dtype.ElementSize();
        var span = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(a), checked((int)n));
        return span.ToArray();
    }

    /// <summary>An array of the dtype's CLR type holding <paramref name="bytes"/>; bool bytes are normalised to 0/1.</summary>
    public static Array FromBytes(ReadOnlySpan<byte> bytes, DType dtype)
    {
        int size = dtype.ElementSize();
        if (bytes.Length % size != 0) throw new ArgumentException($"{bytes.Length} bytes is not a whole number of {dtype.TorchName()} elements");
        var a = New(dtype, bytes.Length / size);
        var dst = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(a), bytes.Length);
        bytes.CopyTo(dst);
        if (dtype == DType.Bool)
            for (int i = 0; i < dst.Length; i++) dst[i] = dst[i] != 0 ? (byte)1 : (byte)0;
        return a;
    }
}
