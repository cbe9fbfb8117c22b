namespace Ignis.Kernels;

/// <summary>
/// How one dtype looks in OpenCL C: the element type in memory, the type arithmetic runs in, and how an element is
/// loaded and stored. float16 uses <c>vload_half</c>/<c>vstore_half_rte</c> (core OpenCL 1.2, no cl_khr_fp16 needed) and
/// bfloat16 is the upper half of a float32 rounded to nearest even with c10's canonical NaN — both compute in float32,
/// as the CPU backend does. bool is one byte, 0 or 1.
/// </summary>
internal sealed record KernelType(DType DType, string Mem, string Compute)
{
    public static KernelType Of(DType t) => t.Kind switch
    {
        ScalarType.Float32 => new(t, "float", "float"),
        ScalarType.Float64 => new(t, "double", "double"),
        ScalarType.Float16 => new(t, "half", "float"),
        ScalarType.BFloat16 => new(t, "ushort", "float"),
        ScalarType.Int64 => new(t, "long", "long"),
        ScalarType.Int32 => new(t, "int", "int"),
        ScalarType.Int16 => new(t, "short", "short"),
        ScalarType.Int8 => new(t, "char", "char"),
        ScalarType.UInt8 => new(t, "uchar", "uchar"),
        ScalarType.Bool => new(t, "uchar", "uchar"),
        _ => throw new UnsupportedDTypeException("opencl", t),
    };

    /// <summary>True for float16/bfloat16/float32/float64.</summary>
    public bool IsFloat => DType.IsFloatingPoint();

    /// <summary>An expression reading element <paramref name="index"/> of pointer <paramref name="ptr"/> as the compute type.</summary>
    public string Load(string ptr, string index) => DType.Kind switch
    {
        ScalarType.Float16 => $"vload_half({index}, {ptr})",
        ScalarType.BFloat16 => $"as_float(((uint){ptr}[{index}]) << 16)",
        _ => $"{ptr}[{index}]",
    };

    /// <summary>A statement writing compute-type <paramref name="value"/> to element <paramref name="index"/>.</summary>
    public string Store(string ptr, string index, string value) => DType.Kind switch
    {
        ScalarType.Float16 => $"vstore_half_rte({value}, {index}, {ptr});",
        ScalarType.BFloat16 => $"{ptr}[{index}] = ig_to_bf16({value});",
        _ => $"{ptr}[{index}] = {value};",
    };

    /// <summary>An expression converting <paramref name="value"/> of type <paramref name="from"/> to this compute type, as c10 converts.</summary>
    public string Convert(string value, KernelType from)
    {
        if (DType == DType.Bool) return $"(uchar)(({value}) != 0)";
        if (from.Compute == Compute) return value;
        // double → half/bfloat16 rounds through float32 as c10 does; both compute in float, so one cast does it.
        return $"({Compute})({value})";
    }

    /// <summary>The pragma a source needs when it touches doubles.</summary>
    public static string Pragmas(IEnumerable<KernelType> types) =>
        types.Any(t => t.DType == DType.Float64) ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "";

    /// <summary>Helpers every source includes (bfloat16 rounding).</summary>
    public const string Prelude = """
        inline ushort ig_to_bf16(float f) {
            uint u = as_uint(f);
            if (isnan(f)) return (ushort)0x7FC0;
            return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
        }

        """;
}
