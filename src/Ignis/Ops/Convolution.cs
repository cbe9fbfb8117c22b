using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

// Op family: convolution (torch.conv2d / F.conv2d / nn.Conv2d): checks, forward, gradients and the op record.
public static partial class Torch
{
    static (int, int) Pair(int[] v, string name) => v.Length switch
    {
        1 => (v[0], v[0]),
        2 => (v[0], v[1]),
        _ => throw new ArgumentException($"{name} must be an int or a pair of ints, got {v.Length} values"),
    };

    /// <summary>
    /// 2-D convolution (<c>torch.conv2d</c> / <c>F.conv2d</c>) of [N, Cin, H, W] (or unbatched [Cin, H, W]) input with
    /// [Cout, Cin/groups, KH, KW] weight. Sizes given as one value apply to both dimensions.
    /// </summary>
    public static Ignis.Tensor Conv2d(Ignis.Tensor input, Ignis.Tensor weight, Ignis.Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1)
    {
        bool unbatched = input.Dim == 3;
        if (input.Dim != 4 && !unbatched)
            throw new ArgumentException($"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {Ignis.Tensor.ShapeStr(input.shape)}");
        var x = unbatched ? input.Unsqueeze(0) : input;
        if (weight.Dim != 4) throw new ArgumentException($"weight should have 4 dimensions, got {weight.Dim}");
        if (groups < 1) throw new ArgumentException("non-positive groups is not supported");
        var (sh, sw) = Pair(stride ?? [1], "stride");
        var (ph, pw) = Pair(padding ?? [0], "padding");
        var (dh, dw) = Pair(dilation ?? [1], "dilation");
        if (sh < 1 || sw < 1) throw new ArgumentException("non-positive stride is not supported");
        if (ph < 0 || pw < 0) throw new ArgumentException("negative padding is not supported");
        if (dh < 1 || dw < 1) throw new ArgumentException("dilation should be greater than zero");
        long cin = x.shape[1], cout = weight.shape[0];
        if (cin != weight.shape[1] * groups)
            throw new ArgumentException($"Given groups={groups}, weight of size {Ignis.Tensor.ShapeStr(weight.shape)}, expected input{Ignis.Tensor.ShapeStr(x.shape)} to have {weight.shape[1] * groups} channels, but got {cin} channels instead");
        if (cout % groups != 0) throw new ArgumentException($"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {Ignis.Tensor.ShapeStr(weight.shape)} instead");
        if (bias is not null && (bias.Dim != 1 || bias.shape[0] != cout))
            throw new ArgumentException($"Given weight of size {Ignis.Tensor.ShapeStr(weight.shape)}, expected bias to be 1-dimensional with {cout} elements, but got bias of size {Ignis.Tensor.ShapeStr(bias.shape)} instead");
        if (x.DType != weight.DType || (bias is not null && bias.DType != x.DType))
            throw new ArgumentException($"expected scalar type {x.DType.ScalarTypeName()} but found {(x.DType != weight.DType ? weight : bias!).DType.ScalarTypeName()}");
        var g = new Conv2dGeometry(sh, sw, ph, pw, dh, dw, groups);
        long oh = Conv2dGeometry.OutSize(x.shape[2], weight.shape[2], sh, ph, dh), ow = Conv2dGeometry.OutSize(x.shape[3], weight.shape[3], sw, pw, dw);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"Calculated output size: ({cout}x{oh}x{ow}). Output size is too small");
        var xc = x.ContiguousRaw();
        var wc = weight.ContiguousRaw();
        var bc = bias?.ContiguousRaw();
        var output = Ignis.Tensor.Output([x.shape[0], cout, oh, ow], x.DType, x.Device);
        x.Backend.Conv2d(xc, wc, bc, g, output);
        Ignis.Tensor?[] Backward(Ignis.Tensor gy)
        {
            // A contiguous copy of gy (the expanded ones of a sum, a transposed gradient) is this function's own: its
            // block goes back to the allocator at once instead of waiting for a collection.
            using var gyc = gy.ContiguousTemporary();
            Ignis.Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad)
            {
                gx = Ignis.Tensor.Output(xc.shape, xc.DType, xc.Device);
                x.Backend.Conv2dBackwardInput(gyc.Tensor, wc, g, gx);
            }
            if (weight.RequiresGrad)
            {
                gw = Ignis.Tensor.Output(wc.shape, wc.DType, wc.Device);
                x.Backend.Conv2dBackwardWeight(gyc.Tensor, xc, g, gw);
            }
            if (bias is { RequiresGrad: true }) gb = gy.Sum([0, 2, 3]);
            return bias is null ? [gx, gw] : [gx, gw, gb];
        }
        var r = Engine.Record(output, "ConvolutionBackward0", bias is null ? [x, weight] : [x, weight, bias], Backward,
            Engine.Attrs(("stride", new[] { sh, sw }), ("padding", new[] { ph, pw }), ("dilation", new[] { dh, dw }), ("groups", groups)), saved: [x, weight]);
        return unbatched ? r.Squeeze(0) : r;
    }
}
