using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary><c>DType</c> prints, compares and switches the way PyTorch's <c>torch.dtype</c> and c10's <c>ScalarType</c> do.</summary>
public class DTypeStructTests
{
    [Fact]
    public void Dtypes_print_as_pytorch_prints_them()
    {
        // str(torch.float32) == repr(torch.float32) == "torch.float32", and so on for every dtype Ignis has.
        Assert.Equal("torch.float32", DType.Float32.ToString());
        Assert.Equal("torch.float32", $"{Torch.Zeros(2).DType}");
        Assert.Equal("torch.int64", Torch.Arange(3).DType.ToString());
        string[] expected = ["torch.uint8", "torch.int8", "torch.int16", "torch.int32", "torch.int64", "torch.float16",
            "torch.float32", "torch.float64", "torch.bool", "torch.bfloat16"];
        Assert.Equal(expected, DTypeInfo.All.Select(d => d.ToString()));
    }

    [Fact]
    public void A_dtype_compares_hashes_and_converts_to_its_scalar_type()
    {
        DType a = DType.Float64, b = ScalarType.Float64;
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(DType.Float32, DType.Float64);
        Assert.Equal(ScalarType.Float64, (ScalarType)a);
        Assert.Equal(DType.Bool, default);
        Assert.Equal(DType.Int64, (DType)(int)DType.Int64);
        var set = new HashSet<DType> { DType.Float32, ScalarType.Float32, DType.Int8 };
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void Code_switches_on_the_kind()
    {
        static string Describe(Tensor t)
        {
            switch (t.DType.Kind)
            {
                case ScalarType.Float32: return "single";
                case ScalarType.Int64: return "long";
                default: return t.DType.Kind is ScalarType.Float16 or ScalarType.BFloat16 ? "half" : "other";
            }
        }
        Assert.Equal("single", Describe(Torch.Ones(1)));
        Assert.Equal("long", Describe(Torch.Arange(2)));
        Assert.Equal("half", Describe(Torch.Ones([1], DType.BFloat16)));
        Assert.Equal("other", Describe(Torch.Ones([1], DType.Float64)));
    }
}
