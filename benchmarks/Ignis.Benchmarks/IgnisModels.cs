using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>
/// torchvision's resnet18 and mobilenet_v2 written with Ignis' functional ops, for the training-step benchmark
/// (the nn.Module API and the model zoo come in later issues). Dropout is omitted on both engines.
/// </summary>
internal sealed class IgnisNet
{
    readonly List<I.Tensor> parameters = [];
    readonly Func<IgnisNet, I.Tensor, I.Tensor> forward;
    I.Tensor[] m = [], v = [];
    int step;

    IgnisNet(Func<IgnisNet, I.Tensor, I.Tensor> forward) => this.forward = forward;

    public long ParameterCount => parameters.Sum(p => p.Numel);

    I.Tensor Param(I.Tensor t)
    {
        t.RequiresGrad = true;
        parameters.Add(t);
        return t;
    }

    sealed class Conv(IgnisNet net, int cin, int cout, int k, int stride, int pad, int groups)
    {
        readonly I.Tensor w = net.Param(I.Torch.Randn([cout, cin / groups, k, k]).Mul_(Math.Sqrt(2.0 / (cin / groups * k * k))));
        public I.Tensor Forward(I.Tensor x) => I.Torch.Conv2d(x, w, null, [stride], [pad], null, groups);
    }

    sealed class BatchNorm(IgnisNet net, int c)
    {
        readonly I.Tensor w = net.Param(I.Torch.Ones(c)), b = net.Param(I.Torch.Zeros(c));
        readonly I.Tensor rm = I.Torch.Zeros(c), rv = I.Torch.Ones(c);
        public I.Tensor Forward(I.Tensor x) => I.Torch.BatchNorm(x, rm, rv, w, b, training: true);
    }

    sealed class Linear(IgnisNet net, int cin, int cout)
    {
        readonly I.Tensor w = net.Param(I.Torch.Empty(cout, cin).Uniform_(-1 / Math.Sqrt(cin), 1 / Math.Sqrt(cin)));
        readonly I.Tensor b = net.Param(I.Torch.Zeros(cout));
        public I.Tensor Forward(I.Tensor x) => x.MatMul(w.T) + b;
    }

    public static IgnisNet ResNet18(int classes)
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        var conv1 = new Conv(net, 3, 64, 7, 2, 3, 1);
        var bn1 = new BatchNorm(net, 64);
        var blocks = new List<Func<I.Tensor, I.Tensor>>();
        int inC = 64;
        foreach (var (c, s) in new[] { (64, 1), (128, 2), (256, 2), (512, 2) })
            for (int i = 0; i < 2; i++)
            {
                int stride = i == 0 ? s : 1;
                var ca = new Conv(net, inC, c, 3, stride, 1, 1);
                var ba = new BatchNorm(net, c);
                var cb = new Conv(net, c, c, 3, 1, 1, 1);
                var bb = new BatchNorm(net, c);
                Conv? dc = null;
                BatchNorm? db = null;
                if (stride != 1 || inC != c)
                {
                    dc = new Conv(net, inC, c, 1, stride, 0, 1);
                    db = new BatchNorm(net, c);
                }
                blocks.Add(x =>
                {
                    var o = ba.Forward(ca.Forward(x)).Relu();
                    o = bb.Forward(cb.Forward(o));
                    var id = dc is null ? x : db!.Forward(dc.Forward(x));
                    return (o + id).Relu();
                });
                inC = c;
            }
        var fc = new Linear(net, 512, classes);
        body = x =>
        {
            x = I.Torch.MaxPool2d(bn1.Forward(conv1.Forward(x)).Relu(), [3], [2], [1]);
            foreach (var b in blocks) x = b(x);
            return fc.Forward(I.Torch.AdaptiveAvgPool2d(x, [1]).Flatten(1));
        };
        return net;
    }

    /// <summary>torchvision's alexnet (dropout omitted on both engines).</summary>
    public static IgnisNet AlexNet(int classes)
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        var convs = new[] { (3, 64, 11, 4, 2), (64, 192, 5, 1, 2), (192, 384, 3, 1, 1), (384, 256, 3, 1, 1), (256, 256, 3, 1, 1) }
            .Select(c => (conv: new Conv(net, c.Item1, c.Item2, c.Item3, c.Item4, c.Item5, 1), b: net.Param(I.Torch.Zeros(c.Item2)))).ToArray();
        var fc = new[] { new Linear(net, 256 * 6 * 6, 4096), new Linear(net, 4096, 4096), new Linear(net, 4096, classes) };
        body = x =>
        {
            for (int i = 0; i < convs.Length; i++)
            {
                x = (convs[i].conv.Forward(x) + convs[i].b.View(1, -1, 1, 1)).Relu();
                if (i is 0 or 1 or 4) x = I.Torch.MaxPool2d(x, [3], [2]);
            }
            x = I.Torch.AdaptiveAvgPool2d(x, [6, 6]).Flatten(1);
            x = fc[1].Forward(fc[0].Forward(x).Relu()).Relu();
            return fc[2].Forward(x);
        };
        return net;
    }

    /// <summary>torchvision's vgg16 (configuration D, no batch norm; dropout omitted on both engines).</summary>
    public static IgnisNet Vgg16(int classes)
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        int[] cfg = [64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1];
        var layers = new List<Func<I.Tensor, I.Tensor>>();
        int inC = 3;
        foreach (int c in cfg)
        {
            if (c < 0) { layers.Add(x => I.Torch.MaxPool2d(x, [2], [2])); continue; }
            var conv = new Conv(net, inC, c, 3, 1, 1, 1);
            var b = net.Param(I.Torch.Zeros(c));
            layers.Add(x => (conv.Forward(x) + b.View(1, -1, 1, 1)).Relu());
            inC = c;
        }
        var fc = new[] { new Linear(net, 512 * 7 * 7, 4096), new Linear(net, 4096, 4096), new Linear(net, 4096, classes) };
        body = x =>
        {
            foreach (var l in layers) x = l(x);
            x = I.Torch.AdaptiveAvgPool2d(x, [7, 7]).Flatten(1);
            x = fc[1].Forward(fc[0].Forward(x).Relu()).Relu();
            return fc[2].Forward(x);
        };
        return net;
    }

    /// <summary>The Keras quick-start MLP: Flatten → Dense 128 ReLU → Dropout 0.2 → Dense 10.</summary>
    public static IgnisNet Mlp()
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        var l1 = new Linear(net, 784, 128);
        var l2 = new Linear(net, 128, 10);
        body = x =>
        {
            var h = l1.Forward(x.Flatten(1)).Relu();
            // Inverted dropout, p = 0.2, from a uniform mask (the same formulation on both engines).
            h = h * I.Torch.RandLike(h).Gt(0.2).To(h.DType) * (1 / 0.8);
            return l2.Forward(h);
        };
        return net;
    }

    static readonly (int Expand, int Kernel, int Stride, int In, int Out, int Layers)[] EfficientNetB0Stages =
        [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)];

    /// <summary>torchvision's efficientnet_b0 (stochastic depth and dropout omitted on both engines).</summary>
    public static IgnisNet EfficientNetB0(int classes)
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        static I.Tensor Silu(I.Tensor x) => x * x.Sigmoid();
        Func<I.Tensor, I.Tensor> ConvBn(int cin, int cout, int k, int s, int groups, bool act)
        {
            var c = new Conv(net, cin, cout, k, s, (k - 1) / 2, groups);
            var b = new BatchNorm(net, cout);
            return act ? x => Silu(b.Forward(c.Forward(x))) : x => b.Forward(c.Forward(x));
        }
        var layers = new List<Func<I.Tensor, I.Tensor>> { ConvBn(3, 32, 3, 2, 1, true) };
        foreach (var st in EfficientNetB0Stages)
            for (int i = 0; i < st.Layers; i++)
            {
                int cin = i == 0 ? st.In : st.Out, stride = i == 0 ? st.Stride : 1, hidden = cin * st.Expand, squeeze = Math.Max(1, cin / 4);
                var expand = st.Expand != 1 ? ConvBn(cin, hidden, 1, 1, 1, true) : null;
                var dw = ConvBn(hidden, hidden, st.Kernel, stride, hidden, true);
                var se1 = new Conv(net, hidden, squeeze, 1, 1, 0, 1);
                var se1b = net.Param(I.Torch.Zeros(squeeze));
                var se2 = new Conv(net, squeeze, hidden, 1, 1, 0, 1);
                var se2b = net.Param(I.Torch.Zeros(hidden));
                var project = ConvBn(hidden, st.Out, 1, 1, 1, false);
                bool residual = stride == 1 && cin == st.Out;
                layers.Add(x =>
                {
                    var h = expand is null ? x : expand(x);
                    h = dw(h);
                    var s = I.Torch.AdaptiveAvgPool2d(h, [1]);
                    s = Silu(se1.Forward(s) + se1b.View(1, -1, 1, 1));
                    s = (se2.Forward(s) + se2b.View(1, -1, 1, 1)).Sigmoid();
                    h = project(h * s);
                    return residual ? h + x : h;
                });
            }
        layers.Add(ConvBn(320, 1280, 1, 1, 1, true));
        var fc = new Linear(net, 1280, classes);
        body = x =>
        {
            foreach (var l in layers) x = l(x);
            return fc.Forward(I.Torch.AdaptiveAvgPool2d(x, [1]).Flatten(1));
        };
        return net;
    }

    public static IgnisNet MobileNetV2(int classes)
    {
        Func<I.Tensor, I.Tensor>? body = null;
        var net = new IgnisNet((n, x) => body!(x));
        Func<I.Tensor, I.Tensor> ConvBn(int cin, int cout, int k, int s, int groups, bool relu6)
        {
            var c = new Conv(net, cin, cout, k, s, (k - 1) / 2, groups);
            var b = new BatchNorm(net, cout);
            return relu6 ? x => b.Forward(c.Forward(x)).Clamp(0, 6) : x => b.Forward(c.Forward(x));
        }
        var layers = new List<Func<I.Tensor, I.Tensor>> { ConvBn(3, 32, 3, 2, 1, true) };
        int inC = 32;
        foreach (var (t, c, n, s) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
            for (int i = 0; i < n; i++)
            {
                int stride = i == 0 ? s : 1, hidden = inC * t;
                var parts = new List<Func<I.Tensor, I.Tensor>>();
                if (t != 1) parts.Add(ConvBn(inC, hidden, 1, 1, 1, true));
                parts.Add(ConvBn(hidden, hidden, 3, stride, hidden, true));
                parts.Add(ConvBn(hidden, c, 1, 1, 1, false));
                bool residual = stride == 1 && inC == c;
                layers.Add(x =>
                {
                    var o = x;
                    foreach (var p in parts) o = p(o);
                    return residual ? x + o : o;
                });
                inC = c;
            }
        layers.Add(ConvBn(inC, 1280, 1, 1, 1, true));
        var fc = new Linear(net, 1280, classes);
        body = x =>
        {
            foreach (var l in layers) x = l(x);
            return fc.Forward(I.Torch.AdaptiveAvgPool2d(x, [1]).Flatten(1));
        };
        return net;
    }

    /// <summary>Times forward, backward and optimizer separately (milliseconds), for profiling.</summary>
    public (double fwd, double bwd, double opt) Profile(I.Tensor x, I.Tensor y)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var loss = forward(this, x).LogSoftmax(1).Gather(1, y.Unsqueeze(1)).Mean().Neg();
        double f = sw.Elapsed.TotalMilliseconds;
        loss.Backward();
        double b = sw.Elapsed.TotalMilliseconds - f;
        AdamStep(1e-3, 0.9, 0.999, 1e-8);
        return (f, b, sw.Elapsed.TotalMilliseconds - f - b);
    }

    /// <summary>One training step: forward, cross-entropy, backward, Adam (lr 1e-3), gradients cleared.</summary>
    public float TrainStep(I.Tensor x, I.Tensor y)
    {
        var logits = forward(this, x);
        var loss = logits.LogSoftmax(1).Gather(1, y.Unsqueeze(1)).Mean().Neg();
        loss.Backward();
        AdamStep(1e-3, 0.9, 0.999, 1e-8);
        return loss.Item<float>();
    }

    void AdamStep(double lr, double b1, double b2, double eps)
    {
        if (m.Length == 0)
        {
            m = parameters.Select(p => I.Torch.ZerosLike(p)).ToArray();
            v = parameters.Select(p => I.Torch.ZerosLike(p)).ToArray();
        }
        step++;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            I.Optim.Functional.AdamStep(p, p.Grad!, m[i], v[i], step, lr, b1, b2, eps);
            p.Grad = null;
        }
    }
}
