using System.Text.Json;
using Ignis;
using Ignis.Nn;
using Xunit;

namespace Ignis.Tests;

/// <summary>The PyTorch MNIST example network, written as a user would (fields, no registration calls).</summary>
internal sealed class Net : Module<Tensor, Tensor>
{
    readonly Conv2d conv1 = new(1, 32, 3, 1);
    readonly Conv2d conv2 = new(32, 64, 3, 1);
    readonly Dropout dropout1 = new(0.25);
    readonly Dropout dropout2 = new(0.5);
    readonly Linear fc1 = new(9216, 128);
    readonly Linear fc2 = new(128, 10);

    public override Tensor Forward(Tensor x)
    {
        x = conv2.Forward(conv1.Forward(x).Relu()).Relu();
        x = dropout1.Forward(Functional.MaxPool2d(x, [2]).Flatten(1));
        x = dropout2.Forward(fc1.Forward(x).Relu());
        return fc2.Forward(x).LogSoftmax(1);
    }
}

/// <summary>Module registration, default initialisation, printing, state dicts and modes against PyTorch 1.13.</summary>
public class ModuleTests
{
    static Module Make(string name) => name switch
    {
        "linear" => new Linear(5, 3),
        "linear_nobias" => new Linear(4, 2, bias: false),
        "conv2d" => new Conv2d(2, 4, 3, stride: 2, padding: 1),
        "conv2d_groups" => new Conv2d(4, 4, [3, 1], groups: 2, bias: false),
        "embedding" => new Embedding(6, 3, paddingIdx: 1),
        "batchnorm1d" => new BatchNorm1d(3),
        "layernorm" => new LayerNorm(4),
        "mlp" => new Sequential(new Flatten(), new Linear(784, 128), new ReLU(), new Dropout(0.2), new Linear(128, 10)),
        "mnist_cnn" => new Net(),
        _ => new Sequential(new BatchNorm2d(8), new LeakyReLU(0.1), new GELU(), new SiLU(), new Hardswish(), new Hardsigmoid(),
            new ReLU6(), new Sigmoid(), new Nn.Tanh(), new Softmax(1), new LogSoftmax(-1), new MaxPool2d(2), new AvgPool2d(3, 2, 1),
            new AdaptiveAvgPool2d(1, 1), new AdaptiveAvgPool2d(7), new Identity(), new Dropout2d(0.1),
            new Conv2d(8, 8, 3, padding: 1, dilation: 2, groups: 4, bias: false), new LayerNorm([4, 4]),
            new BatchNorm1d(3, momentum: null, affine: false)),
    };

    public static IEnumerable<object[]> InitCases => Fixture.Cases("nn_modules").EnumerateArray()
        .Where(c => c.TryGetProperty("repr", out _)).Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(InitCases))]
    public void Default_initialisation_state_dict_and_print_match_pytorch(string name)
    {
        var c = Fixture.Case("nn_modules", name);
        Torch.ManualSeed(c.GetProperty("seed").GetInt64());
        var m = Make(name);
        Assert.Equal(c.GetProperty("repr").GetString(), m.ToString());
        var sd = m.StateDict();
        var expected = c.GetProperty("state").EnumerateObject().ToList();
        Assert.Equal(expected.Select(p => p.Name), sd.Keys);
        foreach (var p in expected)
        {
            var actual = sd[p.Name];
            if (p.Value.TryGetProperty("data", out _)) { Fixture.AssertClose(Fixture.ToTensor(p.Value), actual, $"{name}.{p.Name}", 1e-6, 1e-7); continue; }
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), actual.Shape);
            var head = p.Value.GetProperty("head").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var flat = actual.Reshape(-1).Double();
            Fixture.AssertClose(Torch.Tensor(head), flat.Narrow(0, 0, head.Length), $"{name}.{p.Name} head", 1e-6, 1e-7);
            Assert.Equal(p.Value.GetProperty("sum").GetDouble(), flat.Sum().Item<double>(), 1e-6 * Math.Max(1, Math.Abs(p.Value.GetProperty("sum").GetDouble())));
            Assert.Equal(p.Value.GetProperty("sumsq").GetDouble(), flat.Square().Sum().Item<double>(), 1e-6 * p.Value.GetProperty("sumsq").GetDouble());
        }
    }

    [Fact]
    public void Parameters_are_registered_from_fields_with_pytorch_names()
    {
        var net = new Net();
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["conv1", "conv2", "dropout1", "dropout2", "fc1", "fc2"], net.NamedChildren().Select(c => c.Name));
        Assert.Equal(1_199_882, net.ParameterCount());
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void Train_and_eval_propagate_and_switch_dropout()
    {
        var m = new Sequential(new Linear(4, 4), new Dropout(0.5));
        var x = Torch.Ones(64, 4);
        m.Eval();
        Assert.All(m.Modules(), mod => Assert.False(mod.Training));
        Assert.True(m.Forward(x).Equal(m[0].Forward(x)));
        m.Train();
        Assert.True(m[1].Training);
        var y = m.Forward(x).Eq(0.0).Sum().Item<long>();
        Assert.InRange(y, 40, 220); // about half of 256 zeroed
    }

    [Fact]
    public void Load_state_dict_copies_values_and_reports_keys()
    {
        Torch.ManualSeed(0);
        var a = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        var b = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        var weight = b[0] is Linear lb ? lb.Weight : throw new InvalidOperationException();
        b.LoadStateDict(a.StateDict());
        Assert.True(((Linear)a[0]).Weight.Equal(weight));
        Assert.Same(weight, ((Linear)b[0]).Weight); // identity kept: optimizers still see it

        var sd = a.StateDict();
        sd.Remove("0.bias");
        sd["extra"] = Torch.Zeros(1);
        var ex = Assert.Throws<InvalidOperationException>(() => b.LoadStateDict(sd));
        Assert.Equal("Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"0.bias\". \n\tUnexpected key(s) in state_dict: \"extra\". ", ex.Message);
        var (missing, unexpected) = b.LoadStateDict(sd, strict: false);
        Assert.Equal(["0.bias"], missing);
        Assert.Equal(["extra"], unexpected);

        var wrong = a.StateDict();
        wrong["0.weight"] = Torch.Zeros(2, 4);
        ex = Assert.Throws<InvalidOperationException>(() => b.LoadStateDict(wrong));
        Assert.Contains("size mismatch for 0.weight: copying a param with shape torch.Size([2, 4]) from checkpoint, the shape in current model is torch.Size([2, 3]).", ex.Message);
    }

    [Fact]
    public void To_dtype_keeps_parameter_identity()
    {
        var m = new Linear(3, 2);
        var w = m.Weight;
        m.To(DType.Float64);
        Assert.Same(w, m.Weight);
        Assert.Equal(DType.Float64, m.Weight.DType);
        Assert.Equal(DType.Float64, m.Forward(Torch.Ones([1, 3], DType.Float64)).DType);
    }

    [Fact]
    public void Apply_visits_children_before_parent_and_module_containers_register()
    {
        var list = new ModuleList(new Linear(1, 1), new ReLU());
        var dict = new ModuleDict { { "a", new Linear(1, 2) } };
        var visited = new List<string>();
        var outer = new Sequential(("list", new Wrap(list)), ("dict", new Wrap(dict)));
        outer.Apply(m => visited.Add(m.GetType().Name));
        Assert.Equal(["Linear", "ReLU", "ModuleList", "Wrap", "Linear", "ModuleDict", "Wrap", "Sequential"], visited);
        Assert.Equal(["list.inner.0.weight", "list.inner.0.bias", "dict.inner.a.weight", "dict.inner.a.bias"], outer.NamedParameters().Select(p => p.Name));
    }

    sealed class Wrap(Module inner) : Module<Tensor, Tensor>
    {
        readonly Module _inner = inner;
        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void BatchNorm_module_tracks_running_statistics_like_pytorch()
    {
        foreach (var name in new[] { "batchnorm1d_module", "batchnorm1d_cumulative" })
        {
            var c = Fixture.Case("nn_modules", name);
            var bn = name.EndsWith("module") ? new BatchNorm1d(3) : new BatchNorm1d(3, momentum: null);
            foreach (var x in c.GetProperty("inputs").EnumerateArray()) bn.Forward(Fixture.ToTensor(x));
            foreach (var p in c.GetProperty("state").EnumerateObject())
                Fixture.AssertClose(Fixture.ToTensor(p.Value), bn.StateDict()[p.Name], $"{name}.{p.Name}", 1e-5, 1e-6);
            if (c.TryGetProperty("eval_input", out var xe))
            {
                bn.Eval();
                Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("eval_output")), bn.Forward(Fixture.ToTensor(xe)), name, 1e-5, 1e-5);
            }
        }
    }

    public static IEnumerable<object[]> InitFunctionCases => Fixture.Names("nn_init");

    [Theory]
    [MemberData(nameof(InitFunctionCases))]
    public void Init_functions_draw_what_pytorch_draws(string name)
    {
        var c = Fixture.Case("nn_init", name);
        var expected = Fixture.ToTensor(c.GetProperty("output"));
        Torch.ManualSeed(c.GetProperty("seed").GetInt64());
        var t = Torch.Empty(expected.Shape);
        switch (name)
        {
            case "kaiming_uniform": Init.KaimingUniform_(t, nonlinearity: "relu"); break;
            case "kaiming_normal_fan_out": Init.KaimingNormal_(t, mode: "fan_out", nonlinearity: "relu"); break;
            case "xavier_uniform": Init.XavierUniform_(t, Init.CalculateGain("tanh")); break;
            case "xavier_normal": Init.XavierNormal_(t); break;
            case "trunc_normal": Init.TruncNormal_(t, std: 0.02, a: -0.04, b: 0.04); break;
            case "uniform": Init.Uniform_(t, -2, 3); break;
            case "normal": Init.Normal_(t, 1, 0.5); break;
            case "bernoulli": t.Bernoulli_(0.3); break;
            default: throw new InvalidOperationException(name);
        }
        Fixture.AssertClose(expected, t, name, 1e-6, 1e-7);
    }

    [Fact]
    public void Layer_argument_errors_match_pytorch()
    {
        Assert.Equal("dropout probability has to be between 0 and 1, but got 1.5", Assert.Throws<ArgumentException>(() => new Dropout(1.5)).Message);
        Assert.Equal("in_channels must be divisible by groups", Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2)).Message);
        Assert.Equal("expected 4D input (got 3D input)", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Torch.Zeros(2, 3, 4))).Message);
        Assert.Equal("mat1 and mat2 shapes cannot be multiplied (2x4 and 3x5)",
            Assert.Throws<ArgumentException>(() => new Linear(3, 5).Forward(Torch.Zeros(2, 4))).Message);
        Assert.Equal("Target 7 is out of bounds.", Assert.Throws<IndexOutOfRangeException>(() => Functional.CrossEntropy(Torch.Zeros(2, 4), Torch.Tensor([1L, 7]))).Message);
        Assert.Equal("Expected input batch_size (2) to match target batch_size (3).",
            Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Torch.Zeros(2, 4), Torch.Tensor([1L, 2, 3]))).Message);
    }
}
