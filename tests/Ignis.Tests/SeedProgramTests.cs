using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// The seed programs' arithmetic against PyTorch's runs of tools/reference/polynomial_fit*.py (seed 0):
/// final coefficients equal to 4 significant digits.
/// </summary>
public class SeedProgramTests
{
    static readonly double[] PyTorchSeed0 = [0.058623336255550385, 0.8372474908828735, -0.01011350192129612, -0.09055762737989426];

    static void AssertFourDigits(double[] want, float[] got)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 5e-4 * Math.Abs(want[i]), $"coefficient {i}: {got[i]} vs PyTorch {want[i]}");
    }

    [Fact]
    public void Polynomial_fit_with_manual_gradients_matches_pytorch()
    {
        Tensor x, y, a, b, c, d;
        lock (Torch.DefaultGenerator)
        {
            Torch.ManualSeed(0);
            x = Torch.Linspace(-Math.PI, Math.PI, 2000);
            y = x.Sin();
            (a, b, c, d) = (Torch.Randn([]), Torch.Randn([]), Torch.Randn([]), Torch.Randn([]));
        }
        for (int t = 0; t < 2000; t++)
        {
            var yPred = a + b * x + c * x.Pow(2) + d * x.Pow(3);
            var g = 2.0 * (yPred - y);
            a.Sub_(1e-6 * g.Sum());
            b.Sub_(1e-6 * (g * x).Sum());
            c.Sub_(1e-6 * (g * x.Pow(2)).Sum());
            d.Sub_(1e-6 * (g * x.Pow(3)).Sum());
        }
        AssertFourDigits(PyTorchSeed0, [a.Item<float>(), b.Item<float>(), c.Item<float>(), d.Item<float>()]);
    }

    [Fact]
    public void Polynomial_fit_with_autograd_matches_pytorch()
    {
        Tensor x, y;
        Tensor[] p;
        lock (Torch.DefaultGenerator)
        {
            Torch.ManualSeed(0);
            x = Torch.Linspace(-Math.PI, Math.PI, 2000);
            y = x.Sin();
            p = Enumerable.Range(0, 4).Select(_ => Torch.Randn([], requiresGrad: true)).ToArray();
        }
        for (int t = 0; t < 2000; t++)
        {
            var loss = (p[0] + p[1] * x + p[2] * x.Pow(2) + p[3] * x.Pow(3) - y).Pow(2).Sum();
            loss.Backward();
            using (Torch.NoGrad())
                foreach (var w in p)
                {
                    w.Sub_(1e-6 * w.Grad!);
                    w.Grad = null;
                }
        }
        AssertFourDigits(PyTorchSeed0, p.Select(w => w.Item<float>()).ToArray());
    }
}
