using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>Seeded sampling and factories give PyTorch's numbers.</summary>
public class RandomAndFactoryTests
{
    public static IEnumerable<object[]> RandomCases => Fixture.Names("random");
    public static IEnumerable<object[]> FactoryCases => Fixture.Names("factories");

    static readonly Dictionary<string, Func<Tensor>> Random = new()
    {
        ["rand_5x3"] = () => Torch.Rand(5, 3),
        ["rand_f64"] = () => Torch.Rand([6], DType.Float64),
        ["randn_3"] = () => Torch.Randn(3),
        ["randn_16"] = () => Torch.Randn(16),
        ["randn_37"] = () => Torch.Randn(37),
        ["randn_2x100"] = () => Torch.Randn(2, 100),
        ["randn_f64_20"] = () => Torch.Randn([20], DType.Float64),
        ["randn_scalars"] = () => Torch.Stack(Enumerable.Range(0, 5).Select(_ => Torch.Randn([])).ToArray()),
        ["randint_0_10"] = () => Torch.Randint(0, 10, [9]),
        ["randint_neg"] = () => Torch.Randint(-5, 5, [3, 4]),
        ["randint_big"] = () => Torch.Randint(0, 1L << 40, [5]),
        ["randperm_10"] = () => Torch.Randperm(10),
        ["randperm_100"] = () => Torch.Randperm(100),
        ["rand_then_randn"] = () => Torch.Cat([Torch.Rand(3), Torch.Randn(20), Torch.Rand(2)]),
        ["uniform_"] = () => Torch.Empty(40).Uniform_(-2, 3),
        ["normal_"] = () => Torch.Empty(40).Normal_(1.5, 0.5),
    };

    static readonly Dictionary<string, Func<Tensor>> Factories = new()
    {
        ["linspace_pi_2000"] = () => Torch.Linspace(-Math.PI, Math.PI, 2000),
        ["linspace_0_1_7"] = () => Torch.Linspace(0, 1, 7),
        ["linspace_f64"] = () => Torch.Linspace(-3, 5, 33, DType.Float64),
        ["linspace_1"] = () => Torch.Linspace(2, 5, 1),
        ["arange_10"] = () => Torch.Arange(10),
        ["arange_float"] = () => Torch.Arange(0.5, 3.0, 0.25),
        ["arange_neg_step"] = () => Torch.Arange(5, -3, -2),
        ["eye_3"] = () => Torch.Eye(3),
        ["eye_2x4"] = () => Torch.Eye(2, 4),
        ["full_int"] = () => Torch.Full([2, 2], 7L),
        ["zeros_int32"] = () => Torch.Zeros([2, 3], DType.Int32),
        ["ones_bool"] = () => Torch.Ones([3], DType.Bool),
    };

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Same_seed_gives_pytorchs_numbers_bit_for_bit(string name)
    {
        var c = Fixture.Case("random", name);
        Tensor actual;
        lock (Torch.DefaultGenerator)
        {
            Torch.ManualSeed(c.GetProperty("seed").GetInt64());
            actual = Random[name]();
        }
        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("output")), actual, name, rtol: 0, atol: 0);
    }

    [Theory]
    [MemberData(nameof(FactoryCases))]
    public void Factories_match_pytorch_exactly(string name)
    {
        var c = Fixture.Case("factories", name);
        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("output")), Factories[name](), name, rtol: 0, atol: 0);
    }

    [Fact]
    public void Explicit_generators_are_independent_of_the_default_one()
    {
        var g1 = new Generator(42);
        var a = Torch.Rand([4], generator: g1);
        var b = Torch.Rand([4], generator: new Generator(42));
        Assert.True(a.Equal(b));
        Assert.False(Torch.Rand([4], generator: g1).Equal(a));
    }
}
