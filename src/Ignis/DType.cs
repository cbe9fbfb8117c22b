namespace Ignis;

/// <summary>Element type of a tensor (<c>torch.dtype</c>).</summary>
public enum DType
{
    /// <summary><c>torch.bool</c>; stored as one byte per element (0 or 1).</summary>
    Bool,
    /// <summary><c>torch.uint8</c>.</summary>
    UInt8,
    /// <summary><c>torch.int32</c>.</summary>
    Int32,
    /// <summary><c>torch.int64</c>, the default integer dtype.</summary>
    Int64,
    /// <summary><c>torch.float32</c>, the default floating-point dtype.</summary>
    Float32,
    /// <summary><c>torch.float64</c>.</summary>
    Float64,
}

/// <summary>Facts about <see cref="DType"/> values and PyTorch's type-promotion lattice.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.Bool or DType.UInt8 => 1,
        DType.Int32 or DType.Float32 => 4,
        _ => 8,
    };

    /// <summary><c>dtype.is_floating_point</c>.</summary>
    public static bool IsFloatingPoint(this DType t) => t is DType.Float32 or DType.Float64;

    /// <summary>True for integer dtypes (bool excluded).</summary>
    public static bool IsIntegral(this DType t) => t is DType.UInt8 or DType.Int32 or DType.Int64;

    /// <summary>PyTorch's name, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType t) => "torch." + t switch
    {
        DType.Bool => "bool",
        DType.UInt8 => "uint8",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Float32 => "float32",
        _ => "float64",
    };

    /// <summary>Short name used in messages ("Float", "Long", …), as PyTorch's <c>ScalarType</c> prints.</summary>
    public static string ScalarTypeName(this DType t) => t switch
    {
        DType.Bool => "Bool",
        DType.UInt8 => "Byte",
        DType.Int32 => "Int",
        DType.Int64 => "Long",
        DType.Float32 => "Float",
        _ => "Double",
    };

    /// <summary><c>torch.promote_types</c>: with these six dtypes the lattice is a total order.</summary>
    public static DType Promote(DType a, DType b) => (DType)Math.Max((int)a, (int)b);

    internal static int Category(this DType t) => t == DType.Bool ? 0 : t.IsFloatingPoint() ? 2 : 1;

    /// <summary>The .NET element type that stores this dtype.</summary>
    public static Type ClrType(this DType t) => t switch
    {
        DType.Bool or DType.UInt8 => typeof(byte),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float32 => typeof(float),
        _ => typeof(double),
    };

    /// <summary>Maps a .NET element type to its dtype (<c>bool</c> → <see cref="DType.Bool"/>).</summary>
    public static DType FromClr(Type t)
    {
        if (t == typeof(float)) return DType.Float32;
        if (t == typeof(double)) return DType.Float64;
        if (t == typeof(long)) return DType.Int64;
        if (t == typeof(int)) return DType.Int32;
        if (t == typeof(byte)) return DType.UInt8;
        if (t == typeof(bool)) return DType.Bool;
        throw new NotSupportedException($"No Ignis dtype stores .NET type {t.Name}.");
    }
}
