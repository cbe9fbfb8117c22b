using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

// Op family: activations of torch.nn.functional that have their own kernels or records (hardtanh, leaky_relu,
// gelu, silu, hardswish, hardsigmoid); relu, sigmoid and tanh live with the pointwise ops.
public static partial class Functional
{
    /// <summary>Clamps into [min, max] with zero gradient at and beyond the bounds (<c>F.hardtanh</c>).</summary>
    public static Tensor Hardtanh(Tensor input, double minVal = -1, double maxVal = 1)
    {
        if (maxVal < minVal) throw new ArgumentException("hardtanh: max_val must be greater than or equal to min_val");
        Tensor r;
        using (Torch.NoGrad()) r = input.Clamp(minVal, maxVal);
        return Engine.Record(r, "HardtanhBackward0", [input], g => [Tensor.HardtanhGrad(g, input, minVal, maxVal)],
            saved: [input]);
    }

    /// <summary>x for x &gt; 0, else slope·x (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) =>
        input.Activation(UnaryOp.LeakyRelu, UnaryOp.LeakyReluDerivative, "LeakyReluBackward0", negativeSlope);

    /// <summary>Gaussian error linear unit (<c>F.gelu</c>); <paramref name="approximate"/> is "none" (exact, erf) or "tanh".</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => approximate switch
    {
        "none" => input.Activation(UnaryOp.Gelu, UnaryOp.GeluDerivative, "GeluBackward0"),
        "tanh" => input.Activation(UnaryOp.GeluTanh, UnaryOp.GeluTanhDerivative, "GeluBackward0"),
        _ => throw new ArgumentException($"approximate argument must be either none or tanh."),
    };

    /// <summary>x·σ(x) (<c>F.silu</c>, swish).</summary>
    public static Tensor Silu(Tensor input) => input.Activation(UnaryOp.Silu, UnaryOp.SiluDerivative, "SiluBackward0");

    /// <summary>x·relu6(x+3)/6 (<c>F.hardswish</c>).</summary>
    public static Tensor Hardswish(Tensor input) => input.Activation(UnaryOp.Hardswish, UnaryOp.HardswishDerivative, "HardswishBackward0");

    /// <summary>relu6(x+3)/6 (<c>F.hardsigmoid</c>).</summary>
    public static Tensor Hardsigmoid(Tensor input) => input.Activation(UnaryOp.Hardsigmoid, UnaryOp.HardsigmoidDerivative, "HardsigmoidBackward0");
}

public static partial class Functional
{
    /// <summary>
    /// log(1 + exp(β·x)) / β, and x itself where β·x &gt; threshold (<c>F.softplus</c>; gradient sigmoid(β·x), 1 above
    /// the threshold, as ATen's softplus_backward).
    /// </summary>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20)
    {
        Tensor r, bx;
        using (Torch.NoGrad())
        {
            bx = input.Mul(beta);
            r = Torch.Where(bx.Gt(threshold), input, bx.Exp().Log1p().Div(beta));
        }
        return Engine.Record(r, "SoftplusBackward0", [input], g =>
        {
            var z = bx.Exp();
            return [Torch.Where(bx.Gt(threshold), g, g.Mul(z).Div(z.Add(1.0)))];
        }, Engine.Attrs(("beta", beta), ("threshold", threshold)), saved: [input]);
    }

    /// <summary>x for x &gt; 0, else α·(exp(x) − 1) (<c>F.elu</c>; gradient 1, or the output + α, as ATen's elu_backward).</summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0)
    {
        Tensor r;
        using (Torch.NoGrad()) r = Torch.Where(input.Gt(0.0), input, input.Exp().Sub(1.0).Mul(alpha));
        // For x ≤ 0 the derivative α·exp(x) is read from the input (as ATen's elu_backward with is_result=false), so
        // only the input is saved, as in PyTorch.
        return Engine.Record(r, "EluBackward0", [input], g => [Torch.Where(input.Gt(0.0), g, g.Mul(input.Exp().Mul(alpha)))],
            Engine.Attrs(("alpha", alpha)), saved: [input]);
    }
}
