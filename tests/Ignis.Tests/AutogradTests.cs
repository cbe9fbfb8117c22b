using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>Autograd semantics as PyTorch defines them: accumulation, graph release, modes, leaves, views.</summary>
public class AutogradTests
{
    static Tensor V(params float[] v) => Torch.Tensor(v);

    [Fact]
    public void Gradients_accumulate_into_leaves_across_backward_calls()
    {
        var x = V(1, 2, 3).RequiresGrad_();
        (x * x).Sum().Backward();
        (x * 3).Sum().Backward();
        Assert.Equal(new float[] { 5, 7, 9 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_tensor_used_twice_gets_the_sum_of_both_paths()
    {
        var x = V(2).RequiresGrad_();
        var y = x * x + x.Exp();
        y.Sum().Backward();
        Assert.Equal(4 + MathF.Exp(2), x.Grad!.Item<float>(), 5);
    }

    [Fact]
    public void Retain_graph_allows_a_second_backward()
    {
        var x = V(1, 2).RequiresGrad_();
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(new float[] { 4, 8 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Backward_with_an_explicit_gradient()
    {
        var x = V(1, 2).RequiresGrad_();
        (x * 3).Backward(V(1, 10));
        Assert.Equal(new float[] { 3, 30 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void NoGrad_records_nothing_and_restores_the_mode()
    {
        var x = V(1).RequiresGrad_();
        using (Torch.NoGrad())
        {
            var y = x * 2;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
            Assert.False(Torch.IsGradEnabled());
        }
        Assert.True(Torch.IsGradEnabled());
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void Detach_shares_storage_but_leaves_the_graph()
    {
        var x = V(1, 2).RequiresGrad_();
        var y = (x * 2).Detach();
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        var z = x.Detach();
        using (Torch.NoGrad()) z.Add_(1.0);
        Assert.Equal(new float[] { 2, 3 }, x.ToArray<float>());
    }

    [Fact]
    public void Leaves_and_non_leaves()
    {
        var x = V(1).RequiresGrad_();
        var y = x * 2;
        Assert.True(x.IsLeaf);
        Assert.False(y.IsLeaf);
        Assert.Equal("MulBackward0", y.GradFn!.Name);
        Assert.Null(y.GradFn!.NextFunctions[0]);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        y.Backward();
        Assert.Null(y.Grad);
    }

    [Fact]
    public void RetainGrad_keeps_an_intermediate_gradient()
    {
        var x = V(1, 2).RequiresGrad_();
        var y = x * 2;
        y.RetainGrad();
        (y * y).Sum().Backward();
        Assert.Equal(new float[] { 4, 8 }, y.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 8, 16 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Broadcast_gradients_are_reduced_to_the_input_shape()
    {
        var a = Torch.Ones([2, 3], requiresGrad: true);
        var b = Torch.Ones([3], requiresGrad: true);
        var c = Torch.Ones([2, 1], requiresGrad: true);
        (a * b + c).Sum().Backward();
        Assert.Equal(new long[] { 3 }, b.Grad!.Shape);
        Assert.Equal(new float[] { 2, 2, 2 }, b.Grad.ToArray<float>());
        Assert.Equal(new float[] { 3, 3 }, c.Grad!.ToArray<float>());
    }

    [Fact]
    public void Gradient_dtype_follows_the_input_in_mixed_precision()
    {
        var a = Torch.Ones([2], requiresGrad: true);
        var b = Torch.Ones([2], DType.Float64, requiresGrad: true);
        (a * b).Sum().Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
    }

    [Fact]
    public void Gradients_flow_through_views_and_slices()
    {
        var x = Torch.Arange(6.0).Reshape(2, 3).Detach().RequiresGrad_();
        var y = x[.., 1..].T.Reshape(-1) * Torch.Tensor(new float[] { 1, 2, 3, 4 });
        y.Sum().Backward();
        Assert.Equal(new float[] { 0, 1, 3, 0, 2, 4 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void In_place_updates_under_no_grad_are_what_optimizers_use()
    {
        var w = V(1, 1).RequiresGrad_();
        (w * V(2, 3)).Sum().Backward();
        using (Torch.NoGrad()) w.Sub_(w.Grad!.Mul(0.5));
        Assert.Equal(new float[] { 0, -0.5f }, w.ToArray<float>());
        Assert.True(w.IsLeaf);
        Assert.True(w.RequiresGrad);
    }

    [Fact]
    public void Leaf_gradients_never_alias_each_other_or_the_graph()
    {
        var a = V(1, 2).RequiresGrad_();
        var b = V(3, 4).RequiresGrad_();
        var c = V(5, 6).RequiresGrad_();
        var s = a + b;
        var v = c.View(2, 1).View(2);
        (s * 2 + v).Sum().Backward();
        a.Grad!.Add_(100.0);
        Assert.Equal(new float[] { 2, 2 }, b.Grad!.ToArray<float>());
        c.Grad!.Add_(100.0);
        Assert.Equal(new float[] { 102, 102 }, a.Grad.ToArray<float>());
        Assert.NotSame(a.Grad.Storage, b.Grad.Storage);
    }
}
