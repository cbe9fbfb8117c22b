using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>
/// The Ignis side of the training-step workloads: the zoo's torchvision models (or the MLP) with a fused Adam step.
/// Dropout is omitted on both engines.
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

    sealed class Linear(IgnisNet net, int cin, int cout)
    {
        readonly I.Tensor w = net.Param(I.Torch.Empty(cout, cin).Uniform_(-1 / Math.Sqrt(cin), 1 / Math.Sqrt(cin)));
        readonly I.Tensor b = net.Param(I.Torch.Zeros(cout));
        public I.Tensor Forward(I.Tensor x) => x.MatMul(w.T) + b;
    }

    /// <summary>
    /// A torchvision model from Ignis' zoo (<see cref="Ignis.Vision.Models.Models"/>) with a 10-class head, in training
    /// mode, with dropout and stochastic depth off (the libtorch copies in TorchSharpModels have none).
    /// </summary>
    public static IgnisNet Zoo(string name)
    {
        var model = Ignis.Vision.Models.Models.Get(name, numClasses: 10);
        foreach (var m in model.Modules())
        {
            if (m is I.Nn.DropoutBase d) d.P = 0;
            else if (m is Ignis.Vision.Ops.StochasticDepth s) s.P = 0;
        }
        model.Train();
        var net = new IgnisNet((n, x) => model.Forward(x));
        foreach (var p in model.Parameters()) net.parameters.Add(p);
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
