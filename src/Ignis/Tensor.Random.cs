using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    /// <summary>Fills in place with uniform samples in [from, to) (<c>uniform_</c>).</summary>
    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        if (from > to) throw new ArgumentException($"uniform_ expects to return a [from, to) range, but found from={from} > to={to}");
        return FillSampled("check_uniform_bounds", generator,
            (g, a) => Sampling.Uniform(g, a, (float)from, (float)to),
            (g, a) => Sampling.Uniform(g, a, from, to));
    }

    /// <summary>Fills in place with normal samples (<c>normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        if (std < 0) throw new ArgumentException($"normal expects std >= 0.0, but found std {std}");
        return FillSampled("normal_kernel_cpu", generator,
            (g, a) => Sampling.Normal(g, a, (float)mean, (float)std),
            (g, a) => Sampling.Normal(g, a, mean, std));
    }

    /// <summary>
    /// Fills in place with 1 with probability <paramref name="p"/>, else 0 (<c>bernoulli_(p)</c>): one 53-bit uniform
    /// double per element in row-major order, as PyTorch's CPU kernel draws them.
    /// </summary>
    public Tensor Bernoulli_(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"bernoulli_ expects p to be in [0, 1], but got p={p}");
        return FillSampled("bernoulli_scalar_cpu_", generator,
            (g, a) => { for (int i = 0; i < a.Length; i++) a[i] = g.NextDouble() < p ? 1f : 0f; },
            (g, a) => { for (int i = 0; i < a.Length; i++) a[i] = g.NextDouble() < p ? 1.0 : 0.0; });
    }

    /// <summary>Samples on the host with PyTorch's CPU algorithms (element order = row-major), then copies in.</summary>
    Tensor FillSampled(string kernel, Generator? generator, Action<Generator, float[]> f32, Action<Generator, double[]> f64)
    {
        CheckInPlace(null);
        var g = generator ?? Torch.DefaultGenerator;
        Array data = DType switch
        {
            DType.Float32 => new float[Numel],
            DType.Float64 => new double[Numel],
            _ => throw new ArgumentException($"\"{kernel}\" not implemented for '{DType.ScalarTypeName()}'"),
        };
        if (data is float[] f) f32(g, f); else f64(g, (double[])data);
        var host = new Tensor(new CpuStorage(data, DType), (long[])shape.Clone(), ContiguousStrides(shape), 0, DType);
        CopyFrom(host);
        return this;
    }
}
