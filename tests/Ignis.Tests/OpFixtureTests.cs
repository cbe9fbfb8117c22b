using System.Text.Json;
using Ignis;
using Ignis.Autograd;
using Xunit;

namespace Ignis.Tests;

/// <summary>Every op: forward, gradient and grad_fn name against PyTorch 1.13, and a float64 GradCheck.</summary>
public class OpFixtureTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("ops");

    static Tensor[] Inputs(JsonElement c, bool requiresGrad, DType? castFloats = null) =>
        c.GetProperty("inputs").EnumerateArray().Select(e =>
        {
            var t = Fixture.ToTensor(e);
            if (castFloats is DType d && t.DType.IsFloatingPoint()) t = t.To(d);
            if (requiresGrad && t.DType.IsFloatingPoint()) t.RequiresGrad = true;
            return t;
        }).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_pytorch(string name)
    {
        var c = Fixture.Case("ops", name);
        var output = OpCases.All[name](Inputs(c, requiresGrad: false));
        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("output")), output, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_matches_pytorch(string name)
    {
        var c = Fixture.Case("ops", name);
        if (!c.TryGetProperty("grads", out var grads)) return;
        var inputs = Inputs(c, requiresGrad: true);
        var output = OpCases.All[name](inputs);
        if (c.TryGetProperty("grad_fn", out var fn)) Assert.Equal(fn.GetString(), output.GradFn?.Name);
        output.Backward(Fixture.ToTensor(c.GetProperty("grad_output")));
        int i = 0;
        foreach (var g in grads.EnumerateArray())
        {
            if (g.ValueKind == JsonValueKind.Null) Assert.Null(inputs[i].Grad);
            else Fixture.AssertClose(Fixture.ToTensor(g), inputs[i].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: input {i} has no gradient"), $"{name} grad[{i}]", 1e-5, 1e-5);
            i++;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_passes_gradcheck(string name)
    {
        var c = Fixture.Case("ops", name);
        if (!c.TryGetProperty("grads", out _)) return;
        var inputs = Inputs(c, requiresGrad: true, castFloats: DType.Float64);
        var report = GradCheck.Check(OpCases.All[name], inputs);
        Assert.True(report.Passed, $"{name}: {report.Detail}");
    }
}
