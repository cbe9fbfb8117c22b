using System.Globalization;
using Ignis.Autograd;
using Xunit;

namespace Ignis.Tests;

/// <summary>Ignis.Autograd.Function (PyTorch's torch.autograd.Function) and the LegendrePolynomial sample.</summary>
public class CustomFunctionTests
{
    // tools/reference/legendre_polynomial.py with Debian's PyTorch 1.13.1.
    const double PyTorchA = -6.2158362901243436e-09, PyTorchB = -2.208526849746704, PyTorchC = 1.303918195638687e-09, PyTorchD = 0.2554861009120941;
    const double PyTorchFinalLoss = 8.94364070892334;

    [Fact]
    public void Legendre_sample_prints_pytorchs_coefficients_to_four_significant_digits()
    {
        var log = new StringWriter();
        var (a, b, c, d) = LegendreFit.Run(log);
        Assert.InRange(b, PyTorchB * (1 + 5e-4), PyTorchB * (1 - 5e-4));
        Assert.InRange(d, PyTorchD * (1 - 5e-4), PyTorchD * (1 + 5e-4));
        // a and c are float32 noise around zero in both (~1e-9): compare absolutely.
        Assert.True(Math.Abs(a - PyTorchA) < 1e-6 && Math.Abs(c - PyTorchC) < 1e-6, $"a = {a}, c = {c}");
        var last = log.ToString().Split('\n').First(l => l.StartsWith("1999 ", StringComparison.Ordinal));
        double loss = double.Parse(last[5..], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(loss - PyTorchFinalLoss) <= 5e-4 * PyTorchFinalLoss, last);
    }

    [Fact]
    public void Custom_function_passes_gradcheck_and_is_named_after_its_type()
    {
        var x = Torch.Linspace(-1.2, 1.3, 7, dtype: DType.Float64).RequiresGrad_();
        var report = GradCheck.Check(t => LegendrePolynomial3.Apply(t[0]), [x]);
        Assert.True(report.Passed, report.Detail);
        Assert.Equal("LegendrePolynomial3Backward", LegendrePolynomial3.Apply(x).GradFn!.Name);
    }

    sealed class ScaledSum : Function<ScaledSum>
    {
        double factor;
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            factor = 3;                                   // instance fields carry state to backward, like ctx.attr
            NeedsGrad = [.. ctx.NeedsInputGrad];
            return inputs[0].Mul(factor).Add(inputs[1]);
        }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) =>
            [ctx.NeedsInputGrad[0] ? g.Mul(factor) : null, ctx.NeedsInputGrad[1] ? g.Sum(0) : null];
        public static bool[] NeedsGrad = [];
    }

    [Fact]
    public void Gradients_flow_to_inputs_that_need_them_and_broadcast_ones_are_summed()
    {
        var a = Torch.Ones(2, 3).RequiresGrad_();
        var b = Torch.Ones(3);                            // no grad: backward's null for it is accepted
        ScaledSum.Apply(a, b).Sum().Backward();
        Assert.Equal([true, false], ScaledSum.NeedsGrad);
        Assert.True(a.Grad!.Equal(Torch.Full([2, 3], 3.0)));
        Assert.Null(b.Grad);
    }

    sealed class WrongCount : Function<WrongCount>
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Add(inputs[1]);
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g];
    }

    sealed class WrongShape : Function<WrongShape>
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Mul(2.0);
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [Torch.Ones(5)];
    }

    [Fact]
    public void A_backward_with_the_wrong_number_or_shape_of_gradients_gets_pytorchs_message()
    {
        var x = Torch.Ones(3).RequiresGrad_();
        var e = Assert.Throws<InvalidOperationException>(() => WrongCount.Apply(x, x).Sum().Backward());
        Assert.Equal("function WrongCountBackward returned an incorrect number of gradients (expected 2, got 1)", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => WrongShape.Apply(x).Sum().Backward());
        Assert.Equal("Function WrongShapeBackward returned an invalid gradient at index 0 - got [5] but expected shape compatible with [3]", e.Message);
    }

    sealed class Identity : Function<Identity>
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0];
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g];
    }

    sealed class ArgMaxFn : Function<ArgMaxFn>
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var r = inputs[0].Max(0).Values;
            ctx.MarkNonDifferentiable(r);
            return r;
        }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => throw new InvalidOperationException("never called");
    }

    [Fact]
    public void Returning_an_input_records_on_an_alias_and_non_differentiable_outputs_get_no_grad_fn()
    {
        var x = Torch.Ones(2).RequiresGrad_();
        var y = Identity.Apply(x);
        Assert.NotSame(x, y);
        Assert.Null(x.GradFn);
        Assert.Equal("IdentityBackward", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.True(x.Grad!.Equal(Torch.Ones(2)));
        var m = ArgMaxFn.Apply(Torch.Ones(3, 2).RequiresGrad_());
        Assert.False(m.RequiresGrad);
        Assert.Null(m.GradFn);
    }
}
