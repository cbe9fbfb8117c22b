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
