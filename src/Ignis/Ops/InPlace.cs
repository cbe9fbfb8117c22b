using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    /// <summary>In-place updates are for no-grad work (optimizer steps, initialisation); this guards the graph.</summary>
    internal void CheckInPlace(Tensor? other)
    {
        if (!GradMode.IsEnabled) return;
        if (RequiresGrad && IsLeaf)
            throw new InvalidOperationException("a leaf Variable that requires grad is being used in an in-place operation.");
        if (RequiresGrad || (other?.RequiresGrad ?? false))
            throw new NotSupportedException("In-place operations on tensors that take part in autograd are not supported; use the out-of-place form (e.g. Add instead of Add_) or run the update under Torch.NoGrad().");
    }

    static bool CanCast(DType from, DType to) => from.Category() <= to.Category();

    Tensor InPlaceBinary(BinaryOp op, Tensor other, DType? computeOverride = null)
    {
        CheckInPlace(other);
        var dt = computeOverride ?? ResultType(this, other);
        if (!CanCast(dt, DType))
            throw new ArgumentException($"result type {dt.ScalarTypeName()} can't be cast to the desired output type {DType.ScalarTypeName()}");
        var bshape = BroadcastShapes(shape, other.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        if (dt == DType && other.wrappedScalar is { } s)
        {
            Backend.BinaryScalar(op, this, s, this, scalarFirst: false);
            return this;
        }
        (_, other) = SameDeviceOperands(this, other);
        if (dt == DType)
        {
            var o = other.DType == dt ? other : other.ToDTypeRaw(dt);
            Backend.Binary(op, this, o.ExpandRaw(shape), this);
        }
        else CopyFrom(BinaryRaw(op, this, other, dt, dt));
        return this;
    }

    /// <summary>this += other (<c>add_</c>).</summary>
    public Tensor Add_(Tensor other) => InPlaceBinary(DType == DType.Bool ? BinaryOp.LogicalOr : BinaryOp.Add, other);

    /// <summary>this += alpha × other (<c>add_(other, alpha=…)</c>).</summary>
    public Tensor Add_(Tensor other, double alpha) => alpha == 1 ? Add_(other) : Add_(other.Mul(alpha));

    /// <summary>Adds an integer in place (keeps integer tensors integral).</summary>
    public Tensor Add_(long other) => Add_(Wrap(other, Device));

    /// <summary>this += scalar.</summary>
    public Tensor Add_(double other) => Add_(Wrap(other, Device));

    /// <summary>this −= other (<c>sub_</c>).</summary>
    public Tensor Sub_(Tensor other) => InPlaceBinary(BinaryOp.Sub, other);

    /// <summary>this −= scalar.</summary>
    public Tensor Sub_(double other) => Sub_(Wrap(other, Device));

    /// <summary>this ×= other (<c>mul_</c>).</summary>
    public Tensor Mul_(Tensor other) => InPlaceBinary(DType == DType.Bool ? BinaryOp.LogicalAnd : BinaryOp.Mul, other);

    /// <summary>this ×= scalar.</summary>
    public Tensor Mul_(double other) => Mul_(Wrap(other, Device));

    /// <summary>this ÷= other (<c>div_</c>); integer tensors cannot hold the float result.</summary>
    public Tensor Div_(Tensor other)
    {
        var dt = ResultType(this, other);
        return InPlaceBinary(BinaryOp.Div, other, dt.IsFloatingPoint() ? dt : Torch.DefaultDType);
    }

    /// <summary>this ÷= scalar.</summary>
    public Tensor Div_(double other) => Div_(Wrap(other, Device));

    /// <summary>Fills with a value (<c>fill_</c>).</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace(null);
        Backend.Fill(this, value);
        return this;
    }

    /// <summary>Fills with zeros (<c>zero_</c>).</summary>
    public Tensor Zero_() => Fill_(0);

    /// <summary>Copies values from <paramref name="src"/>, broadcasting and converting dtype (<c>copy_</c>).</summary>
    public Tensor Copy_(Tensor src)
    {
        CheckInPlace(src);
        var bshape = BroadcastShapes(shape, src.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        CopyFrom(src);
        return this;
    }

    /// <summary>Clamps in place (<c>clamp_</c>).</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        CheckInPlace(null);
        if (min is null && max is null) throw new ArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        Backend.Unary(UnaryOp.Clamp, this, this, min ?? double.NaN, max ?? double.NaN);
        return this;
    }

    /// <summary>Sets elements where <paramref name="mask"/> is true (<c>masked_fill_</c>).</summary>
    public Tensor MaskedFill_(Tensor mask, double value)
    {
        CheckInPlace(null);
        CheckMask(mask, "masked_fill_");
        var v = Torch.Full([], value, DType, Device);
        var bshape = BroadcastShapes(shape, mask.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        Backend.Where(mask.ExpandRaw(shape), v.ExpandRaw(shape), this, this);
        return this;
    }

    void CheckMask(Tensor mask, string op)
    {
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"{op} only supports boolean masks, but got mask with dtype {mask.DType.ScalarTypeName().ToLowerInvariant() switch { "float" => "float", "long" => "long int", var s => s }}");
        CheckSameDevice(this, mask);
    }
}
