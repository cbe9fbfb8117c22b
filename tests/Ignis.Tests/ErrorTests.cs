using Ignis;
using Ignis.Backends;
using Xunit;

namespace Ignis.Tests;

/// <summary>Bad input raises typed exceptions whose messages are PyTorch's (1.13) word for word.</summary>
public class ErrorTests
{
    static void Throws<TEx>(string message, Action act) where TEx : Exception
    {
        var ex = Assert.Throws<TEx>(act);
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Shape_mismatches_name_the_shapes()
    {
        Throws<ArgumentException>("mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)", () => Torch.Zeros(4, 3).Mm(Torch.Zeros(4, 5)));
        Throws<ArgumentException>("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1", () => _ = Torch.Zeros(2, 3) + Torch.Zeros(4));
        Throws<ArgumentException>("The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]", () => Torch.Zeros(2, 3).Expand(2, 4));
        Throws<ArgumentException>("shape '[4]' is invalid for input of size 6", () => Torch.Zeros(2, 3).View(4));
        Throws<InvalidOperationException>("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.", () => Torch.Zeros(2, 3).T.View(6));
        Throws<ArgumentException>("Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.", () => Torch.Cat([Torch.Zeros(2, 3), Torch.Zeros(2, 4)]));
        Throws<ArgumentException>("stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1", () => Torch.Stack([Torch.Zeros(2, 3), Torch.Zeros(2, 4)]));
        Throws<ArgumentException>("batch1 must be a 3D tensor", () => Torch.Zeros(2, 3).Bmm(Torch.Zeros(2, 3)));
        Throws<ArgumentException>("inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively", () => Torch.Zeros(3).Dot(Torch.Zeros(4)));
        Throws<ArgumentException>("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 1", () => Torch.Ones(2, 3).Permute(0));
    }

    [Fact]
    public void Index_and_dimension_errors()
    {
        Throws<ArgumentOutOfRangeException>("Dimension out of range (expected to be in range of [-2, 1], but got 2)", () => Torch.Zeros(2, 3).Sum(2));
        Throws<ArgumentOutOfRangeException>("index 5 is out of bounds for dimension 0 with size 3", () => _ = Torch.Zeros(3)[5]);
        Throws<ArgumentOutOfRangeException>("index 4 is out of bounds for dimension 1 with size 3", () => Torch.Zeros(2, 3).Gather(1, Torch.Tensor(new long[] { 4, 0 }, 2, 1)));
    }

    [Fact]
    public void Dtype_errors()
    {
        Throws<ArgumentException>("expected scalar type Float but found Double", () => Torch.Zeros(2, 3).Mm(Torch.Zeros([3, 2], DType.Float64)));
        Throws<ArgumentException>("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long", () => Torch.Zeros([2], DType.Int64).Mean());
        Throws<ArgumentException>("where expected condition to be a boolean tensor, but got a tensor with dtype Float", () => Torch.Where(Torch.Ones(2), Torch.Ones(2), Torch.Ones(2)));
        Throws<ArgumentException>("result type Float can't be cast to the desired output type Long", () => Torch.Ones([2], DType.Int64).Add_(1.5));
        Throws<ArgumentException>("gather(): Expected dtype int64 for index", () => Torch.Ones(2, 3).Gather(1, Torch.Zeros([2, 3], DType.Int32)));
        Throws<ArgumentException>("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.", () => _ = -Torch.Ones([2], DType.Bool));
        Throws<ArgumentException>("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.", () => _ = Torch.Ones([2], DType.Bool) - Torch.Ones([2], DType.Bool));
        Throws<InvalidOperationException>("only Tensors of floating point dtype can require gradients", () => Torch.Zeros([2], DType.Int64).RequiresGrad_());
        Throws<InvalidOperationException>("only one element tensors can be converted to Python scalars", () => Torch.Zeros(2).Item<float>());
    }

    [Fact]
    public void Autograd_misuse()
    {
        Throws<InvalidOperationException>("a leaf Variable that requires grad is being used in an in-place operation.", () => Torch.Zeros([2], requiresGrad: true).Add_(1.0));
        var x = Torch.Ones([2], requiresGrad: true);
        var y = (x * x).Sum();
        y.Backward();
        Assert.StartsWith("Trying to backward through the graph a second time", Assert.Throws<InvalidOperationException>(() => y.Backward()).Message);
        Throws<InvalidOperationException>("grad can be implicitly created only for scalar outputs", () => (Torch.Ones([2], requiresGrad: true) * 2).Backward());
        Throws<InvalidOperationException>("element 0 of tensors does not require grad and does not have a grad_fn", () => Torch.Ones(2).Sum().Backward());
    }

    [Fact]
    public void Unknown_and_missing_devices_explain_themselves()
    {
        Assert.StartsWith("Expected one of cpu, cuda, mps, opencl, privateuseone device type at start of device string: gpu", Assert.Throws<ArgumentException>(() => Device.Parse("gpu")).Message);
        Assert.Throws<ArgumentException>(() => Device.Parse("cuda:x"));
        var ex = Assert.Throws<DeviceUnavailableException>(() => Torch.Zeros(2).To("cuda"));
        Assert.Contains("no CUDA backend is loaded", ex.Message);
        Assert.Contains("Ignis.Cuda", ex.Message);
        Assert.Throws<DeviceUnavailableException>(() => Torch.Zeros([2], device: Device.Parse("mps")));
        Assert.False(Torch.Cuda.IsAvailable());
    }
}
