using System.Collections.Frozen;

namespace Ignis;

/// <summary>
/// The scalar type behind a <see cref="DType"/>, as an enum to switch on (PyTorch C++'s <c>c10::ScalarType</c>,
/// <c>tensor.scalar_type()</c>): <c>switch (t.DType.Kind) { case ScalarType.Float32: … }</c>.
/// </summary>
public enum ScalarType
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
    /// <summary><c>torch.int8</c>.</summary>
    Int8,
    /// <summary><c>torch.int16</c>.</summary>
    Int16,
    /// <summary><c>torch.float16</c> (IEEE binary16, stored as <see cref="System.Half"/>).</summary>
    Float16,
    /// <summary><c>torch.bfloat16</c> (the upper half of a float32, stored as <see cref="Ignis.BFloat16"/>).</summary>
    BFloat16,
}

/// <summary>
/// Element type of a tensor (<c>torch.dtype</c>): <c>DType.Float32</c> is <c>torch.float32</c> and prints as
/// <c>torch.float32</c>. Compare with <c>==</c>; switch on <see cref="Kind"/> (a <see cref="ScalarType"/>), which
/// converts both ways implicitly. Facts about each value live in one table, <see cref="DTypeInfo"/>.
/// </summary>
[System.Diagnostics.DebuggerDisplay("{ToString(),nq}")]
public readonly struct DType : IEquatable<DType>
{
    readonly ScalarType kind;

    DType(ScalarType kind) => this.kind = kind;

    /// <summary>The scalar type, for <c>switch</c> statements and patterns.</summary>
    public ScalarType Kind => kind;

    /// <summary><c>torch.bool</c>; stored as one byte per element (0 or 1).</summary>
    public static readonly DType Bool = new(ScalarType.Bool);
    /// <summary><c>torch.uint8</c>.</summary>
    public static readonly DType UInt8 = new(ScalarType.UInt8);
    /// <summary><c>torch.int8</c>.</summary>
    public static readonly DType Int8 = new(ScalarType.Int8);
    /// <summary><c>torch.int16</c>.</summary>
    public static readonly DType Int16 = new(ScalarType.Int16);
    /// <summary><c>torch.int32</c>.</summary>
    public static readonly DType Int32 = new(ScalarType.Int32);
    /// <summary><c>torch.int64</c>, the default integer dtype.</summary>
    public static readonly DType Int64 = new(ScalarType.Int64);
    /// <summary><c>torch.float16</c> (IEEE binary16, stored as <see cref="System.Half"/>).</summary>
    public static readonly DType Float16 = new(ScalarType.Float16);
    /// <summary><c>torch.bfloat16</c> (the upper half of a float32, stored as <see cref="Ignis.BFloat16"/>).</summary>
    public static readonly DType BFloat16 = new(ScalarType.BFloat16);
    /// <summary><c>torch.float32</c>, the default floating-point dtype.</summary>
    public static readonly DType Float32 = new(ScalarType.Float32);
    /// <summary><c>torch.float64</c>.</summary>
    public static readonly DType Float64 = new(ScalarType.Float64);

    /// <summary>The dtype of a scalar type.</summary>
    public static implicit operator DType(ScalarType kind) => new(kind);

    /// <summary>The scalar type of a dtype.</summary>
    public static implicit operator ScalarType(DType dtype) => dtype.kind;

    /// <summary>The scalar type's number (as the enum's value; for tables indexed by dtype).</summary>
    public static explicit operator int(DType dtype) => (int)dtype.kind;

    /// <summary>The dtype with a scalar type's number.</summary>
    public static explicit operator DType(int kind) => new((ScalarType)kind);

    /// <summary>Same scalar type.</summary>
    public static bool operator ==(DType left, DType right) => left.kind == right.kind;

    /// <summary>Different scalar types.</summary>
    public static bool operator !=(DType left, DType right) => left.kind != right.kind;

    /// <inheritdoc/>
    public bool Equals(DType other) => kind == other.kind;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DType d && d.kind == kind;

    /// <inheritdoc/>
    public override int GetHashCode() => (int)kind;

    /// <summary>PyTorch's printed form, <c>torch.float32</c>.</summary>
    public override string ToString() => this.TorchName();
}

/// <summary>The kind of number a dtype holds; promotion never moves to a lower category (bool &lt; integer &lt; floating).</summary>
public enum DTypeCategory
{
    /// <summary>bool.</summary>
    Bool,
    /// <summary>Signed or unsigned integers.</summary>
    Integer,
    /// <summary>Floating point.</summary>
    Floating,
}

/// <summary>One row of the dtype table.</summary>
/// <param name="DType">The dtype.</param>
/// <param name="ElementSize">Bytes per element.</param>
/// <param name="ClrType">The .NET element type of its storage (bool is stored as <see cref="byte"/>).</param>
/// <param name="Category">bool, integer or floating.</param>
/// <param name="Name">PyTorch's name without the <c>torch.</c> prefix (<c>float32</c>).</param>
/// <param name="ScalarTypeName">c10's <c>ScalarType</c> name used in error messages (<c>Float</c>).</param>
/// <param name="Signed">Whether negative values exist.</param>
/// <param name="SafeTensorsCode">The dtype's code in the safetensors header (<c>F32</c>).</param>
public sealed record DTypeFacts(DType DType, int ElementSize, Type ClrType, DTypeCategory Category, string Name,
    string ScalarTypeName, bool Signed, string SafeTensorsCode);

/// <summary>Thrown when an operation has no kernel for a dtype (PyTorch: <c>"op" not implemented for 'Half'</c>).</summary>
public sealed class UnsupportedDTypeException : NotSupportedException
{
    /// <summary>Creates the exception naming the operation and the dtype.</summary>
    public UnsupportedDTypeException(string op, DType dtype)
        : base($"\"{op}\" not implemented for '{dtype.ScalarTypeName()}'")
    {
        Op = op;
        DType = dtype;
    }

    /// <summary>The operation or kernel name.</summary>
    public string Op { get; }

    /// <summary>The dtype it has no kernel for.</summary>
    public DType DType { get; }
}

/// <summary>Facts about <see cref="DType"/> values and PyTorch's type-promotion lattice (<c>c10/core/ScalarType.h</c>).</summary>
public static class DTypeInfo
{
    static readonly DTypeFacts[] Table = Build();

    static DTypeFacts[] Build()
    {
        DTypeFacts[] rows =
        [
            new(DType.Bool, 1, typeof(byte), DTypeCategory.Bool, "bool", "Bool", false, "BOOL"),
            new(DType.UInt8, 1, typeof(byte), DTypeCategory.Integer, "uint8", "Byte", false, "U8"),
            new(DType.Int8, 1, typeof(sbyte), DTypeCategory.Integer, "int8", "Char", true, "I8"),
            new(DType.Int16, 2, typeof(short), DTypeCategory.Integer, "int16", "Short", true, "I16"),
            new(DType.Int32, 4, typeof(int), DTypeCategory.Integer, "int32", "Int", true, "I32"),
            new(DType.Int64, 8, typeof(long), DTypeCategory.Integer, "int64", "Long", true, "I64"),
            new(DType.Float16, 2, typeof(Half), DTypeCategory.Floating, "float16", "Half", true, "F16"),
            new(DType.BFloat16, 2, typeof(BFloat16), DTypeCategory.Floating, "bfloat16", "BFloat16", true, "BF16"),
            new(DType.Float32, 4, typeof(float), DTypeCategory.Floating, "float32", "Float", true, "F32"),
            new(DType.Float64, 8, typeof(double), DTypeCategory.Floating, "float64", "Double", true, "F64"),
        ];
        var table = new DTypeFacts[rows.Length];
        foreach (var r in rows) table[(int)r.DType.Kind] = r;
        return table;
    }

    /// <summary>Every dtype, in the order of PyTorch's promotion table.</summary>
    public static IReadOnlyList<DType> All { get; } =
        [ScalarType.UInt8, DType.Int8, ScalarType.Int16, DType.Int32, ScalarType.Int64, DType.Float16, ScalarType.Float32, DType.Float64, ScalarType.Bool, DType.BFloat16];

    /// <summary>The table row of a dtype; an undefined enum value is an error, never a default.</summary>
    public static DTypeFacts Facts(this DType t) =>
        (uint)t.Kind < (uint)Table.Length ? Table[(int)t.Kind] : throw new ArgumentOutOfRangeException(nameof(t), t, "not a defined Ignis dtype");

    /// <summary>Bytes per element (<c>element_size()</c>).</summary>
    public static int ElementSize(this DType t) => t.Facts().ElementSize;

    /// <summary><c>dtype.is_floating_point</c>.</summary>
    public static bool IsFloatingPoint(this DType t) => t.Facts().Category == DTypeCategory.Floating;

    /// <summary>True for integer dtypes (bool excluded).</summary>
    public static bool IsIntegral(this DType t) => t.Facts().Category == DTypeCategory.Integer;

    /// <summary>True for the 16-bit floats, which the CPU computes in float32.</summary>
    public static bool IsReducedFloat(this DType t) => t.Kind is ScalarType.Float16 or ScalarType.BFloat16;

    /// <summary>PyTorch's name, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType t) => "torch." + t.Facts().Name;

    /// <summary>Short name used in messages ("Float", "Long", …), as PyTorch's <c>ScalarType</c> prints.</summary>
    public static string ScalarTypeName(this DType t) => t.Facts().ScalarTypeName;

    /// <summary>The dtype's category (bool, integer, floating).</summary>
    public static DTypeCategory Category(this DType t) => t.Facts().Category;

    /// <summary>The .NET element type that stores this dtype.</summary>
    public static Type ClrType(this DType t) => t.Facts().ClrType;

    static readonly DType[,] PromotionTable = BuildPromotion();

    // PyTorch's table (c10/core/ScalarType.h, promoteTypes) follows these rules; tests compare every pair with
    // torch.promote_types. It is a lattice, not a total order: uint8 ⊔ int8 = int16 and float16 ⊔ bfloat16 = float32.
    static DType[,] BuildPromotion()
    {
        int n = Table.Length;
        var p = new DType[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                p[i, j] = PromoteRule(Table[i], Table[j]);
        return p;

        static DType PromoteRule(DTypeFacts a, DTypeFacts b)
        {
            if (a.DType == b.DType) return a.DType;
            if (a.Category != b.Category) return a.Category > b.Category ? a.DType : b.DType;
            if (a.Category == DTypeCategory.Floating)
            {
                if (a.ElementSize == 2 && b.ElementSize == 2) return DType.Float32; // float16 ⊔ bfloat16
                return a.ElementSize > b.ElementSize ? a.DType : b.DType;
            }
            // Integers: an unsigned and a signed type meet in a signed type wide enough for both.
            if (a.Signed != b.Signed)
            {
                var signed = a.Signed ? a : b;
                var unsigned = a.Signed ? b : a;
                return signed.ElementSize > unsigned.ElementSize ? signed.DType : DType.Int16;
            }
            return a.ElementSize > b.ElementSize ? a.DType : b.DType;
        }
    }

    /// <summary><c>torch.promote_types</c>: the smallest dtype both values fit in (PyTorch's promotion lattice).</summary>
    public static DType Promote(DType a, DType b)
    {
        _ = a.Facts();
        _ = b.Facts();
        return PromotionTable[(int)a.Kind, (int)b.Kind];
    }

    static readonly FrozenDictionary<Type, DType> ByClr = new Dictionary<Type, DType>
    {
        [typeof(float)] = DType.Float32,
        [typeof(double)] = DType.Float64,
        [typeof(long)] = DType.Int64,
        [typeof(int)] = DType.Int32,
        [typeof(short)] = DType.Int16,
        [typeof(sbyte)] = DType.Int8,
        [typeof(byte)] = DType.UInt8,
        [typeof(bool)] = DType.Bool,
        [typeof(Half)] = DType.Float16,
        [typeof(BFloat16)] = DType.BFloat16,
    }.ToFrozenDictionary();

    /// <summary>A new zero-filled host array of the dtype's CLR type (bool as bytes), as backends hand tensors to the host.</summary>
    public static Array NewHostArray(DType dtype, int length) => HostArrays.New(dtype, length);

    /// <summary>Maps a .NET element type to its dtype (<c>bool</c> → <see cref="DType.Bool"/>).</summary>
    public static DType FromClr(Type t) =>
        ByClr.TryGetValue(t, out var d) ? d : throw new NotSupportedException($"No Ignis dtype stores .NET type {t.Name}.");

    /// <summary>Parses PyTorch's dtype names (<c>float32</c>, <c>torch.half</c>, <c>long</c>, …).</summary>
    public static DType Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string s = name.StartsWith("torch.", StringComparison.Ordinal) ? name[6..] : name;
        foreach (var f in Table)
            if (f.Name == s) return f.DType;
        return s switch
        {
            "float" => DType.Float32,
            "double" => DType.Float64,
            "half" => DType.Float16,
            "long" => DType.Int64,
            "int" => DType.Int32,
            "short" => DType.Int16,
            _ => throw new ArgumentException($"unknown dtype '{name}'", nameof(name)),
        };
    }

    /// <summary>Parses a safetensors dtype code (<c>F32</c>, <c>BF16</c>, …); null when Ignis has no such dtype.</summary>
    public static DType? FromSafeTensorsCode(string code)
    {
        foreach (var f in Table)
            if (f.SafeTensorsCode == code) return f.DType;
        return null;
    }
}
