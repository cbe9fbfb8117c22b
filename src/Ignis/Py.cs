using System.Globalization;

namespace Ignis;

/// <summary>Python-compatible text for numbers, so programs print what their PyTorch originals print.</summary>
public static class Py
{
    /// <summary>Python's <c>repr(float(x))</c> of a float32 value widened to double (e.g. <c>0.5</c>, <c>1e-05</c>, <c>-0.08499</c>).</summary>
    public static string Repr(float value) => Repr((double)value);

    /// <summary>Python's <c>repr(x)</c> for a double: shortest round-trip digits, Python's exponent style.</summary>
    public static string Repr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        // Python switches to exponent notation when the exponent is < -4 or >= 16. The exponent comes from the shortest
        // round-trip digits themselves: a fixed-width form ("E16") would put 1e-06 (stored as 9.99…95e-07) at -7.
        int exp = DecimalExponent(r.TrimStart('-'));
        string digits = r.Replace("-", "").Replace(".", "");
        int ei = digits.IndexOf('E');
        if (ei >= 0) digits = digits[..ei];
        digits = digits.TrimStart('0').TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        string sign = value < 0 ? "-" : "";
        if (exp < -4 || exp >= 16)
        {
            string mant = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mant}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        if (exp >= 0)
        {
            if (digits.Length <= exp + 1) return sign + digits + new string('0', exp + 1 - digits.Length) + ".0";
            return sign + digits[..(exp + 1)] + "." + digits[(exp + 1)..];
        }
        return sign + "0." + new string('0', -exp - 1) + digits;
    }

    /// <summary>The power of ten of the leading digit of a shortest round-trip string ("1.5E-06" → -6, "0.001" → -3, "12.5" → 1).</summary>
    static int DecimalExponent(string r)
    {
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0) return int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture) + DecimalExponent(r[..e]);
        int dot = r.IndexOf('.');
        string whole = dot < 0 ? r : r[..dot];
        if (whole.TrimStart('0').Length > 0) return whole.TrimStart('0').Length - 1;
        string frac = dot < 0 ? "" : r[(dot + 1)..];
        return -(frac.Length - frac.TrimStart('0').Length) - 1;
    }
}
