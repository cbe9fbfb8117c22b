using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    /// <summary>Fills in place with uniform samples in [from, to) (<c>uniform_</c>).</summary>
    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        if (from > to) throw new ArgumentException($"uniform_ expects to return a [from, to) range, but found from={from} > to={to}");
        return FillSampled("check_uniform_bounds", RandomDistribution.Uniform, from, to, generator, "UniformBackward0");
    }

    /// <summary>Fills in place with normal samples (<c>normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        if (std < 0) throw new ArgumentException($"normal expects std >= 0.0, but found std {std}");
        return FillSampled("normal_kernel_cpu", RandomDistribution.Normal, mean, std, generator, "NormalBackward0");
    }

    /// <summary>
    /// Fills in place with 1 with probability <paramref name="p"/>, else 0 (<c>bernoulli_(p)</c>): one 53-bit uniform
    /// double per element in row-major order, as PyTorch's CPU kernel draws them.
    /// </summary>
    public Tensor Bernoulli_(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"bernoulli_ expects p to be in [0, 1], but got p={p}");
        return FillSampled("bernoulli_scalar_cpu_", RandomDistribution.Bernoulli, p, 0, generator, "BernoulliBackward2");
    }

    /// <summary>Samples on the tensor's device through the backend's random fill (PyTorch's CPU algorithms on the CPU).</summary>
    Tensor FillSampled(string kernel, RandomDistribution kind, double a, double b, Generator? generator, string gradFnName)
    {
        if (!DType.IsFloatingPoint()) throw new UnsupportedDTypeException(kernel, DType);
        var g = generator ?? Torch.DefaultGenerator;
        return InPlace(null, () => Backend.RandomFill(this, kind, a, b, g), self =>
        {
            var r = self.NewOutput(self.shape);
            r.Backend.RandomFill(r, kind, a, b, g);
            return Autograd.Engine.Record(r, gradFnName, [self], gr => [Torch.ZerosLike(gr)]);
        });
    }
}
