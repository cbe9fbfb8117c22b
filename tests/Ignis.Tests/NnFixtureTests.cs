using System.Text.Json;
using Ignis;
using Ignis.Autograd;
using Xunit;

namespace Ignis.Tests;

/// <summary>Activations, dropout, embedding, linear and every loss: forward, gradients and grad_fn against PyTorch 1.13.</summary>
public class NnFixtureTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("nn");

    static Tensor[] Inputs(JsonElement c, bool requiresGrad, DType? cast = null) => Fixture.Inputs(c, requiresGrad, cast);

    static Tensor Run(string name, Tensor[] inputs)
    {
        if (!NnCases.Seeds.TryGetValue(name, out var seed)) return NnCases.All[name](inputs);
        // Seeded cases compare PyTorch's exact CPU masks: a device draws the CPU's numbers for them.
        using var cpuNumbers = Fixture.CpuRandomNumbers?.Invoke();
        Torch.ManualSeed(seed);
        return NnCases.All[name](inputs);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_pytorch(string name)
    {
        var c = Fixture.Case("nn", name);
        var expected = Fixture.ToTensor(c.GetProperty("output"));
        Fixture.AssertClose(expected, Run(name, Inputs(c, false)), name, rtol: 1e-5, atol: expected.DType == DType.Float64 ? 1e-12 : 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_matches_pytorch(string name)
    {
        var c = Fixture.Case("nn", name);
        if (!c.TryGetProperty("grads", out var grads)) return;
        var inputs = Inputs(c, true);
        var output = Run(name, inputs);
        if (!NnCases.UncheckedGradFn.Contains(name)) Assert.Equal(c.GetProperty("grad_fn").GetString(), output.GradFn?.Name);
        Fixture.AssertGradients(c, grads, inputs, output, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_passes_gradcheck(string name)
    {
        var c = Fixture.Case("nn", name);
        // Embedding's padding row deliberately gets no gradient, which finite differences cannot agree with.
        if (!c.TryGetProperty("grads", out _) || NnCases.Seeds.ContainsKey(name) || name == "embedding") return;
        // Kinks (relu6 at 0, hardswish at ±3, L1 at 0) are not differentiable; gradcheck runs on a shifted copy there.
        var inputs = Inputs(c, true, DType.Float64);
        if (name is "relu6" or "hardswish" or "hardsigmoid" or "leaky_relu")
            inputs = [inputs[0].Detach().Add(0.01).RequiresGrad_()];
        var report = GradCheck.Check(x => NnCases.All[name](x), inputs);
        Assert.True(report.Passed, $"{name}: {report.Detail}");
    }
}
