namespace Ignis;

/// <summary>
/// Single-precision log and sin/cos with the exact operation order of the Cephes-derived AVX routines
/// (Pommier's sse_mathfun, AVX port by Garberoglio, zlib licence) that PyTorch's AVX2 <c>randn</c> uses.
/// Every step is a separate float multiply or add, so results match PyTorch bit for bit.
/// </summary>
internal static class CephesFloat
{
    /// <summary>a × b + c with one rounding: the compiler fused these multiply–add pairs in PyTorch's build.</summary>
    static float F(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    public static float Log(float x)
    {
        if (x <= 0) return float.NaN;
        x = MathF.Max(x, BitConverter.Int32BitsToSingle(0x00800000));
        int bits = BitConverter.SingleToInt32Bits(x);
        int imm0 = (int)((uint)bits >> 23) - 0x7f;
        x = BitConverter.Int32BitsToSingle((bits & ~0x7f800000) | BitConverter.SingleToInt32Bits(0.5f));
        float e = imm0;
        e += 1f;
        bool mask = x < 0.707106781186547524f;
        float tmp = mask ? x : 0f;
        x -= 1f;
        if (mask) e -= 1f;
        x += tmp;
        float z = x * x;
        float y = 7.0376836292E-2f;
        y = F(y, x, -1.1514610310E-1f);
        y = F(y, x, 1.1676998740E-1f);
        y = F(y, x, -1.2420140846E-1f);
        y = F(y, x, 1.4249322787E-1f);
        y = F(y, x, -1.6668057665E-1f);
        y = F(y, x, 2.0000714765E-1f);
        y = F(y, x, -2.4999993993E-1f);
        y = F(y, x, 3.3333331174E-1f);
        y *= x;
        y = F(y, z, e * -2.12194440e-4f);
        y = F(-z, 0.5f, y);
        x += y;
        x = F(e, 0.693359375f, x);
        return x;
    }

    public static void SinCos(float x, out float sin, out float cos)
    {
        bool negative = x < 0 || (x == 0 && float.IsNegative(x));
        x = MathF.Abs(x);
        float y = x * 1.27323954473516f;
        int j = (int)y;
        j = (j + 1) & ~1;
        y = j;
        bool swapSin = (j & 4) != 0;
        bool polyMask = (j & 2) == 0;
        x = F(y, -0.78515625f, x);
        x = F(y, -2.4187564849853515625e-4f, x);
        x = F(y, -3.77489497744594108e-8f, x);
        bool cosNeg = ((~(j - 2)) & 4) != 0;
        float z = x * x;
        float yc = 2.443315711809948E-005f;
        yc = F(yc, z, -1.388731625493765E-003f);
        yc = F(yc, z, 4.166664568298827E-002f);
        yc *= z;
        yc = F(yc, z, -(z * 0.5f));
        yc += 1f;
        float ys = -1.9515295891E-4f;
        ys = F(ys, z, 8.3321608736E-3f);
        ys = F(ys, z, -1.6666654611E-1f);
        ys *= z;
        ys = F(ys, x, x);
        float s = polyMask ? ys : yc;
        float c = polyMask ? yc : ys;
        if (negative ^ swapSin) s = -s;
        if (cosNeg) c = -c;
        sin = s;
        cos = c;
    }
}
