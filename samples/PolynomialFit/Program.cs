// PyTorch's "warm-up: tensors" example: fit y = sin(x) with a cubic by hand-written gradients.
using Ignis;

long seed = args.Length == 2 && args[0] == "--seed" ? long.Parse(args[1]) : 0;
Torch.ManualSeed(seed);

var x = Torch.Linspace(-Math.PI, Math.PI, 2000);
var y = x.Sin();

var a = Torch.Randn([]);
var b = Torch.Randn([]);
var c = Torch.Randn([]);
var d = Torch.Randn([]);

const double learningRate = 1e-6;
for (int t = 0; t < 2000; t++)
{
    var yPred = a + b * x + c * x.Pow(2) + d * x.Pow(3);
    float loss = (yPred - y).Pow(2).Sum().Item<float>();
    if (t % 100 == 99) Console.WriteLine($"{t} {Py.Repr(loss)}");

    var gradYPred = 2.0 * (yPred - y);
    var gradA = gradYPred.Sum();
    var gradB = (gradYPred * x).Sum();
    var gradC = (gradYPred * x.Pow(2)).Sum();
    var gradD = (gradYPred * x.Pow(3)).Sum();

    a.Sub_(learningRate * gradA);
    b.Sub_(learningRate * gradB);
    c.Sub_(learningRate * gradC);
    d.Sub_(learningRate * gradD);
}
Console.WriteLine($"Result: y = {Py.Repr(a.Item<float>())} + {Py.Repr(b.Item<float>())} x + {Py.Repr(c.Item<float>())} x^2 + {Py.Repr(d.Item<float>())} x^3");
