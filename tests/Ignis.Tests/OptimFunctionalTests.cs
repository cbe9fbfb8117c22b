using System.Text.Json;
using Ignis;
using Ignis.Optim;
using Xunit;

namespace Ignis.Tests;

/// <summary>The fused Adam/AdamW kernel against five steps of torch.optim (1e-6 relative).</summary>
public class OptimFunctionalTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("optim");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Five_steps_match_torch_optim(string name)
    {
        var c = Fixture.Case("optim", name);
        var h = c.GetProperty("hyper");
        double Get(string k, double d) => h.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        var betas = h.TryGetProperty("betas", out var b) ? b.EnumerateArray().Select(x => x.GetDouble()).ToArray() : [0.9, 0.999];
        bool amsgrad = h.TryGetProperty("amsgrad", out var a) && a.GetBoolean();
        bool adamw = name.StartsWith("adamw");
        var p = Fixture.ToTensor(c.GetProperty("param"));
        var m = Torch.ZerosLike(p);
        var v = Torch.ZerosLike(p);
        var vmax = amsgrad ? Torch.ZerosLike(p) : null;
        int step = 0;
        foreach (var g in c.GetProperty("grads").EnumerateArray())
            Functional.AdamStep(p, Fixture.ToTensor(g), m, v, ++step, Get("lr", 1e-3), betas[0], betas[1], Get("eps", 1e-8),
                Get("weight_decay", adamw ? 1e-2 : 0), adamw, vmax);
        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("output")), p, name, rtol: 1e-6, atol: 1e-7);
    }

    [Fact]
    public void Mismatched_state_is_rejected_with_the_shapes()
    {
        var p = Torch.Zeros(3);
        var ex = Assert.Throws<ArgumentException>(() => Functional.AdamStep(p, Torch.Zeros(4), Torch.Zeros(3), Torch.Zeros(3), 1));
        Assert.Equal("grad has shape [4] but the parameter has [3]", ex.Message);
    }
}
