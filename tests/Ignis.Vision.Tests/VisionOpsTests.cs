using Ignis.Nn;
using Ignis.Vision.Ops;
using Xunit;

namespace Ignis.Vision.Tests;

/// <summary>torchvision.ops layers against torchvision 0.14 (the "ops" part of zoo.json.gz).</summary>
public class VisionOpsTests
{
    static void AllClose(float[] expected, Tensor actual, double tol = 1e-5)
    {
        var got = actual.Detach().Float().Reshape(-1).ToArray<float>();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {got[i]}");
    }

    [Theory]
    [InlineData("row")]
    [InlineData("batch")]
    public void Stochastic_depth_draws_pytorchs_mask(string mode)
    {
        var c = ZooFixture.Op("stochastic_depth_" + mode);
        var x = Torch.Tensor(ZooFixture.Floats(c.GetProperty("input")), 6, 3, 2, 2);
        Torch.ManualSeed(11);
        AllClose(ZooFixture.Floats(c.GetProperty("output")), VisionFunctional.StochasticDepth(x, 0.4, mode, true), 0);
    }

    [Fact]
    public void Stochastic_depth_is_identity_in_eval_and_checks_arguments()
    {
        var x = Torch.Randn(4, 3);
        var sd = new StochasticDepth(0.5, "row");
        sd.Eval();
        Assert.Same(x, sd.Forward(x));
        Assert.Equal("StochasticDepth(p=0.5, mode=row)", sd.ToString());
        Assert.Equal("drop probability has to be between 0 and 1, but got 1.5",
            Assert.Throws<ArgumentException>(() => new StochasticDepth(1.5, "row")).Message);
        Assert.Equal("mode has to be either 'batch' or 'row', but got col",
            Assert.Throws<ArgumentException>(() => VisionFunctional.StochasticDepth(x, 0.1, "col")).Message);
    }

    [Fact]
    public void Squeeze_excitation_matches_torchvision_forward_and_backward()
    {
        var c = ZooFixture.Op("squeeze_excitation");
        var se = new SqueezeExcitation(4, 2);
        Assert.Equal(c.GetProperty("repr").GetString(), se.ToString());
        var state = new OrderedDictionary<string, Tensor>();
        foreach (var (k, t) in se.StateDict())
            state[k] = Torch.Tensor(ZooFixture.Floats(c.GetProperty("state").GetProperty(k)), t.Shape);
        se.LoadStateDict(state);
        var x = Torch.Tensor(ZooFixture.Floats(c.GetProperty("input")), 2, 4, 3, 3).RequiresGrad_();
        var y = se.Forward(x);
        y.Backward(Torch.OnesLike(y));
        AllClose(ZooFixture.Floats(c.GetProperty("output")), y);
        AllClose(ZooFixture.Floats(c.GetProperty("grad")), x.Grad!);
    }

    [Fact]
    public void Conv2d_norm_activation_matches_torchvision()
    {
        var c = ZooFixture.Op("conv2d_norm_activation");
        Torch.ManualSeed(13);
        var m = new Conv2dNormActivation(3, 5, kernelSize: 3, stride: 2, dilation: 2);
        Assert.Equal(c.GetProperty("repr").GetString(), m.ToString());
        Assert.Equal(c.GetProperty("keys").EnumerateArray().Select(k => k.GetString()), m.StateDict().Keys);
        Assert.Equal(c.GetProperty("weight_sum").GetDouble(), ((Conv2d)m[0]).Weight.Double().Sum().Item<double>(), 1e-6);
        var plain = new Conv2dNormActivation(3, 5, normLayer: Conv2dNormActivation.NoNorm, activationLayer: Conv2dNormActivation.NoActivation);
        Assert.Equal(1, plain.Count);
        Assert.NotNull(((Conv2d)plain[0]).Bias);
    }
}
