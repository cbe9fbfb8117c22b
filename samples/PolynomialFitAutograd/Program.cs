// PyTorch's "tensors and autograd" example: the same cubic fit, with gradients from Backward().
using Ignis;

long seed = args.Length == 2 && args[0] == "--seed" ? long.Parse(args[1]) : 0;
Torch.ManualSeed(seed);

var x = Torch.Linspace(-Math.PI, Math.PI, 2000);
var y = x.Sin();

var a = Torch.Randn([], requiresGrad: true);
var b = Torch.Randn([], requiresGrad: true);
var c = Torch.Randn([], requiresGrad: true);
var d = Torch.Randn([], requiresGrad: true);

const double learningRate = 1e-6;
for (int t = 0; t < 2000; t++)
{
    var yPred = a + b * x + c * x.Pow(2) + d * x.Pow(3);
    var loss = (yPred - y).Pow(2).Sum();
    if (t % 100 == 99) Console.WriteLine($"{t} {Py.Repr(loss.Item<float>())}");

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
Console.WriteLine($"Result: y = {Py.Repr(a.Item<float>())} + {Py.Repr(b.Item<float>())} x + {Py.Repr(c.Item<float>())} x^2 + {Py.Repr(d.Item<float>())} x^3");
