using TorchSharp;
using I = Ignis;
using static TorchSharp.torch;

namespace Ignis.Benchmarks;

using Tensor = TorchSharp.torch.Tensor;

/// <summary>The workloads of the side-by-side comparison, each written once per engine.</summary>
internal static class Workloads
{
    public static IEnumerable<Workload> All(bool quick)
    {
        foreach (int n in new[] { 256, 512, 1024, 2048 })
            yield return Sgemm(n);
        yield return PolynomialFit();
        foreach (var c in ConvLayers()) yield return c;
        foreach (int size in quick ? new[] { 64 } : new[] { 64, 224 })
        {
            yield return TrainStep("resnet18", size, () => IgnisNet.Zoo("resnet18"), () => TorchSharpModels.ResNet18(10));
            yield return TrainStep("mobilenet_v2", size, () => IgnisNet.Zoo("mobilenet_v2"), () => TorchSharpModels.MobileNetV2(10));
            yield return TrainStep("efficientnet_b0", size, () => IgnisNet.Zoo("efficientnet_b0"), () => TorchSharpModels.EfficientNetB0(10));
            yield return TrainStep("alexnet", size, () => IgnisNet.Zoo("alexnet"), () => TorchSharpModels.AlexNet(10));
            yield return TrainStep("vgg16", size, () => IgnisNet.Zoo("vgg16"), () => TorchSharpModels.Vgg16(10));
        }
        if (!quick) yield return MlpEpoch();
    }

    /// <summary>One epoch of the Keras quick-start MLP with Adam at batch 32 over 60,000 synthetic 28×28 images.</summary>
    static Workload MlpEpoch() => new("MLP 784-128-10 epoch, batch 32, 60k images", 0,
        () =>
        {
            var net = IgnisNet.Mlp();
            var x = I.Torch.Rand(60000, 28, 28);
            var y = I.Torch.Randint(0, 10, [60000]);
            return () =>
            {
                for (int i = 0; i < 60000; i += 32)
                {
                    int n = Math.Min(32, 60000 - i);
                    net.TrainStep(x.Narrow(0, i, n), y.Narrow(0, i, n));
                }
            };
        },
        () =>
        {
            var (l1, l2) = TorchSharpModels.Mlp();
            var ps = l1.parameters().Concat(l2.parameters()).ToArray();
            var opt = torch.optim.Adam(ps, 1e-3);
            var x = torch.rand(60000, 28, 28);
            var y = torch.randint(0, 10, new long[] { 60000 });
            return () =>
            {
                for (int i = 0; i < 60000; i += 32)
                {
                    using var scope = torch.NewDisposeScope();
                    int n = Math.Min(32, 60000 - i);
                    opt.zero_grad();
                    var h = nn.functional.relu(l1.forward(x.narrow(0, i, n).flatten(1)));
                    h = h * (torch.rand_like(h) > 0.2).to(h.dtype) * (1 / 0.8);
                    var loss = nn.functional.cross_entropy(l2.forward(h), y.narrow(0, i, n));
                    loss.backward();
                    opt.step();
                    _ = loss.item<float>();
                }
            };
        });

    /// <summary>One training step (forward, cross-entropy, backward, Adam) at batch 4.</summary>
    static Workload TrainStep(string model, int size, Func<IgnisNet> ignis, Func<nn.Module<Tensor, Tensor>> libtorch) => new(
        $"{model} train step {size}x{size} batch 4", 0,
        () =>
        {
            var net = ignis();
            var x = I.Torch.Randn(4, 3, size, size);
            var y = I.Torch.Tensor(new long[] { 1, 3, 5, 7 });
            Console.Error.WriteLine($"# {model}: Ignis {net.ParameterCount:N0} parameters");
            return () => net.TrainStep(x, y);
        },
        () =>
        {
            var net = libtorch();
            var opt = torch.optim.Adam(net.parameters(), 1e-3);
            var x = torch.randn(4, 3, size, size);
            var y = torch.tensor(new long[] { 1, 3, 5, 7 });
            Console.Error.WriteLine($"# {model}: libtorch {TorchSharpModels.ParameterCount(net):N0} parameters");
            net.train();
            return () =>
            {
                using var scope = torch.NewDisposeScope();
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(net.forward(x), y);
                loss.backward();
                opt.step();
                _ = loss.item<float>();
            };
        });

    static Workload Sgemm(int n) => new($"SGEMM n={n}", 2.0 * n * n * n,
        () =>
        {
            var a = I.Torch.Randn(n, n);
            var b = I.Torch.Randn(n, n);
            return () => a.Mm(b);
        },
        () =>
        {
            var a = torch.randn(n, n);
            var b = torch.randn(n, n);
            return () => { using var c = a.mm(b); };
        });

    /// <summary>The 2000-iteration cubic fit of sin(x) with hand-written gradients.</summary>
    static Workload PolynomialFit() => new("polynomial fit, 2000 iterations", 0,
        () => () =>
        {
            var x = I.Torch.Linspace(-Math.PI, Math.PI, 2000);
            var y = x.Sin();
            var (a, b, c, d) = (I.Torch.Randn([]), I.Torch.Randn([]), I.Torch.Randn([]), I.Torch.Randn([]));
            for (int t = 0; t < 2000; t++)
            {
                var yPred = a + b * x + c * x.Pow(2) + d * x.Pow(3);
                _ = (yPred - y).Pow(2).Sum().Item<float>();
                var g = 2.0 * (yPred - y);
                a.Sub_(1e-6 * g.Sum());
                b.Sub_(1e-6 * (g * x).Sum());
                c.Sub_(1e-6 * (g * x.Pow(2)).Sum());
                d.Sub_(1e-6 * (g * x.Pow(3)).Sum());
            }
        },
        () => () =>
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.linspace(-Math.PI, Math.PI, 2000);
            var y = x.sin();
            var (a, b, c, d) = (torch.randn(1), torch.randn(1), torch.randn(1), torch.randn(1));
            for (int t = 0; t < 2000; t++)
            {
                using var inner = torch.NewDisposeScope();
                var yPred = a + b * x + c * x.pow(2) + d * x.pow(3);
                _ = (yPred - y).pow(2).sum().item<float>();
                var g = 2.0 * (yPred - y);
                a.sub_(1e-6 * g.sum());
                b.sub_(1e-6 * (g * x).sum());
                c.sub_(1e-6 * (g * x.pow(2)).sum());
                d.sub_(1e-6 * (g * x.pow(3)).sum());
            }
        });

    /// <summary>Forward + backward of single convolution layers from resnet18 and mobilenet_v2 (batch 4, 56×56 / 28×28).</summary>
    static IEnumerable<Workload> ConvLayers()
    {
        yield return Conv("conv fwd+bwd resnet18 layer1 3x3 64->64 @56", 4, 64, 56, 64, 3, 1, 1, 1);
        yield return Conv("conv fwd+bwd resnet18 layer3 3x3 256->256 @14", 4, 256, 14, 256, 3, 1, 1, 1);
        yield return Conv("conv fwd+bwd mobilenet_v2 depthwise 3x3 144 @56 s2", 4, 144, 56, 144, 3, 2, 1, 144);
        yield return Conv("conv fwd+bwd mobilenet_v2 depthwise 3x3 192 @28", 4, 192, 28, 192, 3, 1, 1, 192);
        yield return Conv("conv fwd+bwd mobilenet_v2 pointwise 1x1 32->192 @28", 4, 32, 28, 192, 1, 1, 0, 1);
    }

    static Workload Conv(string name, int n, int cin, int hw, int cout, int k, int stride, int pad, int groups)
    {
        long oh = (hw + 2 * pad - k) / stride + 1;
        double flops = 3 * 2.0 * n * cout * oh * oh * (cin / groups) * k * k;
        return new(name, flops,
            () =>
            {
                var x = I.Torch.Randn([n, cin, hw, hw], requiresGrad: true);
                var w = I.Torch.Randn([cout, cin / groups, k, k], requiresGrad: true);
                return () =>
                {
                    var y = I.Torch.Conv2d(x, w, null, [stride], [pad], null, groups);
                    y.Sum().Backward();
                    x.Grad = null;
                    w.Grad = null;
                };
            },
            () =>
            {
                var x = torch.randn(new long[] { n, cin, hw, hw }, requires_grad: true);
                var w = torch.randn(new long[] { cout, cin / groups, k, k }, requires_grad: true);
                return () =>
                {
                    using var scope = torch.NewDisposeScope();
                    var y = torch.nn.functional.conv2d(x, w, null, new long[] { stride }, new long[] { pad }, null, groups);
                    y.sum().backward();
                    x.grad?.Dispose();
                    w.grad?.Dispose();
                    x.grad = null;
                    w.grad = null;
                };
            });
    }
}
