using System.Text.Json;
using Ignis.Nn;
using Xunit;

namespace Ignis.Tests;

/// <summary>torch.nn.utils.clip_grad_norm_ / clip_grad_value_ against PyTorch 1.13 (tools/fixtures/make_fixtures.py, "clip").</summary>
public class ClipGradTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("clip");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Clipping_matches_pytorch(string name)
    {
        var c = Fixture.Case("clip", name);
        var grads = c.GetProperty("grads").EnumerateArray().Select(Fixture.ToTensor).ToArray();
        var ps = grads.Select(g => Torch.ZerosLike(g).RequiresGrad_()).ToArray();
        for (int i = 0; i < ps.Length; i++) ps[i].Grad = grads[i].Clone();
        var hyper = c.GetProperty("hyper");
        Tensor? total = null;
        if (hyper.TryGetProperty("clip_value", out var cv)) Utils.ClipGradValue_(ps, cv.GetDouble());
        else
        {
            double normType = hyper.TryGetProperty("norm_type", out var nt) ? Number(nt) : 2.0;
            total = Utils.ClipGradNorm_(ps, hyper.GetProperty("max_norm").GetDouble(), normType);
        }
        if (c.GetProperty("total").ValueKind != JsonValueKind.Null)
            Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("total")), total!, $"{name} total norm");
        var expected = c.GetProperty("output").EnumerateArray().Select(Fixture.ToTensor).ToArray();
        for (int i = 0; i < ps.Length; i++) Fixture.AssertClose(expected[i], ps[i].Grad!, $"{name} grad {i}");
    }

    static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "inf" or "Infinity" => double.PositiveInfinity, "-inf" or "-Infinity" => double.NegativeInfinity, _ => double.NaN }
        : e.GetDouble();

    [Fact]
    public void Nonfinite_total_norm_raises_only_when_asked()
    {
        var p = Torch.Zeros(3).RequiresGrad_();
        p.Grad = Torch.Tensor([1f, float.NaN, 2f]);
        var e = Assert.Throws<InvalidOperationException>(() => Utils.ClipGradNorm_([p], 1.0, errorIfNonfinite: true));
        Assert.StartsWith("The total norm of order 2 for gradients from `parameters` is non-finite", e.Message);
        Assert.True(Utils.ClipGradNorm_([p], 1.0).IsNan().Item<bool>());
    }

    [Fact]
    public void No_gradients_gives_a_zero_norm_and_changes_nothing()
    {
        var p = Torch.Ones(2).RequiresGrad_();
        Assert.Equal(0.0, Utils.ClipGradNorm_([p], 1.0).Item<float>());
        Assert.Null(p.Grad);
    }
}
