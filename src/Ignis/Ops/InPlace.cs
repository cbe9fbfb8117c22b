using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    static bool CanCast(DType from, DType to) => from.Category() <= to.Category();

    Tensor InPlaceBinary(BinaryOp op, Tensor other, DType? computeOverride = null)
    {
        var dt = computeOverride ?? ResultType(this, other);
        if (!CanCast(dt, DType))
            throw new ArgumentException($"result type {dt.ScalarTypeName()} can't be cast to the desired output type {DType.ScalarTypeName()}");
        var bshape = BroadcastShapes(shape, other.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        return InPlace(other, () =>
        {
            if (dt == DType && other.wrappedScalar is { } s)
            {
                Backend.BinaryScalar(op, this, s, this, scalarFirst: false);
                return;
            }
            var (_, o) = SameDeviceOperands(this, other);
            if (dt == DType)
            {
                if (o.DType != dt) o = o.ToDTypeRaw(dt);
                Backend.Binary(op, this, o.ExpandRaw(shape), this);
            }
            else CopyFrom(BinaryRaw(op, this, o, dt, dt));
        }, self => op switch
        {
            BinaryOp.Add => self.Add(other),
            BinaryOp.Sub => self.Sub(other),
            BinaryOp.Mul => self.Mul(other),
            BinaryOp.Div => self.Div(other),
            _ => throw new NotSupportedException($"in-place {op} on a tensor that requires grad"),
        });
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
    public Tensor Fill_(double value) => FillCore(value, "FillBackward2");

    /// <summary>Fills with zeros (<c>zero_</c>).</summary>
    public Tensor Zero_() => FillCore(0, "ZeroBackward0");

    Tensor FillCore(double value, string name) => InPlace(null, () => Backend.Fill(this, value),
        self => Engine.Record(Torch.Full(shape, value, DType, Device), name, [self], g => [Torch.ZerosLike(g)]));

    /// <summary>Copies values from <paramref name="src"/>, broadcasting and converting dtype (<c>copy_</c>).</summary>
    public Tensor Copy_(Tensor src)
    {
        var bshape = BroadcastShapes(shape, src.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        return InPlace(src, () => CopyFrom(src), self => CopiedFrom(self, src));
    }

    /// <summary>copy_'s value as a recorded op: the source broadcast and converted to this tensor's dtype (<c>CopyBackwards</c>).</summary>
    static Tensor CopiedFrom(Tensor self, Tensor src)
    {
        var r = self.NewOutput(self.shape);
        r.CopyFrom(src);
        return Engine.Record(r, "CopyBackwards", [self, src], g => [Torch.ZerosLike(g), g]);
    }

    /// <summary>Clamps in place (<c>clamp_</c>).</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        return InPlace(null, () => Backend.Unary(UnaryOp.Clamp, this, this, min ?? double.NaN, max ?? double.NaN), self => self.Clamp(min, max));
    }

    /// <summary>Sets elements where <paramref name="mask"/> is true (<c>masked_fill_</c>).</summary>
    public Tensor MaskedFill_(Tensor mask, double value)
    {
        CheckMask(mask, "masked_fill_");
        var bshape = BroadcastShapes(shape, mask.shape);
        if (!bshape.SequenceEqual(shape))
            throw new ArgumentException($"output with shape {ShapeStr(shape)} doesn't match the broadcast shape {ShapeStr(bshape)}");
        return InPlace(null, () =>
        {
            var v = Torch.Full([], value, DType, Device);
            Backend.Where(mask.ExpandRaw(shape), v.ExpandRaw(shape), this, this);
        }, self => self.MaskedFill(mask, value));
    }

    void CheckMask(Tensor mask, string op)
    {
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"{op} only supports boolean masks, but got mask with dtype {mask.DType.ScalarTypeName().ToLowerInvariant() switch { "float" => "float", "long" => "long int", var s => s }}");
        CheckSameDevice(this, mask);
    }
}

// In-place forms of the unary ops (exp_, relu_, …): written into this tensor's elements; on a tensor in the graph they
// are recorded as the out-of-place op (PyTorch's grad_fn names) and this tensor takes that history.
public partial class Tensor
{
    Tensor UnaryInPlace(UnaryOp op, bool floatingOnly, Func<Tensor, Tensor> outOfPlace)
    {
        if (floatingOnly && !DType.IsFloatingPoint())
            throw new ArgumentException($"result type {Torch.DefaultDType.ScalarTypeName()} can't be cast to the desired output type {DType.ScalarTypeName()}");
        return InPlace(null, () => Backend.Unary(op, this, this), outOfPlace);
    }

    /// <summary>e^x in place (<c>exp_</c>).</summary>
    public Tensor Exp_() => UnaryInPlace(UnaryOp.Exp, true, t => t.Exp());

    /// <summary>Natural logarithm in place (<c>log_</c>).</summary>
    public Tensor Log_() => UnaryInPlace(UnaryOp.Log, true, t => t.Log());

    /// <summary>Square root in place (<c>sqrt_</c>).</summary>
    public Tensor Sqrt_() => UnaryInPlace(UnaryOp.Sqrt, true, t => t.Sqrt());

    /// <summary>Sine in place (<c>sin_</c>).</summary>
    public Tensor Sin_() => UnaryInPlace(UnaryOp.Sin, true, t => t.Sin());

    /// <summary>Cosine in place (<c>cos_</c>).</summary>
    public Tensor Cos_() => UnaryInPlace(UnaryOp.Cos, true, t => t.Cos());

    /// <summary>Hyperbolic tangent in place (<c>tanh_</c>).</summary>
    public Tensor Tanh_() => UnaryInPlace(UnaryOp.Tanh, true, t => t.Tanh());

    /// <summary>Logistic sigmoid in place (<c>sigmoid_</c>).</summary>
    public Tensor Sigmoid_() => UnaryInPlace(UnaryOp.Sigmoid, true, t => t.Sigmoid());

    /// <summary>max(x, 0) in place (<c>relu_</c>, what <c>nn.ReLU(inplace=True)</c> calls).</summary>
    public Tensor Relu_() => UnaryInPlace(UnaryOp.Relu, false, t => t.Relu());

    /// <summary>−x in place (<c>neg_</c>).</summary>
    public Tensor Neg_() => UnaryInPlace(UnaryOp.Neg, false, t => t.Neg());

    /// <summary>|x| in place (<c>abs_</c>).</summary>
    public Tensor Abs_() => UnaryInPlace(UnaryOp.Abs, false, t => t.Abs());

    /// <summary>x^exponent in place (<c>pow_(float)</c>).</summary>
    public Tensor Pow_(double exponent)
    {
        if (!DType.IsFloatingPoint() && exponent != Math.Floor(exponent))
            throw new ArgumentException($"result type {Torch.DefaultDType.ScalarTypeName()} can't be cast to the desired output type {DType.ScalarTypeName()}");
        // pow's kernels handle integer tensors and scalar promotion; the result is written back in this dtype.
        return InPlace(null, () => { using (Torch.NoGrad()) CopyFrom(Pow(exponent)); }, t => t.Pow(exponent));
    }
}
