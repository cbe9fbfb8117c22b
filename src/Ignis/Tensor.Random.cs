namespace Ignis;

public sealed partial class Tensor
{
    /// <summary>Fills in place with uniform samples in [from, to) (<c>uniform_</c>).</summary>
    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        CheckInPlace(null);
        if (from > to) throw new ArgumentException($"uniform_ expects to return a [from, to) range, but found from={from} > to={to}");
        var g = generator ?? Torch.DefaultGenerator;
        long n = Numel;
        Tensor host;
        if (DType == DType.Float64)
        {
            var a = new double[n];
            Sampling.Uniform(g, a, from, to);
            host = Torch.From(a, shape);
        }
        else if (DType == DType.Float32)
        {
            var a = new float[n];
            Sampling.Uniform(g, a, (float)from, (float)to);
            host = Torch.From(a, shape);
        }
        else throw new ArgumentException($"\"check_uniform_bounds\" not implemented for '{DType.ScalarTypeName()}'");
        CopyFrom(host.To(Device));
        return this;
    }

    /// <summary>Fills in place with normal samples (<c>normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckInPlace(null);
        if (std < 0) throw new ArgumentException($"normal expects std >= 0.0, but found std {std}");
        var g = generator ?? Torch.DefaultGenerator;
        long n = Numel;
        Tensor host;
        if (DType == DType.Float64)
        {
            var a = new double[n];
            Sampling.Normal(g, a, mean, std);
            host = Torch.From(a, shape);
        }
        else if (DType == DType.Float32)
        {
            var a = new float[n];
            Sampling.Normal(g, a, (float)mean, (float)std);
            host = Torch.From(a, shape);
        }
        else throw new ArgumentException($"\"normal_kernel_cpu\" not implemented for '{DType.ScalarTypeName()}'");
        CopyFrom(host.To(Device));
        return this;
    }
}
