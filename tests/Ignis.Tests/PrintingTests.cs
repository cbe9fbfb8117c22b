using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>ToString reproduces PyTorch's repr text exactly.</summary>
public class PrintingTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("printing");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToString_matches_pytorch_repr(string name)
    {
        var c = Fixture.Case("printing", name);
        var t = Fixture.ToTensor(c.GetProperty("input"));
        if (c.GetProperty("requires_grad").GetBoolean()) t.RequiresGrad = true;
        Assert.Equal(c.GetProperty("repr").GetString(), t.ToString());
    }

    [Fact]
    public void Grad_fn_suffix_names_the_function()
    {
        var a = Torch.Tensor(new float[] { 1, 2 }).RequiresGrad_();
        Assert.Equal("tensor([2., 4.], grad_fn=<MulBackward0>)", (a * 2).ToString());
    }
}

/// <summary>Python's float repr, which module print-outs use (<c>eps=1e-06</c>).</summary>
public class PyReprTests
{
    // Python 3's repr of each value (the values whose nearest double lies just below a power of ten are the trap).
    [Theory]
    [InlineData(1e-6, "1e-06")]
    [InlineData(1e-7, "1e-07")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1e-4, "0.0001")]
    [InlineData(0.0001234, "0.0001234")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e16, "1.5e+16")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(123.25, "123.25")]
    [InlineData(0.1, "0.1")]
    [InlineData(2.5e-8, "2.5e-08")]
    [InlineData(1e22, "1e+22")]
    [InlineData(-3e-6, "-3e-06")]
    [InlineData(0.0125, "0.0125")]
    [InlineData(1e-3, "0.001")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    public void Matches_python(double value, string expected) => Assert.Equal(expected, Py.Repr(value));
}
