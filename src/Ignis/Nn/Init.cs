namespace Ignis.Nn;

/// <summary>Parameter initialisation (<c>torch.nn.init</c>); every function fills in place without recording gradients.</summary>
public static class Init
{
    /// <summary>The recommended gain for a nonlinearity (<c>calculate_gain</c>).</summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"Unsupported nonlinearity {nonlinearity}"),
    };

    /// <summary>(fan_in, fan_out) of a weight: sizes of dims 1 and 0 times the receptive field.</summary>
    public static (long FanIn, long FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        if (tensor.Dim < 2) throw new ArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        long receptive = 1;
        for (int d = 2; d < tensor.Dim; d++) receptive *= tensor.Size(d);
        return (tensor.Size(1) * receptive, tensor.Size(0) * receptive);
    }

    static long Fan(Tensor t, string mode)
    {
        var (fi, fo) = CalculateFanInAndFanOut(t);
        return mode switch
        {
            "fan_in" => fi,
            "fan_out" => fo,
            _ => throw new ArgumentException($"Mode {mode} not supported, please use one of fan_in, fan_out"),
        };
    }

    /// <summary>U(a, b) (<c>uniform_</c>).</summary>
    public static Tensor Uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
    {
        using (Torch.NoGrad()) return tensor.Uniform_(a, b, generator);
    }

    /// <summary>N(mean, std²) (<c>normal_</c>).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        using (Torch.NoGrad()) return tensor.Normal_(mean, std, generator);
    }

    /// <summary>Fills with <paramref name="value"/> (<c>constant_</c>).</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        using (Torch.NoGrad()) return tensor.Fill_(value);
    }

    /// <summary>Fills with zeros (<c>zeros_</c>).</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Fills with ones (<c>ones_</c>).</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Glorot uniform: U(−a, a), a = gain·√(6/(fan_in+fan_out)) (<c>xavier_uniform_</c>).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        double a = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fi + fo));
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>Glorot normal: N(0, gain²·2/(fan_in+fan_out)) (<c>xavier_normal_</c>).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fi + fo)), generator);
    }

    /// <summary>He uniform: U(−b, b), b = gain·√(3/fan) (<c>kaiming_uniform_</c>); <paramref name="a"/> is the leaky-ReLU slope.</summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        if (tensor.Numel == 0) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, gain²/fan) (<c>kaiming_normal_</c>).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        if (tensor.Numel == 0) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        return Normal_(tensor, 0, std, generator);
    }

    /// <summary>
    /// Normal samples truncated to [a, b] by inverse-CDF sampling, PyTorch's method (<c>trunc_normal_</c>): uniform in
    /// [2Φ(l)−1, 2Φ(u)−1], erfinv, scale, shift, clamp.
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        static double NormCdf(double x) => (1 + Numerics.SpecialMath.Erf(x / Math.Sqrt(2))) / 2;
        double l = NormCdf((a - mean) / std), u = NormCdf((b - mean) / std);
        using (Torch.NoGrad())
        {
            tensor.Uniform_(2 * l - 1, 2 * u - 1, generator);
            var t = tensor.Erfinv().Mul(std * Math.Sqrt(2.0)).Add(mean).Clamp(a, b);
            return tensor.Copy_(t);
        }
    }
}
