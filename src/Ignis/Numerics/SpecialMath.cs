namespace Ignis.Numerics;

/// <summary>Double-precision special functions the BCL lacks (float32 kernels evaluate these and round).</summary>
internal static class SpecialMath
{
    const double TwoOverSqrtPi = 1.1283791670955126;
    const double InvSqrtPi = 0.56418958354775628;

    /// <summary>erf x to about 1e-16 relative: an all-positive series below 3 (no cancellation), the erfc continued fraction above.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.CopySign(1.0, x);
        if (ax < 3)
        {
            // erf x = 2/√π · e^{-x²} · Σ (2x²)^n x / (2n+1)!!
            double x2 = 2 * ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++)
            {
                term *= x2 / (2 * n + 1);
                sum += term;
            }
            return Math.CopySign(TwoOverSqrtPi * Math.Exp(-ax * ax) * sum, x);
        }
        return Math.CopySign(1.0 - Erfc(ax), x);
    }

    /// <summary>erfc x for x ≥ 3 by the Laplace continued fraction, evaluated backwards from a fixed depth.</summary>
    static double Erfc(double x)
    {
        double f = x;
        for (int k = 100; k >= 1; k--) f = x + 0.5 * k / f;
        return Math.Exp(-x * x) * InvSqrtPi / f;
    }

    /// <summary>Inverse of erf: Giles' approximation refined by Newton steps on <see cref="Erf"/>.</summary>
    public static double Erfinv(double y)
    {
        if (double.IsNaN(y) || y < -1 || y > 1) return double.NaN;
        if (y == 1) return double.PositiveInfinity;
        if (y == -1) return double.NegativeInfinity;
        if (y == 0) return y;
        double w = -Math.Log((1.0 - y) * (1.0 + y)), p;
        if (w < 5)
        {
            w -= 2.5;
            p = 2.81022636e-08;
            p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
            p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
            p = 0.246640727 + p * w; p = 1.50140941 + p * w;
        }
        else
        {
            w = Math.Sqrt(w) - 3;
            p = -0.000200214257;
            p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
            p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
            p = 1.00167406 + p * w; p = 2.83297682 + p * w;
        }
        double x = p * y;
        for (int i = 0; i < 3; i++)
        {
            double d = TwoOverSqrtPi * Math.Exp(-x * x);
            if (d == 0) break;
            x -= (Erf(x) - y) / d;
        }
        return x;
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x * 0.70710678118654752));

    /// <summary>d/dx of exact GELU: Φ(x) + x φ(x).</summary>
    public static double GeluDerivative(double x) =>
        0.5 * (1 + Erf(x * 0.70710678118654752)) + x * 0.3989422804014327 * Math.Exp(-0.5 * x * x);

    const double Kappa = 0.044715, Beta = 0.79788456080286536; // √(2/π)

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Beta * (x + Kappa * x * x * x)));

    public static double GeluTanhDerivative(double x)
    {
        double inner = Beta * (x + Kappa * x * x * x), t = Math.Tanh(inner);
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Beta * (1 + 3 * Kappa * x * x);
    }
}
