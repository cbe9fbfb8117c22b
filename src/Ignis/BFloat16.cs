using System.Globalization;
using System.Runtime.CompilerServices;

namespace Ignis;

/// <summary>
/// The "brain floating-point" number (<c>torch.bfloat16</c>, C++ <c>c10::BFloat16</c>): 1 sign bit, 8 exponent bits
/// and 7 mantissa bits, i.e. the upper half of an IEEE 754 <see cref="float"/>. Only the 16 raw bits are stored;
/// arithmetic is done by widening to <see cref="float"/>, as PyTorch does on the CPU.
/// </summary>
/// <remarks>
/// Conversion from <see cref="float"/> rounds to nearest, ties to even, on the upper 16 bits of the float32 bit
/// pattern, and turns every NaN (any sign, any payload) into the canonical quiet NaN <c>0x7FC0</c>, exactly as
/// <c>c10::detail::round_to_nearest_even</c> does. Conversion to <see cref="float"/> is exact (<c>bits &lt;&lt; 16</c>).
/// </remarks>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>
{
    readonly ushort _bits;

    BFloat16(ushort bits) => _bits = bits;

    /// <summary>
    /// Builds a value from its 16 raw bits without any rounding, like C++ <c>c10::BFloat16(bits, c10::BFloat16::from_bits())</c>
    /// or <c>torch.tensor([bits], dtype=torch.int16).view(torch.bfloat16)</c>.
    /// </summary>
    /// <param name="bits">The raw bit pattern (sign, exponent, mantissa).</param>
    /// <returns>The <c>torch.bfloat16</c> value with exactly these bits.</returns>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>
    /// The 16 raw bits of this value, the C++ field <c>c10::BFloat16::x</c>; equal to
    /// <c>t.view(torch.int16)</c> of a <c>torch.bfloat16</c> tensor read as unsigned.
    /// </summary>
    public ushort RawBits => _bits;

    /// <summary>The largest finite <c>torch.bfloat16</c>, <c>torch.finfo(torch.bfloat16).max</c> = 3.3895314e38 (bits <c>0x7F7F</c>).</summary>
    public static BFloat16 MaxValue => new(0x7F7F);

    /// <summary>The most negative finite <c>torch.bfloat16</c>, <c>torch.finfo(torch.bfloat16).min</c> = -3.3895314e38 (bits <c>0xFF7F</c>).</summary>
    public static BFloat16 MinValue => new(0xFF7F);

    /// <summary>
    /// The smallest positive subnormal <c>torch.bfloat16</c>, 2^-133 ≈ 9.18355e-41 (bits <c>0x0001</c>), following the .NET
    /// meaning of <see cref="float.Epsilon"/>. This is <b>not</b> <c>torch.finfo(torch.bfloat16).eps</c>, which is
    /// 2^-7 = 0.0078125 (bits <c>0x3C00</c>).
    /// </summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>Positive infinity in <c>torch.bfloat16</c>, <c>float("inf")</c> (bits <c>0x7F80</c>).</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);

    /// <summary>Negative infinity in <c>torch.bfloat16</c>, <c>float("-inf")</c> (bits <c>0xFF80</c>).</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);

    /// <summary>The canonical quiet NaN that PyTorch produces for every NaN converted to <c>torch.bfloat16</c> (bits <c>0x7FC0</c>).</summary>
    public static BFloat16 NaN => new(0x7FC0);

    /// <summary>
    /// <c>torch.isnan</c> for one <c>torch.bfloat16</c> value: true when the exponent bits are all ones and the mantissa is
    /// non-zero (any sign, any payload).
    /// </summary>
    /// <param name="value">The value to test.</param>
    /// <returns>True for every NaN bit pattern.</returns>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > 0x7F80;

    /// <summary><c>torch.isinf</c> for one <c>torch.bfloat16</c> value: true for +∞ and -∞.</summary>
    /// <param name="value">The value to test.</param>
    /// <returns>True when the value is positive or negative infinity.</returns>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == 0x7F80;

    /// <summary><c>torch.isfinite</c> for one <c>torch.bfloat16</c> value: true unless the value is infinite or NaN.</summary>
    /// <param name="value">The value to test.</param>
    /// <returns>True for zeros, subnormals and normal numbers.</returns>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7F80) != 0x7F80;

    /// <summary>
    /// float32 → <c>torch.bfloat16</c> (<c>torch.tensor([v]).to(torch.bfloat16)</c>, C++ <c>c10::BFloat16(float)</c>):
    /// round to nearest, ties to even; values that round past <see cref="MaxValue"/> become infinity; every NaN becomes
    /// the canonical quiet NaN <c>0x7FC0</c> (sign and payload are dropped).
    /// </summary>
    /// <param name="value">The float32 value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator BFloat16(float value) => new(RoundToNearestEven(value));

    /// <summary>
    /// float64 → <c>torch.bfloat16</c> the way PyTorch's CPU cast does it: first to float32 (round to nearest even), then
    /// to bfloat16 (<see cref="explicit operator BFloat16(float)"/>). The double rounding can differ by one ulp from a direct
    /// correctly-rounded double → bfloat16 conversion; this matches <c>torch.tensor([v], dtype=torch.float64).to(torch.bfloat16)</c>.
    /// </summary>
    /// <param name="value">The float64 value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator BFloat16(double value) => new(RoundToNearestEven((float)value));

    /// <summary>
    /// <c>torch.bfloat16</c> → float32 (<c>t.to(torch.float32)</c>, C++ <c>operator float()</c>): exact, the 16 bits
    /// become the upper half of the float32 bit pattern (NaN payloads are kept).
    /// </summary>
    /// <param name="value">The bfloat16 value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static implicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value._bits << 16);

    /// <summary><c>torch.bfloat16</c> → float64 (<c>t.to(torch.float64)</c>): exact, through float32.</summary>
    /// <param name="value">The bfloat16 value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator double(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value._bits << 16);

    /// <summary>The body of C++ <c>c10::detail::round_to_nearest_even</c>, which PyTorch uses for float → bfloat16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ushort RoundToNearestEven(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint u = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = ((u >> 16) & 1) + 0x7FFFu;
        return (ushort)(unchecked(u + roundingBias) >> 16);
    }

    /// <summary>
    /// Value equality as .NET's <see cref="float.Equals(float)"/> defines it (so the type works as a dictionary key):
    /// +0 equals -0 and every NaN equals every NaN. Use <c>==</c> for PyTorch's <c>torch.eq</c> semantics, where NaN is
    /// unequal to everything.
    /// </summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns>True when both are NaN or both have the same numeric value.</returns>
    public bool Equals(BFloat16 other) => this == other || (IsNaN(this) && IsNaN(other));

    /// <summary>Same as <see cref="Equals(BFloat16)"/> when <paramref name="obj"/> is a <see cref="BFloat16"/> (a <c>torch.bfloat16</c> value).</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns>True when <paramref name="obj"/> is a <see cref="BFloat16"/> equal to this one.</returns>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <summary>Hash code consistent with <see cref="Equals(BFloat16)"/>: ±0 hash alike, all NaNs hash alike.</summary>
    /// <returns>A hash of the numeric value.</returns>
    public override int GetHashCode()
    {
        if (IsNaN(this)) return 0x7FC0;
        if ((_bits & 0x7FFF) == 0) return 0;
        return _bits;
    }

    /// <summary>
    /// Total order as .NET's <see cref="float.CompareTo(float)"/> defines it: NaN sorts before every number and equals
    /// NaN, -0 equals +0. (<c>torch.sort</c> instead puts NaN last.)
    /// </summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns>Negative, zero or positive as this value is less than, equal to or greater than <paramref name="other"/>.</returns>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary><c>torch.eq</c> for <c>torch.bfloat16</c> values (IEEE 754): NaN is unequal to everything, +0 == -0.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;

    /// <summary><c>torch.ne</c> for <c>torch.bfloat16</c> values (IEEE 754): true whenever either operand is NaN.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator !=(BFloat16 left, BFloat16 right) => (float)left != (float)right;

    /// <summary><c>torch.lt</c> for <c>torch.bfloat16</c> values (IEEE 754): false when either operand is NaN.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary><c>torch.gt</c> for <c>torch.bfloat16</c> values (IEEE 754): false when either operand is NaN.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary><c>torch.le</c> for <c>torch.bfloat16</c> values (IEEE 754): false when either operand is NaN.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary><c>torch.ge</c> for <c>torch.bfloat16</c> values (IEEE 754): false when either operand is NaN.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <summary>
    /// The float32 value in invariant culture, shortest round-trip form (like <c>float(t.item())</c> for a
    /// <c>torch.bfloat16</c> tensor, not like tensor printing): e.g. "3.140625" for <c>(BFloat16)3.14159f</c>, "9.999221E+09", "-0", "NaN", "Infinity".
    /// </summary>
    /// <returns>The round-trip text of the widened float32 value.</returns>
    public override string ToString() => ((float)this).ToString("R", CultureInfo.InvariantCulture);
}
