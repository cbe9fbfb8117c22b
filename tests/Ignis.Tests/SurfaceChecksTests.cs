using Ignis.Data;
using Ignis.Nn;
using F = Ignis.Nn.Functional;
using Xunit;

namespace Ignis.Tests;

/// <summary>Issue 11's unchecked and friction cases: PyTorch's checks and messages, and forms PyTorch code uses.</summary>
public class SurfaceChecksTests
{
    [Fact]
    public void Assigning_a_gradient_of_another_dtype_or_shape_is_refused_as_in_pytorch()
    {
        var p = Torch.Zeros([3], DType.Float64).RequiresGrad_();
        var e = Assert.Throws<ArgumentException>(() => p.Grad = Torch.Zeros(3));
        Assert.StartsWith("assigned grad has data of a different type (torch.float32 on cpu for a torch.float64 tensor on cpu)", e.Message);
        e = Assert.Throws<ArgumentException>(() => p.Grad = Torch.Zeros([1], DType.Float64));
        Assert.StartsWith("assigned grad has data of a different size (grad [1] for a tensor of shape [3])", e.Message);
        Assert.Null(p.Grad);
        p.Grad = Torch.Ones([3], DType.Float64);
        p.Grad = null;
        Assert.Null(p.Grad);
    }

    [Fact]
    public void A_shuffled_loader_over_an_empty_dataset_raises_pytorchs_message()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader<Tensor[]>(new TensorDataset(Torch.Zeros(0, 2)), batchSize: 2, shuffle: true));
        Assert.Equal("num_samples should be a positive integer value, but got num_samples=0", e.Message);
        // Without shuffling an empty dataset is simply empty, as in PyTorch.
        Assert.Empty(new DataLoader<Tensor[]>(new TensorDataset(Torch.Zeros(0, 2)), batchSize: 2));
    }

    sealed class Scaled(double factor) : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => input.Mul(factor);
        // Inside a Module subclass Py.Repr must resolve to Ignis.Py (Module's own helpers are named PyRepr).
        public override string ExtraRepr() => "factor=" + Py.Repr(factor);
    }

    [Fact]
    public void Py_repr_is_usable_inside_a_module_subclass() => Assert.Equal("Scaled(factor=0.5)", new Scaled(0.5).ToString());

    [Fact]
    public void Free_functions_equal_the_methods()
    {
        Torch.ManualSeed(3);
        var a = Torch.Randn(3, 4); var b = Torch.Randn(4, 2); var c = Torch.Rand(3, 4).Add(0.5);
        Assert.True(Torch.Exp(a).Equal(a.Exp()));
        Assert.True(Torch.Log(c).Equal(c.Log()));
        Assert.True(Torch.MatMul(a, b).Equal(a.MatMul(b)));
        Assert.True(Torch.Softmax(a, 1).Equal(a.Softmax(1)));
        Assert.True(Torch.Sum(a, 1).Equal(a.Sum(1)));
        Assert.True(Torch.Max(a).Equal(a.Max()));
        Assert.True(Torch.Max(a, 1).Indices.Equal(a.Max(1).Indices));
        Assert.True(Torch.Max(a, c).Equal(a.Maximum(c)));
        Assert.True(Torch.Mean(a, [0, 1]).Equal(a.Mean()));
        Assert.True(Torch.Clamp(a, -0.5, 0.5).Equal(a.Clamp(-0.5, 0.5)));
        Assert.True(Torch.Transpose(a, 0, 1).Equal(a.T));
        // Gradients flow through the free forms like through the methods.
        var x = Torch.Randn(5).RequiresGrad_();
        Torch.Sum(Torch.Tanh(x)).Backward();
        Assert.True(x.Grad!.Sub(x.Tanh().Square().Neg().Add(1.0)).Abs().Max().Item<float>() < 1e-6f);
    }

    [Fact]
    public void Pad_rejects_what_pytorch_rejects_with_its_messages()
    {
        var x = Torch.Zeros(2, 3, 5);
        Assert.Equal("Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (5, 1) at dimension 2 of input [2, 3, 5]",
            Assert.Throws<ArgumentException>(() => F.Pad(x, [5, 1], "reflect")).Message);
        Assert.Equal("Padding length must be divisible by 2", Assert.Throws<ArgumentException>(() => F.Pad(x, [1])).Message);
        Assert.Equal("Padding length too large", Assert.Throws<ArgumentException>(() => F.Pad(x, [1, 1, 1, 1, 1, 1, 1, 1])).Message);
        Assert.Equal("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now",
            Assert.Throws<NotSupportedException>(() => F.Pad(Torch.Zeros(5), [1, 1], "reflect")).Message);
        Assert.Equal("Invalid padding size, expected 0 but got 2", Assert.Throws<ArgumentException>(() => F.Pad(Torch.Zeros(4, 5), [1, 1], "circular")).Message);
        Assert.StartsWith("The input size 5, plus negative padding -3 and -3 resulted in a negative output size",
            Assert.Throws<ArgumentException>(() => F.Pad(x, [-3, -3])).Message);
    }

    [Fact]
    public void Interpolate_rejects_what_pytorch_rejects_with_its_messages()
    {
        var x = Torch.Zeros(1, 2, 4, 4);
        Assert.Equal("only one of size or scale_factor should be defined",
            Assert.Throws<ArgumentException>(() => F.Interpolate(x, size: [2, 2], scaleFactor: [2.0, 2.0])).Message);
        Assert.Equal("either size or scale_factor should be defined", Assert.Throws<ArgumentException>(() => F.Interpolate(x)).Message);
        Assert.Equal("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
            Assert.Throws<ArgumentException>(() => F.Interpolate(x, size: [2, 2], alignCorners: true)).Message);
        Assert.Equal("Got 3D input, but bilinear mode needs 4D input",
            Assert.Throws<NotSupportedException>(() => F.Interpolate(Torch.Zeros(1, 2, 4), size: [8], mode: "bilinear")).Message);
        Assert.StartsWith("Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [4, 4] and output size of [2].",
            Assert.Throws<ArgumentException>(() => F.Interpolate(x, size: [2])).Message);
    }

    [Fact]
    public void Advanced_indexing_rejects_what_pytorch_rejects_with_its_messages()
    {
        var x = Torch.Zeros(2, 3, 4);
        Assert.Equal("The shape of the mask [4] at index 0 does not match the shape of the indexed tensor [2, 3, 4] at index 1",
            Assert.Throws<ArgumentException>(() => x[.., Torch.Tensor([true, false, true, false])]).Message);
        Assert.Equal("index 5 is out of bounds for dimension 0 with size 2",
            Assert.Throws<ArgumentOutOfRangeException>(() => x[Torch.Tensor([5L])]).Message);
        Assert.Equal("tensors used as indices must be long, byte or bool tensors",
            Assert.Throws<ArgumentException>(() => x[Torch.Tensor([1f])]).Message);
        Assert.StartsWith("shape mismatch: value tensor of shape [5] cannot be broadcast to indexing result of shape [2, 3, 4]",
            Assert.Throws<ArgumentException>(() => x[new long[] { 0, 1 }] = Torch.Ones(5)).Message);
    }

    [Fact]
    public void Index_read_gradient_accumulates_repeated_positions()
    {
        var x = Torch.Zeros(4).RequiresGrad_();
        x[new long[] { 1, 1, 3 }].Sum().Backward();
        Assert.Equal([0f, 2f, 0f, 1f], x.Grad!.ToArray<float>());
        Assert.Equal("IndexBackward0", x[new long[] { 0 }].GradFn!.Name);
    }

    [Fact]
    public void Einsum_and_diagonal_errors_are_pytorchs()
    {
        Assert.Equal("einsum(): subscript i is repeated for operand 0 but the sizes don't match, 4 != 3",
            Assert.Throws<ArgumentException>(() => Torch.Einsum("ii->i", Torch.Zeros(3, 4))).Message);
        Assert.Equal("diagonal dimensions cannot be identical 1, 1", Assert.Throws<ArgumentException>(() => Torch.Diagonal(Torch.Zeros(3, 4), 0, 1, 1)).Message);
        Assert.Equal("matrix or a vector expected", Assert.Throws<ArgumentException>(() => Torch.Diag(Torch.Zeros(2, 2, 2))).Message);
        Assert.Equal("trace: expected a matrix, but got tensor with dim 3", Assert.Throws<ArgumentException>(() => Torch.Trace(Torch.Zeros(2, 2, 2))).Message);
        Assert.Equal(DType.Int64, Torch.Trace(Torch.Ones([2, 2], DType.Int32)).DType);
        Assert.Equal("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied",
            Assert.Throws<ArgumentException>(() => Torch.Unique(Torch.Zeros(2, 0), dim: 0)).Message);
        Assert.Equal("Number of zero sized dimensions is more than one, so unique cannot be applied ",
            Assert.Throws<ArgumentException>(() => Torch.Unique(Torch.Zeros(0, 0), dim: 0)).Message);
        Assert.Equal([0L, 3], Torch.Unique(Torch.Zeros(0, 3), dim: 0).Values.Shape);
        // A diagonal is a view: writing through it writes the matrix.
        var m = Torch.Zeros(3, 3);
        m.Diagonal().Fill_(1);
        Assert.Equal(Torch.Eye(3).ToArray<float>(), m.ToArray<float>());
        Assert.Equal("einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for operand 0 and no ellipsis was given",
            Assert.Throws<ArgumentException>(() => Torch.Einsum("ij->", Torch.Zeros(2, 3, 4))).Message);
        Assert.StartsWith("einsum(): operands do not broadcast",
            Assert.Throws<ArgumentException>(() => Torch.Einsum("ij,jk->ik", Torch.Zeros(2, 3), Torch.Zeros(4, 5))).Message);
    }

    [Fact]
    public void Pool_modules_take_height_width_pairs_and_print_as_pytorch()
    {
        var m = new MaxPool2d((3, 2), stride: (2, 1), padding: (1, 0));
        Assert.Equal("MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=1, ceil_mode=False)", m.ToString());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("AvgPool2d(kernel_size=(3, 2), stride=(3, 2), padding=0)", new AvgPool2d((3, 2)).ToString());
        Torch.ManualSeed(5);
        var x = Torch.Randn(1, 2, 7, 6);
        Assert.True(m.Forward(x).Equal(Torch.MaxPool2d(x, [3, 2], [2, 1], [1, 0])));
        Assert.True(new AvgPool2d((3, 2)).Forward(x).Equal(Torch.AvgPool2d(x, [3, 2], [3, 2])));
    }

    [Fact]
    public void Shaped_array_conversions_keep_row_major_order()
    {
        var t = Torch.Arange(24).Reshape(2, 3, 4);
        var a3 = t.ToArray3D<long>();
        Assert.Equal(23L, a3[1, 2, 3]);
        Assert.Equal(6L, a3[0, 1, 2]);
        var a2 = t[0].T.ToArray2D<float>();                       // non-contiguous source, converted dtype
        Assert.Equal(4f, a2[0, 1]);
        Assert.Equal(11f, a2[3, 2]);
        Assert.Equal(17L, t.Reshape(1, 2, 3, 4).ToArray4D<long>()[0, 1, 1, 1]);
        Assert.Throws<ArgumentException>(() => t.ToArray2D<long>());
    }
}
