using System.Text.Json;
using Ignis;
using Ignis.Nn;
using Ignis.Optim;
using Xunit;
using F = Ignis.Nn.Functional;

namespace Ignis.Tests;

/// <summary>Optimizer classes and LR schedulers against torch.optim (five float64 steps on a fixed two-layer model, 1e-6 relative; 12 scheduler steps).</summary>
public class OptimizerTests
{
    public static IEnumerable<object[]> OptimizerCases => Fixture.Cases("optim_steps").EnumerateArray()
        .Select(c => c.GetProperty("name").GetString()!).Where(n => n != "_start").Select(n => new object[] { n });

    static Sequential Model()
    {
        var m = new Sequential(new Linear(4, 3), new Nn.Tanh(), new Linear(3, 2));
        m.To(DType.Float64);
        var start = Fixture.Case("optim_steps", "_start").GetProperty("state");
        m.LoadStateDict(start.EnumerateObject().ToDictionary(p => p.Name, p => Fixture.ToTensor(p.Value)));
        return m;
    }

    static Optimizer Make(string type, IEnumerable<ParamGroup> groups, JsonElement cfg)
    {
        double D(string k, double d) => cfg.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        bool B(string k) => cfg.TryGetProperty(k, out var v) && v.GetBoolean();
        (double, double)? betas = cfg.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        return type switch
        {
            "SGD" => new SGD(groups, D("lr", 0), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov"), B("maximize")),
            "Adam" => new Adam(groups, D("lr", 1e-3), betas, D("eps", 1e-8), D("weight_decay", 0), B("amsgrad"), B("maximize")),
            "AdamW" => new AdamW(groups, D("lr", 1e-3), betas, D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad"), B("maximize")),
            "RMSprop" => new RMSprop(groups, D("lr", 1e-2), D("alpha", 0.99), D("eps", 1e-8), D("weight_decay", 0), D("momentum", 0), B("centered"), B("maximize")),
            _ => throw new InvalidOperationException(type),
        };
    }

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Five_steps_match_torch_optim(string name)
    {
        var c = Fixture.Case("optim_steps", name);
        var start = Fixture.Case("optim_steps", "_start");
        var x = Fixture.ToTensor(start.GetProperty("x"));
        var y = Fixture.ToTensor(start.GetProperty("y"));
        var m = Model();
        var ps = m.Parameters().ToList();
        IEnumerable<ParamGroup> groups = [new ParamGroup(ps)];
        if (c.GetProperty("group2").ValueKind == JsonValueKind.Object)
        {
            var opts = c.GetProperty("group2").EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value.GetDouble());
            groups = [new ParamGroup(ps.Take(2)), new ParamGroup(ps.Skip(2), opts)];
        }
        var opt = Make(c.GetProperty("optimizer").GetString()!, groups, c.GetProperty("config"));
        var losses = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            opt.ZeroGrad();
            var loss = F.MseLoss(m.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(loss.Item<double>());
        }
        var expectedLosses = c.GetProperty("losses").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expectedLosses[i], losses[i], 1e-6 * Math.Abs(expectedLosses[i]) + 1e-7);
        foreach (var p in c.GetProperty("state").EnumerateObject())
            Fixture.AssertClose(Fixture.ToTensor(p.Value), m.StateDict()[p.Name], $"{name}.{p.Name}", rtol: 1e-6, atol: 1e-7);
    }

    [Fact]
    public void State_dict_round_trip_resumes_identically()
    {
        var start = Fixture.Case("optim_steps", "_start");
        var x = Fixture.ToTensor(start.GetProperty("x"));
        var y = Fixture.ToTensor(start.GetProperty("y"));
        void Steps(Sequential m, Optimizer o, int n)
        {
            for (int i = 0; i < n; i++) { o.ZeroGrad(); F.MseLoss(m.Forward(x), y).Backward(); o.Step(); }
        }
        var a = Model(); var oa = new Adam(a.Parameters(), lr: 0.01, amsgrad: true);
        Steps(a, oa, 3);
        var b = Model(); var ob = new Adam(b.Parameters(), lr: 0.5);
        b.LoadStateDict(a.StateDict());
        ob.LoadStateDict(oa.StateDict());
        Assert.Equal(0.01, ob.ParamGroups[0].Lr);
        Steps(a, oa, 2);
        Steps(b, ob, 2);
        foreach (var (k, v) in a.StateDict()) Assert.True(v.Equal(b.StateDict()[k]), k);
        var sd = oa.StateDict();
        Assert.Equal(5f, ((Tensor)sd.State[0]["step"]).Item<float>());
        Assert.Equal([0, 1, 2, 3], (int[])sd.ParamGroups[0]["params"]);
    }

    [Fact]
    public void Zero_grad_and_argument_errors()
    {
        var p = new Parameter(Torch.Ones(2));
        var o = new SGD([p], lr: 0.1);
        p.Grad = Torch.Ones(2);
        o.ZeroGrad(setToNone: false);
        Assert.True(p.Grad!.Equal(Torch.Zeros(2)));
        o.ZeroGrad();
        Assert.Null(p.Grad);
        Assert.Equal("Invalid learning rate: -0.1", Assert.Throws<ArgumentException>(() => new SGD([p], lr: -0.1)).Message);
        Assert.Equal("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<ArgumentException>(() => new SGD([p], 0.1, nesterov: true)).Message);
        Assert.Equal("Invalid beta parameter at index 1: 1.0", Assert.Throws<ArgumentException>(() => new Adam([p], betas: (0.9, 1.0))).Message);
        Assert.Equal("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Tensor>())).Message);
        Assert.Equal("some parameters appear in more than one parameter group",
            Assert.Throws<ArgumentException>(() => new Adam([new ParamGroup([p]), new ParamGroup([p])])).Message);
    }

    public static IEnumerable<object[]> SchedulerCases => Fixture.Names("schedulers");

    [Theory]
    [MemberData(nameof(SchedulerCases))]
    public void Scheduler_rates_match_pytorch(string name)
    {
        var c = Fixture.Case("schedulers", name);
        var p = new Parameter(Torch.Zeros(1));
        Optimizer o = name.Contains("adam") ? new Adam([p], lr: 0.1) : new SGD([p], lr: 0.1, momentum: 0.9);
        double[] plateauMetrics = name == "plateau" ? [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
            : [0.1, 0.15, 0.3, 0.35, 0.3, 0.5, 0.55, 0.5, 0.5, 0.5, 0.5, 0.5];
        LRScheduler? s = name switch
        {
            "step" => new StepLR(o, 3, 0.5),
            "multistep" => new MultiStepLR(o, [2, 5, 5, 9], 0.3),
            "exponential" => new ExponentialLR(o, 0.9),
            "cosine" => new CosineAnnealingLR(o, 5, 0.01),
            "linear" => new LinearLR(o, startFactor: 0.25, totalIters: 4),
            "onecycle_sgd" => new OneCycleLR(o, maxLr: 1.0, totalSteps: 12),
            "onecycle_adam_linear_3phase" => new OneCycleLR(o, maxLr: 0.5, epochs: 3, stepsPerEpoch: 4, annealStrategy: "linear", threePhase: true),
            _ => null,
        };
        var plateau = name switch
        {
            "plateau" => new ReduceLROnPlateau(o, patience: 2, factor: 0.5, cooldown: 1),
            "plateau_max_abs" => new ReduceLROnPlateau(o, mode: "max", thresholdMode: "abs", threshold: 0.1, patience: 1, minLr: 0.02),
            _ => null,
        };
        var lrs = new List<double> { o.ParamGroups[0].Lr };
        var moms = new List<double>();
        for (int i = 0; i < 12; i++)
        {
            if (s is not null) s.Step(); else plateau!.Step(plateauMetrics[i]);
            lrs.Add(o.ParamGroups[0].Lr);
            var g = o.ParamGroups[0];
            moms.Add(g.Options.ContainsKey("momentum") ? g.Double("momentum") : g.Betas.Item1);
        }
        var expected = c.GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var expectedMom = c.GetProperty("momentum").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - lrs[i]) <= 1e-12 + 1e-12 * expected[i], $"{name} lr[{i}] {lrs[i]} != {expected[i]}");
        for (int i = 0; i < expectedMom.Length; i++) Assert.True(Math.Abs(expectedMom[i] - moms[i]) <= 1e-12, $"{name} momentum[{i}] {moms[i]} != {expectedMom[i]}");
    }
}
