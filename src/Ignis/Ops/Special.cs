using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    /// <summary>Gauss error function (<c>erf</c>).</summary>
    public Tensor Erf() => UnaryFloat(UnaryOp.Erf, "ErfBackward0", Saves.Self, (g, x, _) => g.Mul(x.Square().Neg().Exp().Mul(2 / Math.Sqrt(Math.PI))));

    /// <summary>Inverse error function (<c>erfinv</c>).</summary>
    public Tensor Erfinv() => UnaryFloat(UnaryOp.Erfinv, "ErfinvBackward0", Saves.Result, (g, _, r) => g.Mul(r.Square().Exp().Mul(Math.Sqrt(Math.PI) / 2)));

    /// <summary>
    /// An elementwise activation whose gradient is <c>g · f′(x)</c>, with f′ evaluated by its own kernel
    /// (one pass for the derivative, one multiply).
    /// </summary>
    internal Tensor Activation(UnaryOp op, UnaryOp derivative, string name, double a = 0)
    {
        var x = AsFloating();
        var r = x.NewOutput(shape);
        Backend.Unary(op, x, r, a, 0);
        return Engine.Record(r, name, [this], g =>
        {
            var d = x.NewOutput(x.shape);
            x.Backend.Unary(derivative, x, d, a, 0);
            return [g.Mul(d)];
        }, saved: [x]);
    }

    /// <summary>
    /// Gives a result computed by composing differentiable ops the <c>grad_fn</c> name PyTorch's fused op reports
    /// (e.g. <c>MseLossBackward0</c>); the gradients are those of the composition.
    /// </summary>
    internal Tensor NamedAs(string gradFnName)
    {
        if (gradFn is not null) gradFn = gradFn.Renamed(gradFnName);
        return this;
    }
}
