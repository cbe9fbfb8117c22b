// PyTorch's "Defining new autograd functions" example: y = a + b·P3(c + d·x) fitted to sin(x), where P3 is the
// Legendre polynomial of degree 3 written as a custom autograd function with its own backward.
// Prints what tools/reference/legendre_polynomial.py prints (no random numbers are involved).
using Ignis;
using Ignis.Autograd;

LegendreFit.Run(Console.Out);

/// <summary>P3(x) = ½(5x³ − 3x), with the derivative 1.5(5x² − 1) as its hand-written backward.</summary>
public sealed class LegendrePolynomial3 : Function<LegendrePolynomial3>
{
    /// <inheritdoc/>
    protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var input = inputs[0];
        ctx.SaveForBackward(input);
        return 0.5 * (5 * input.Pow(3) - 3 * input);
    }

    /// <inheritdoc/>
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
    {
        var input = ctx.SavedTensors[0];
        return [gradOutput * 1.5 * (5 * input.Pow(2) - 1)];
    }
}

/// <summary>The training loop, callable so the tests run exactly this code.</summary>
public static class LegendreFit
{
    /// <summary>Fits the four coefficients with plain gradient descent and returns them (a, b, c, d).</summary>
    public static (float A, float B, float C, float D) Run(TextWriter output)
    {
        var x = Torch.Linspace(-Math.PI, Math.PI, 2000);
        var y = x.Sin();
        var a = Torch.Full([], 0.0, requiresGrad: true);
        var b = Torch.Full([], -1.0, requiresGrad: true);
        var c = Torch.Full([], 0.0, requiresGrad: true);
        var d = Torch.Full([], 0.3, requiresGrad: true);

        const double learningRate = 5e-6;
        for (int t = 0; t < 2000; t++)
        {
            var yPred = a + b * LegendrePolynomial3.Apply(c + d * x);
            var loss = (yPred - y).Pow(2).Sum();
            if (t % 100 == 99) output.WriteLine($"{t} {Py.Repr(loss.Item<float>())}");
            loss.Backward();
            using (Torch.NoGrad())
            {
                a.Sub_(learningRate * a.Grad!);
                b.Sub_(learningRate * b.Grad!);
                c.Sub_(learningRate * c.Grad!);
                d.Sub_(learningRate * d.Grad!);
                a.Grad = null;
                b.Grad = null;
                c.Grad = null;
                d.Grad = null;
            }
        }
        var r = (a.Item<float>(), b.Item<float>(), c.Item<float>(), d.Item<float>());
        output.WriteLine($"Result: y = {Py.Repr(r.Item1)} + {Py.Repr(r.Item2)} * P3({Py.Repr(r.Item3)} + {Py.Repr(r.Item4)} x)");
        return r;
    }
}
