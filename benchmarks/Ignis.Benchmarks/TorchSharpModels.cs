using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Ignis.Benchmarks;

using Tensor = TorchSharp.torch.Tensor;

/// <summary>torchvision's resnet18 and mobilenet_v2 in TorchSharp (no dropout), the libtorch side of the comparison.</summary>
internal static class TorchSharpModels
{
    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor> body;
        readonly Module<Tensor, Tensor>? down;

        public BasicBlock(long inC, long c, long stride) : base("BasicBlock")
        {
            body = Sequential(
                Conv2d(inC, c, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(c), ReLU(),
                Conv2d(c, c, 3, padding: 1, bias: false), BatchNorm2d(c));
            if (stride != 1 || inC != c) down = Sequential(Conv2d(inC, c, 1, stride: stride, bias: false), BatchNorm2d(c));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(body.forward(x) + (down is null ? x : down.forward(x)));
    }

    sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor> body;
        readonly bool residual;

        public InvertedResidual(long inC, long c, long stride, long t) : base("InvertedResidual")
        {
            long hidden = inC * t;
            var layers = new List<Module<Tensor, Tensor>>();
            if (t != 1) layers.AddRange([Conv2d(inC, hidden, 1, bias: false), BatchNorm2d(hidden), ReLU6()]);
            layers.AddRange([Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false), BatchNorm2d(hidden), ReLU6(),
                Conv2d(hidden, c, 1, bias: false), BatchNorm2d(c)]);
            body = Sequential(layers.ToArray());
            residual = stride == 1 && inC == c;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => residual ? x + body.forward(x) : body.forward(x);
    }

    public static Module<Tensor, Tensor> ResNet18(int classes)
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false), BatchNorm2d(64), ReLU(), MaxPool2d(3, stride: 2, padding: 1),
        };
        long inC = 64;
        foreach (var (c, s) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            layers.Add(new BasicBlock(inC, c, s));
            layers.Add(new BasicBlock(c, c, 1));
            inC = c;
        }
        layers.AddRange([AdaptiveAvgPool2d(1), Flatten(), Linear(512, classes)]);
        return Sequential(layers.ToArray());
    }

    public static Module<Tensor, Tensor> MobileNetV2(int classes)
    {
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(3, 32, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(32), ReLU6() };
        long inC = 32;
        foreach (var (t, c, n, s) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
            for (int i = 0; i < n; i++)
            {
                layers.Add(new InvertedResidual(inC, c, i == 0 ? s : 1, t));
                inC = c;
            }
        layers.AddRange([Conv2d(inC, 1280, 1, bias: false), BatchNorm2d(1280), ReLU6(), AdaptiveAvgPool2d(1), Flatten(), Linear(1280, classes)]);
        return Sequential(layers.ToArray());
    }

    sealed class MBConv : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor>? expand;
        readonly Module<Tensor, Tensor> dw, se, project;
        readonly bool residual;

        public MBConv(long cin, long cout, long k, long stride, long t) : base("MBConv")
        {
            long hidden = cin * t, squeeze = Math.Max(1, cin / 4);
            if (t != 1) expand = Sequential(Conv2d(cin, hidden, 1, bias: false), BatchNorm2d(hidden), SiLU());
            dw = Sequential(Conv2d(hidden, hidden, k, stride: stride, padding: (k - 1) / 2, groups: hidden, bias: false), BatchNorm2d(hidden), SiLU());
            se = Sequential(AdaptiveAvgPool2d(1), Conv2d(hidden, squeeze, 1), SiLU(), Conv2d(squeeze, hidden, 1), Sigmoid());
            project = Sequential(Conv2d(hidden, cout, 1, bias: false), BatchNorm2d(cout));
            residual = stride == 1 && cin == cout;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = expand is null ? x : expand.forward(x);
            h = dw.forward(h);
            h = project.forward(h * se.forward(h));
            return residual ? h + x : h;
        }
    }

    public static Module<Tensor, Tensor> EfficientNetB0(int classes)
    {
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(3, 32, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(32), SiLU() };
        foreach (var (t, k, s, cin, cout, n) in new[] { (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1) })
            for (int i = 0; i < n; i++) layers.Add(new MBConv(i == 0 ? cin : cout, cout, k, i == 0 ? s : 1, t));
        layers.AddRange([Conv2d(320, 1280, 1, bias: false), BatchNorm2d(1280), SiLU(), AdaptiveAvgPool2d(1), Flatten(), Linear(1280, classes)]);
        return Sequential(layers.ToArray());
    }

    public static Module<Tensor, Tensor> AlexNet(int classes) => Sequential(
        Conv2d(3, 64, 11, stride: 4, padding: 2), ReLU(), MaxPool2d(3, stride: 2),
        Conv2d(64, 192, 5, padding: 2), ReLU(), MaxPool2d(3, stride: 2),
        Conv2d(192, 384, 3, padding: 1), ReLU(), Conv2d(384, 256, 3, padding: 1), ReLU(),
        Conv2d(256, 256, 3, padding: 1), ReLU(), MaxPool2d(3, stride: 2),
        AdaptiveAvgPool2d(new long[] { 6, 6 }), Flatten(),
        Linear(256 * 6 * 6, 4096), ReLU(), Linear(4096, 4096), ReLU(), Linear(4096, classes));

    public static Module<Tensor, Tensor> Vgg16(int classes)
    {
        int[] cfg = [64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1];
        var layers = new List<Module<Tensor, Tensor>>();
        long inC = 3;
        foreach (int c in cfg)
        {
            if (c < 0) { layers.Add(MaxPool2d(2, stride: 2)); continue; }
            layers.Add(Conv2d(inC, c, 3, padding: 1));
            layers.Add(ReLU());
            inC = c;
        }
        layers.AddRange([AdaptiveAvgPool2d(new long[] { 7, 7 }), Flatten(), Linear(512 * 7 * 7, 4096), ReLU(), Linear(4096, 4096), ReLU(), Linear(4096, classes)]);
        return Sequential(layers.ToArray());
    }

    /// <summary>The MLP's layers; dropout is applied in the training loop with the same uniform-mask formulation as Ignis.</summary>
    public static (Module<Tensor, Tensor> L1, Module<Tensor, Tensor> L2) Mlp() => (Linear(784, 128), Linear(128, 10));

    public static long ParameterCount(Module m) => m.parameters().Sum(p => p.numel());
}
