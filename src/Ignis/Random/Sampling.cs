namespace Ignis;

/// <summary>Fills host arrays with PyTorch's CPU sampling algorithms, element order and arithmetic included.</summary>
internal static class Sampling
{
    /// <summary>
    /// n samples on the host in row-major order: float64 tensors get double samples, every other floating dtype
    /// float32 ones (PyTorch's CPU kernels for float32; half types then round).
    /// </summary>
    public static Array Sample(Backends.RandomDistribution kind, double a, double b, Generator g, DType dtype, long n)
    {
        if (!dtype.IsFloatingPoint()) throw new UnsupportedDTypeException(kind.ToString().ToLowerInvariant() + "_", dtype);
        if (dtype == DType.Float64)
        {
            var d = new double[n];
            switch (kind)
            {
                case Backends.RandomDistribution.Uniform: Uniform(g, d, a, b); break;
                case Backends.RandomDistribution.Normal: Normal(g, d, a, b); break;
                case Backends.RandomDistribution.Bernoulli: for (long i = 0; i < n; i++) d[i] = g.NextDouble() < a ? 1.0 : 0.0; break;
                default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
            }
            return d;
        }
        var f = new float[n];
        switch (kind)
        {
            case Backends.RandomDistribution.Uniform: Uniform(g, f, (float)a, (float)b); break;
            case Backends.RandomDistribution.Normal: Normal(g, f, (float)a, (float)b); break;
            // One 53-bit uniform double per element, as PyTorch's CPU bernoulli_(p) draws them.
            case Backends.RandomDistribution.Bernoulli: for (long i = 0; i < n; i++) f[i] = g.NextDouble() < a ? 1f : 0f; break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        return f;
    }

    /// <summary>ATen's float path: 24 random bits scaled in double, the range (to − from) rounded in float.</summary>
    public static void Uniform(Generator g, float[] a, float from, float to)
    {
        double range = to - from;
        lock (g.Lock)
            for (int i = 0; i < a.Length; i++) a[i] = (float)((g.Random() & ((1u << 24) - 1)) * (1.0 / (1 << 24)) * range + from);
    }

    public static void Uniform(Generator g, double[] a, double from, double to)
    {
        lock (g.Lock)
            for (int i = 0; i < a.Length; i++) a[i] = g.NextDouble() * (to - from) + from;
    }

    /// <summary>
    /// ATen's <c>normal_kernel</c>: tensors of 16 or more elements draw all uniforms first and transform
    /// blocks of 16 by Box–Muller (recomputing the last 16 when the size is not a multiple of 16); smaller
    /// ones draw one cached double Box–Muller sample per element.
    /// </summary>
    public static void Normal(Generator g, float[] a, float mean, float std)
    {
        lock (g.Lock)
        {
            int n = a.Length;
            if (n < 16)
            {
                for (int i = 0; i < n; i++) a[i] = (float)g.NextNormal(mean, std);
                return;
            }
            for (int i = 0; i < n; i++) a[i] = g.NextFloat();
            for (int i = 0; i + 16 <= n; i += 16) Fill16(a.AsSpan(i, 16), mean, std);
            if (n % 16 != 0)
            {
                var tail = a.AsSpan(n - 16, 16);
                for (int i = 0; i < 16; i++) tail[i] = g.NextFloat();
                Fill16(tail, mean, std);
            }
        }
    }

    // The AVX2 kernel's arithmetic: float 2π, Cephes log/sincos, fused multiply-add for std and mean.
    static void Fill16(Span<float> d, float mean, float std)
    {
        const float twoPi = (float)(2.0 * Math.PI);
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - d[j];
            float u2 = d[j + 8];
            float radius = MathF.Sqrt(-2f * CephesFloat.Log(u1));
            float theta = twoPi * u2;
            CephesFloat.SinCos(theta, out float s, out float c);
            d[j] = MathF.FusedMultiplyAdd(radius * c, std, mean);
            d[j + 8] = MathF.FusedMultiplyAdd(radius * s, std, mean);
        }
    }

    public static void Normal(Generator g, double[] a, double mean, double std)
    {
        lock (g.Lock)
        {
            int n = a.Length;
            if (n < 16)
            {
                for (int i = 0; i < n; i++) a[i] = g.NextNormal(mean, std);
                return;
            }
            for (int i = 0; i < n; i++) a[i] = g.NextDouble();
            for (int i = 0; i + 16 <= n; i += 16) Fill16(a.AsSpan(i, 16), mean, std);
            if (n % 16 != 0)
            {
                var tail = a.AsSpan(n - 16, 16);
                for (int i = 0; i < 16; i++) tail[i] = g.NextDouble();
                Fill16(tail, mean, std);
            }
        }
    }

    static void Fill16(Span<double> d, double mean, double std)
    {
        for (int j = 0; j < 8; j++)
        {
            double u1 = 1 - d[j];
            double u2 = d[j + 8];
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            double theta = 2.0 * Math.PI * u2;
            d[j] = radius * Math.Cos(theta) * std + mean;
            d[j + 8] = radius * Math.Sin(theta) * std + mean;
        }
    }

    /// <summary>Integers in [low, high): 32 random bits modulo the range, or 64 bits when the range needs them.</summary>
    public static void Randint(Generator g, long[] a, long low, long high)
    {
        ulong range = (ulong)(high - low);
        lock (g.Lock)
            for (int i = 0; i < a.Length; i++)
            {
                ulong r = range >= 1UL << 32 ? g.Random64() : g.Random();
                a[i] = (long)(r % range) + low;
            }
    }

    /// <summary>ATen's CPU <c>randperm</c>: a forward Fisher–Yates shuffle with 32-bit draws.</summary>
    public static long[] Randperm(Generator g, long n)
    {
        var r = new long[n];
        for (long i = 0; i < n; i++) r[i] = i;
        lock (g.Lock)
            for (long i = 0; i < n - 1; i++)
            {
                long z = (long)(g.Random() % (ulong)(n - i));
                (r[i], r[z + i]) = (r[z + i], r[i]);
            }
        return r;
    }
}
