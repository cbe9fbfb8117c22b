using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    // ---------- arithmetic ----------

    /// <summary>this + other (<c>add</c>), broadcasting and promoting as PyTorch.</summary>
    public Tensor Add(Tensor other)
    {
        var dt = ResultType(this, other);
        var r = BinaryRaw(dt == DType.Bool ? BinaryOp.LogicalOr : BinaryOp.Add, this, other, dt, dt);
        return Engine.Record(r, "AddBackward0", [this, other], g => [g, g]);
    }

    /// <summary>this + alpha × other (<c>add(other, alpha=…)</c>).</summary>
    public Tensor Add(Tensor other, double alpha) => alpha == 1 ? Add(other) : Add(other.Mul(alpha));

    /// <summary>this − other (<c>sub</c>).</summary>
    public Tensor Sub(Tensor other)
    {
        var dt = ResultType(this, other);
        if (dt == DType.Bool)
            throw new ArgumentException("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
        var r = BinaryRaw(BinaryOp.Sub, this, other, dt, dt);
        return Engine.Record(r, "SubBackward0", [this, other], g => [g, g.Neg()]);
    }

    /// <summary>this × other (<c>mul</c>).</summary>
    public Tensor Mul(Tensor other)
    {
        var dt = ResultType(this, other);
        var r = BinaryRaw(dt == DType.Bool ? BinaryOp.LogicalAnd : BinaryOp.Mul, this, other, dt, dt);
        var a = this;
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        return Engine.Record(r, "MulBackward0", [this, other], g => [
            ga ? g.Mul(other) : null,
            gb ? g.Mul(a) : null], saved: [gb ? a : null, ga ? other : null]);
    }

    /// <summary>
    /// this ÷ other (<c>div</c>): true division (integers promote to float) unless <paramref name="roundingMode"/>
    /// is <c>"floor"</c> or <c>"trunc"</c>.
    /// </summary>
    public Tensor Div(Tensor other, string? roundingMode = null)
    {
        var dt = ResultType(this, other);
        if (roundingMode is null)
        {
            if (!dt.IsFloatingPoint()) dt = Torch.DefaultDType;
            var r = BinaryRaw(BinaryOp.Div, this, other, dt, dt);
            var a = this;
            bool ga = RequiresGrad, gb = other.RequiresGrad;
            return Engine.Record(r, "DivBackward0", [this, other], g => [
                ga ? g.Div(other) : null,
                gb ? g.Neg().Mul(a).Div(other.Mul(other)) : null], saved: [gb ? a : null, other]);
        }
        if (roundingMode != "floor" && roundingMode != "trunc")
            throw new ArgumentException($"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{roundingMode}'");
        Tensor res;
        if (roundingMode == "floor") res = BinaryRaw(BinaryOp.FloorDiv, this, other, dt, dt);
        else if (dt.IsFloatingPoint())
        {
            var q = BinaryRaw(BinaryOp.Div, this, other, dt, dt);
            res = q.NewEmpty(q.shape);
            var neg = q.NewEmpty(q.shape);
            Backend.Unary(UnaryOp.Floor, q, res);
            Backend.Unary(UnaryOp.Ceil, q, neg);
            res = Torch.Where(q.Lt(0L), neg, res).Detach();
        }
        else
        {
            // Integer truncation: floor division adjusted toward zero.
            var f = BinaryRaw(BinaryOp.FloorDiv, this, other, dt, dt);
            var rem = BinaryRaw(BinaryOp.Remainder, this, other, dt, dt);
            var fix = rem.Ne(0L).LogicalAnd(this.Lt(0L).LogicalXor(other.Lt(0L)));
            res = f.Add(fix.To(dt)).Detach();
        }
        return Engine.Record(res, "DivBackward2", [this, other], g => [Torch.ZerosLike(g), Torch.ZerosLike(g)]);
    }

    /// <summary>floor(this ÷ other) (<c>floor_divide</c>).</summary>
    public Tensor FloorDivide(Tensor other) => Div(other, "floor");

    /// <summary>Python-style modulus with the sign of the divisor (<c>remainder</c>).</summary>
    public Tensor Remainder(Tensor other)
    {
        var dt = ResultType(this, other);
        var r = BinaryRaw(BinaryOp.Remainder, this, other, dt, dt);
        var a = this;
        bool gb = other.RequiresGrad;
        return Engine.Record(r, "RemainderBackward1", [this, other], g => [g, gb ? g.Neg().Mul(a.Div(other, "floor")) : null],
            saved: [gb ? a : null, gb ? other : null]);
    }

    /// <summary>this ^ exponent, elementwise (<c>pow(Tensor)</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        var dt = ResultType(this, exponent);
        var r = BinaryRaw(BinaryOp.Pow, this, exponent, dt, dt);
        var a = this;
        bool ga = RequiresGrad, gb = exponent.RequiresGrad;
        return Engine.Record(r, "PowBackward1", [this, exponent], g => [
            ga ? Torch.Where(exponent.Eq(0.0), Torch.ZerosLike(g), g.Mul(exponent).Mul(a.Pow(exponent.Sub(Wrap(1.0, exponent.Device))))) : null,
            gb ? Torch.Where(a.Eq(0.0).LogicalAnd(exponent.Ge(0.0)), Torch.ZerosLike(g), g.Mul(r).Mul(a.Log())) : null],
            saved: [a, exponent, gb ? r : null]);
    }

    /// <summary>this ^ exponent for a scalar exponent (<c>pow(float)</c>).</summary>
    public Tensor Pow(double exponent)
    {
        // A floating tensor keeps its dtype against a Python number; only integer tensors need the wrapped scalar's rules.
        var dt = DType;
        if (!DType.IsFloatingPoint())
        {
            var w = Wrap(exponent, Device);
            if (exponent == Math.Floor(exponent) && Math.Abs(exponent) < long.MaxValue) w = Wrap((long)exponent, Device);
            dt = ResultType(this, w);
        }
        var x = DType == dt ? this : ToDTypeRaw(dt);
        var r = x.NewOutput(shape);
        Backend.Unary(UnaryOp.PowScalar, x, r, exponent);
        var a = this;
        return Engine.Record(r, "PowBackward0", [this], g => [
            exponent == 0 ? Torch.ZerosLike(g) : g.Mul(a.Pow(exponent - 1).Mul(exponent))], saved: [a]);
    }

    /// <summary>baseValue ^ this (<c>torch.pow(Scalar, Tensor)</c>).</summary>
    public Tensor RPow(double baseValue)
    {
        var x = AsFloating();
        var r = x.NewEmpty(shape);
        Backend.Unary(UnaryOp.ScalarPow, x, r, baseValue);
        return Engine.Record(r, "PowBackward1", [this], g => [g.Mul(r).Mul(Math.Log(baseValue))], saved: [r]);
    }

    /// <summary>
    /// The angle of the point (other, this) in radians, elementwise and broadcasting (<c>atan2</c>); integer inputs give
    /// the default float dtype. Gradients: grad·other/(this² + other²) and −grad·this/(this² + other²).
    /// </summary>
    public Tensor Atan2(Tensor other)
    {
        var dt = ResultType(this, other);
        if (!dt.IsFloatingPoint()) dt = Torch.DefaultDType;
        var r = BinaryRaw(BinaryOp.Atan2, this, other, dt, dt);
        var a = this;
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        return Engine.Record(r, "Atan2Backward0", [this, other], g =>
        {
            var recip = a.Mul(a).Add(other.Mul(other)).Reciprocal();
            return [ga ? g.Mul(other).Mul(recip) : null, gb ? g.Neg().Mul(a).Mul(recip) : null];
        }, saved: [a, other]);
    }

    /// <summary>Elementwise maximum, NaN propagating (<c>maximum</c>).</summary>
    public Tensor Maximum(Tensor other) => MinMax(other, BinaryOp.Maximum, "MaximumBackward0");

    /// <summary>Elementwise minimum, NaN propagating (<c>minimum</c>).</summary>
    public Tensor Minimum(Tensor other) => MinMax(other, BinaryOp.Minimum, "MinimumBackward0");

    Tensor MinMax(Tensor other, BinaryOp op, string name)
    {
        var dt = ResultType(this, other);
        var r = BinaryRaw(op, this, other, dt, dt);
        var a = this;
        bool max = op == BinaryOp.Maximum;
        return Engine.Record(r, name, [this, other], g =>
        {
            // derivatives.yaml: where(self == other, grad / 2, grad), zeroed only where the operand strictly loses, so
            // with a NaN on either side (no comparison holds) both operands receive the full gradient.
            var shared = Torch.Where(a.Eq(other), g.Div(2.0), g);
            var zero = Torch.ZerosLike(g);
            var aLoses = max ? a.Lt(other) : a.Gt(other);
            var bLoses = max ? a.Gt(other) : a.Lt(other);
            return [Torch.Where(aLoses, zero, shared), Torch.Where(bLoses, zero, shared)];
        }, saved: [a, other]);
    }

    // ---------- unary ----------

    /// <summary>Which tensor a unary op's gradient reads (and autograd saves): the input, the result, or neither.</summary>
    internal enum Saves { None, Self, Result }

    Tensor UnaryFloat(UnaryOp op, string name, Saves saves, Func<Tensor, Tensor, Tensor, Tensor> grad, double a = 0, double b = 0)
    {
        var x = AsFloating();
        var r = x.NewOutput(shape);
        Backend.Unary(op, x, r, a, b);
        return Engine.Record(r, name, [this], g => [grad(g, x, r)], saved: SavedFor(saves, x, r));
    }

    Tensor UnarySameType(UnaryOp op, string name, Saves saves, Func<Tensor, Tensor, Tensor, Tensor> grad, double a = 0, double b = 0)
    {
        var r = NewOutput(shape);
        Backend.Unary(op, this, r, a, b);
        var x = this;
        return Engine.Record(r, name, [this], g => [grad(g, x, r)], saved: SavedFor(saves, x, r));
    }

    static Tensor[]? SavedFor(Saves saves, Tensor x, Tensor r) => saves switch { Saves.Self => [x], Saves.Result => [r], _ => null };

    /// <summary>−this (<c>neg</c>).</summary>
    public Tensor Neg()
    {
        if (DType == DType.Bool)
            throw new ArgumentException("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        return UnarySameType(UnaryOp.Neg, "NegBackward0", Saves.None, (g, _, _) => g.Neg());
    }

    /// <summary>e^this (<c>exp</c>).</summary>
    public Tensor Exp() => UnaryFloat(UnaryOp.Exp, "ExpBackward0", Saves.Result, (g, _, r) => g.Mul(r));

    /// <summary>Natural logarithm (<c>log</c>).</summary>
    public Tensor Log() => UnaryFloat(UnaryOp.Log, "LogBackward0", Saves.Self, (g, x, _) => g.Div(x));

    /// <summary>ln(1 + this) (<c>log1p</c>).</summary>
    public Tensor Log1p() => UnaryFloat(UnaryOp.Log1p, "Log1PBackward0", Saves.Self, (g, x, _) => g.Div(x.Add(1.0)));

    /// <summary>Square root (<c>sqrt</c>).</summary>
    public Tensor Sqrt() => UnaryFloat(UnaryOp.Sqrt, "SqrtBackward0", Saves.Result, (g, _, r) => g.Div(r.Mul(2.0)));

    /// <summary>1/√this (<c>rsqrt</c>).</summary>
    public Tensor Rsqrt() => UnaryFloat(UnaryOp.Rsqrt, "RsqrtBackward0", Saves.Result, (g, _, r) => g.Mul(r.Pow(3)).Mul(-0.5));

    /// <summary>Absolute value (<c>abs</c>).</summary>
    public Tensor Abs() => UnarySameType(UnaryOp.Abs, "AbsBackward0", Saves.Self, (g, x, _) => g.Mul(x.Sign()));

    /// <summary>−1, 0 or 1 by sign (<c>sign</c>); its gradient is zero.</summary>
    public Tensor Sign() => UnarySameType(UnaryOp.Sign, "SignBackward0", Saves.None, (g, _, _) => Torch.ZerosLike(g));

    /// <summary>Sine (<c>sin</c>).</summary>
    public Tensor Sin() => UnaryFloat(UnaryOp.Sin, "SinBackward0", Saves.Self, (g, x, _) => g.Mul(x.Cos()));

    /// <summary>Cosine (<c>cos</c>).</summary>
    public Tensor Cos() => UnaryFloat(UnaryOp.Cos, "CosBackward0", Saves.Self, (g, x, _) => g.Mul(x.Sin()).Neg());

    /// <summary>Hyperbolic tangent (<c>tanh</c>).</summary>
    public Tensor Tanh() => UnaryFloat(UnaryOp.Tanh, "TanhBackward0", Saves.Result, (g, _, r) => g.Mul(Wrap(1.0, r.Device).Sub(r.Mul(r))));

    /// <summary>Logistic sigmoid (<c>sigmoid</c>).</summary>
    public Tensor Sigmoid() => UnaryFloat(UnaryOp.Sigmoid, "SigmoidBackward0", Saves.Result, (g, _, r) => g.Mul(r).Mul(Wrap(1.0, r.Device).Sub(r)));

    /// <summary>max(this, 0) (<c>relu</c>).</summary>
    public Tensor Relu() => UnarySameType(UnaryOp.Relu, "ReluBackward0", Saves.Result, (g, _, r) => MaskedGrad(g, r, 0, double.NaN, lowerExclusive: true));

    /// <summary>Clamps into [min, max]; either bound may be null (<c>clamp</c>).</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        double lo = min ?? double.NaN, hi = max ?? double.NaN;
        return UnarySameType(UnaryOp.Clamp, "ClampBackward1", Saves.Self, (g, x, _) => MaskedGrad(g, x, lo, hi, lowerExclusive: false), lo, hi);
    }

    /// <summary>
    /// hardtanh's gradient, (min &lt; x &lt; max) ? g : 0 (ATen's hardtanh_backward; NaN gets 0), as one fused pass: the
    /// strict bounds become inclusive ones a step inside in the tensor's own precision (the bounds are compared as
    /// the tensor's type, as ATen does). Composed from comparisons for the reduced-precision types.
    /// </summary>
    internal static Tensor HardtanhGrad(Tensor g, Tensor x, double min, double max)
    {
        if (g.DType == DType.Float32 && x.DType == DType.Float32)
            return MaskedGrad(g, x, MathF.BitIncrement((float)min), MathF.BitDecrement((float)max), lowerExclusive: false);
        if (g.DType == DType.Float64 && x.DType == DType.Float64)
            return MaskedGrad(g, x, Math.BitIncrement(min), Math.BitDecrement(max), lowerExclusive: false);
        return g.Mul(x.Gt(min).LogicalAnd(x.Lt(max)).To(g.DType));
    }

    /// <summary>(lo ≤ x ≤ hi) ? g : 0 in one fused pass (lo &lt; x when <paramref name="lowerExclusive"/>).</summary>
    static Tensor MaskedGrad(Tensor g, Tensor x, double lo, double hi, bool lowerExclusive)
    {
        var shape = BroadcastShapes(g.shape, x.shape);
        var xc = x.DType == g.DType ? x : x.ToDTypeRaw(g.DType);
        var r = Output(shape, g.DType, g.Device);
        g.Backend.MaskedGrad(g.ExpandRaw(shape), xc.ExpandRaw(shape), lo, hi, lowerExclusive, r);
        return r;
    }

    /// <summary>x² (<c>square</c>).</summary>
    public Tensor Square() => Pow(2);

    /// <summary>1/x (<c>reciprocal</c>).</summary>
    public Tensor Reciprocal() => UnaryFloat(UnaryOp.Reciprocal, "ReciprocalBackward0", Saves.Result, (g, _, r) => g.Mul(r.Mul(r)).Neg());

    /// <summary>Rounds down (<c>floor</c>); gradient zero.</summary>
    public Tensor Floor() => UnarySameType(UnaryOp.Floor, "FloorBackward0", Saves.None, (g, _, _) => Torch.ZerosLike(g));

    /// <summary>Rounds up (<c>ceil</c>); gradient zero.</summary>
    public Tensor Ceil() => UnarySameType(UnaryOp.Ceil, "CeilBackward0", Saves.None, (g, _, _) => Torch.ZerosLike(g));

    // ---------- comparisons and logic (no gradient) ----------

    Tensor Compare(BinaryOp op, Tensor other) => BinaryRaw(op, this, other, ResultType(this, other), DType.Bool);

    /// <summary>this == other → bool (<c>eq</c>).</summary>
    public Tensor Eq(Tensor other) => Compare(BinaryOp.Eq, other);
    /// <summary>this != other → bool (<c>ne</c>).</summary>
    public Tensor Ne(Tensor other) => Compare(BinaryOp.Ne, other);
    /// <summary>this &lt; other → bool (<c>lt</c>).</summary>
    public Tensor Lt(Tensor other) => Compare(BinaryOp.Lt, other);
    /// <summary>this &lt;= other → bool (<c>le</c>).</summary>
    public Tensor Le(Tensor other) => Compare(BinaryOp.Le, other);
    /// <summary>this &gt; other → bool (<c>gt</c>).</summary>
    public Tensor Gt(Tensor other) => Compare(BinaryOp.Gt, other);
    /// <summary>this &gt;= other → bool (<c>ge</c>).</summary>
    public Tensor Ge(Tensor other) => Compare(BinaryOp.Ge, other);
    /// <summary><c>eq</c> with a scalar.</summary>
    public Tensor Eq(double other) => Eq(Wrap(other, Device));
    /// <summary><c>ne</c> with a scalar.</summary>
    public Tensor Ne(double other) => Ne(Wrap(other, Device));
    /// <summary><c>lt</c> with a scalar.</summary>
    public Tensor Lt(double other) => Lt(Wrap(other, Device));
    /// <summary><c>le</c> with a scalar.</summary>
    public Tensor Le(double other) => Le(Wrap(other, Device));
    /// <summary><c>gt</c> with a scalar.</summary>
    public Tensor Gt(double other) => Gt(Wrap(other, Device));
    /// <summary><c>ge</c> with a scalar.</summary>
    public Tensor Ge(double other) => Ge(Wrap(other, Device));
    /// <summary><c>eq</c> with an integer scalar.</summary>
    public Tensor Eq(long other) => Eq(Wrap(other, Device));
    /// <summary><c>ne</c> with an integer scalar.</summary>
    public Tensor Ne(long other) => Ne(Wrap(other, Device));
    /// <summary><c>lt</c> with an integer scalar.</summary>
    public Tensor Lt(long other) => Lt(Wrap(other, Device));
    /// <summary><c>le</c> with an integer scalar.</summary>
    public Tensor Le(long other) => Le(Wrap(other, Device));
    /// <summary><c>gt</c> with an integer scalar.</summary>
    public Tensor Gt(long other) => Gt(Wrap(other, Device));
    /// <summary><c>ge</c> with an integer scalar.</summary>
    public Tensor Ge(long other) => Ge(Wrap(other, Device));

    /// <summary>Elementwise logical and → bool (<c>logical_and</c>).</summary>
    public Tensor LogicalAnd(Tensor other) => Compare(BinaryOp.LogicalAnd, other);
    /// <summary>Elementwise logical or → bool (<c>logical_or</c>).</summary>
    public Tensor LogicalOr(Tensor other) => Compare(BinaryOp.LogicalOr, other);
    /// <summary>Elementwise logical xor → bool (<c>logical_xor</c>).</summary>
    public Tensor LogicalXor(Tensor other) => Compare(BinaryOp.LogicalXor, other);

    /// <summary>Elementwise logical not → bool (<c>logical_not</c>).</summary>
    public Tensor LogicalNot()
    {
        var r = NewEmpty(shape, DType.Bool);
        Backend.Unary(UnaryOp.LogicalNot, this, r);
        return r;
    }

    /// <summary>True where NaN (<c>isnan</c>).</summary>
    public Tensor IsNan()
    {
        var r = NewEmpty(shape, DType.Bool);
        Backend.Unary(UnaryOp.IsNan, this, r);
        return r;
    }

    /// <summary>True where finite (<c>isfinite</c>).</summary>
    public Tensor IsFinite()
    {
        var r = NewEmpty(shape, DType.Bool);
        Backend.Unary(UnaryOp.IsFinite, this, r);
        return r;
    }

    /// <summary>True when shapes and all elements are equal (<c>torch.equal</c>).</summary>
    public bool Equal(Tensor other) => shape.SequenceEqual(other.shape) && Eq(other).LogicalNot().Sum().Item<long>() == 0;

    /// <summary>
    /// True where this and <paramref name="other"/> are close: |a − b| ≤ atol + rtol·|b|, equal infinities, and NaN with NaN
    /// when <paramref name="equalNan"/> (<c>torch.isclose</c>; both must have one dtype).
    /// </summary>
    public Tensor Isclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (DType != other.DType)
            throw new ArgumentException($"{DType.ScalarTypeName()} did not match {other.DType.ScalarTypeName()}");
        if (rtol < 0) throw new ArgumentException($"rtol must be greater than or equal to zero, but got {rtol}");
        if (atol < 0) throw new ArgumentException($"atol must be greater than or equal to zero, but got {atol}");
        using var _ = Torch.NoGrad();
        var close = Eq(other);
        if (equalNan && DType.IsFloatingPoint()) close = close.LogicalOr(IsNan().LogicalAnd(other.IsNan()));
        if (!DType.IsFloatingPoint() || (rtol == 0 && atol == 0)) return close;
        // ATen: allowed = atol + |rtol * other|; finite differences within it are close (infinities only by equality).
        var diff = Sub(other).Abs();
        var allowed = other.Mul(rtol).Abs().Add(atol);
        return close.LogicalOr(diff.IsFinite().LogicalAnd(diff.Le(allowed)));
    }

    /// <summary>True when every element is close (<c>torch.allclose</c>; see <see cref="Isclose"/>).</summary>
    public bool Allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        !Isclose(other, rtol, atol, equalNan).LogicalNot().Any().Item<bool>();

    /// <summary>True (a bool scalar) when every element is non-zero (<c>torch.all</c>).</summary>
    public Tensor All()
    {
        using var _ = Torch.NoGrad();
        return LogicalNot().Sum().Eq(0L);
    }

    /// <summary>Whether all elements along <paramref name="dim"/> are non-zero, as bool (<c>torch.all(input, dim, keepdim)</c>).</summary>
    public Tensor All(int dim, bool keepdim = false)
    {
        using var _ = Torch.NoGrad();
        return LogicalNot().Sum(dim, keepdim).Eq(0L);
    }

    /// <summary>True (a bool scalar) when any element is non-zero (<c>torch.any</c>).</summary>
    public Tensor Any()
    {
        using var _ = Torch.NoGrad();
        return Ne(0L).Sum().Gt(0L);
    }

    /// <summary>Whether any element along <paramref name="dim"/> is non-zero, as bool (<c>torch.any(input, dim, keepdim)</c>).</summary>
    public Tensor Any(int dim, bool keepdim = false)
    {
        using var _ = Torch.NoGrad();
        return Ne(0L).Sum(dim, keepdim).Gt(0L);
    }

    // ---------- scalar overloads ----------

    /// <summary><c>add</c> with a scalar.</summary>
    public Tensor Add(double other) => Add(Wrap(other, Device));
    /// <summary><c>sub</c> with a scalar.</summary>
    public Tensor Sub(double other) => Sub(Wrap(other, Device));
    /// <summary><c>mul</c> with a scalar.</summary>
    public Tensor Mul(double other) => Mul(Wrap(other, Device));
    /// <summary><c>div</c> with a scalar.</summary>
    public Tensor Div(double other) => Div(Wrap(other, Device));
    /// <summary><c>add</c> with an integer scalar.</summary>
    public Tensor Add(long other) => Add(Wrap(other, Device));
    /// <summary><c>sub</c> with an integer scalar.</summary>
    public Tensor Sub(long other) => Sub(Wrap(other, Device));
    /// <summary><c>mul</c> with an integer scalar.</summary>
    public Tensor Mul(long other) => Mul(Wrap(other, Device));
    /// <summary><c>div</c> with an integer scalar.</summary>
    public Tensor Div(long other) => Div(Wrap(other, Device));

    /// <summary>scalar − tensor (<c>rsub</c>).</summary>
    public Tensor RSub(double other) => RSub(Wrap(other, Device));

    Tensor RSub(Tensor wrapped)
    {
        var dt = ResultType(this, wrapped);
        var r = BinaryRaw(BinaryOp.Sub, wrapped, this, dt, dt);
        return Engine.Record(r, "RsubBackward1", [this], g => [g.Neg()]);
    }

    // ---------- operators ----------

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>Elementwise true division with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>Python-style remainder.</summary>
    public static Tensor operator %(Tensor a, Tensor b) => a.Remainder(b);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>tensor + scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    /// <summary>scalar + tensor.</summary>
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    /// <summary>tensor − scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    /// <summary>scalar − tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => b.RSub(a);
    /// <summary>tensor × scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    /// <summary>scalar × tensor.</summary>
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    /// <summary>tensor ÷ scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    /// <summary>scalar ÷ tensor: reciprocal times the scalar, as PyTorch's <c>__rtruediv__</c>.</summary>
    public static Tensor operator /(double a, Tensor b) => b.Reciprocal().Mul(a);
    /// <summary>tensor + integer.</summary>
    public static Tensor operator +(Tensor a, long b) => a.Add(b);
    /// <summary>integer + tensor.</summary>
    public static Tensor operator +(long a, Tensor b) => b.Add(a);
    /// <summary>tensor − integer.</summary>
    public static Tensor operator -(Tensor a, long b) => a.Sub(b);
    /// <summary>integer − tensor.</summary>
    public static Tensor operator -(long a, Tensor b) => b.RSub(Wrap(a, b.Device));
    /// <summary>tensor × integer.</summary>
    public static Tensor operator *(Tensor a, long b) => a.Mul(b);
    /// <summary>integer × tensor.</summary>
    public static Tensor operator *(long a, Tensor b) => b.Mul(a);
    /// <summary>tensor ÷ integer (true division).</summary>
    public static Tensor operator /(Tensor a, long b) => a.Div(b);
    /// <summary>integer ÷ tensor.</summary>
    public static Tensor operator /(long a, Tensor b) => b.Reciprocal().Mul(a);
    /// <summary>Logical not of a bool tensor (bitwise not is not provided).</summary>
    public static Tensor operator !(Tensor a) => a.LogicalNot();
    /// <summary>Logical and.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    /// <summary>Logical or.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    /// <summary>Logical xor.</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => a.LogicalXor(b);
}

public partial class Tensor
{
    /// <summary>
    /// this·log(other), 0 where this is 0 and other is not NaN (<c>xlogy</c>); gradients as derivatives.yaml:
    /// grad·log(other) (0 where this = 0 and other ≤ 0) and grad·this/other.
    /// </summary>
    public Tensor Xlogy(Tensor other)
    {
        var dt = ResultType(this, other);
        if (!dt.IsFloatingPoint()) dt = DType.Float32;
        Tensor x = To(dt), y = other.To(dt), r;
        using (Torch.NoGrad()) r = Torch.Where(x.Eq(0.0).LogicalAnd(y.IsNan().LogicalNot()), Torch.ZerosLike(x.Mul(y)), x.Mul(y.Log()));
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        return Engine.Record(r, "XlogyBackward0", [this, other], g => [
            ga ? Torch.Where(x.Eq(0.0).LogicalAnd(y.Le(0.0)), Torch.ZerosLike(g), g.Mul(y.Log())) : null,
            gb ? g.Mul(x).Div(y) : null], saved: [x, y]);
    }
}

public static partial class Torch
{
    /// <summary>The angle of (other, input), elementwise (<c>torch.atan2</c>).</summary>
    public static Ignis.Tensor Atan2(Ignis.Tensor input, Ignis.Tensor other) => input.Atan2(other);

    /// <summary>input·log(other) with 0·log(anything but NaN) = 0 (<c>torch.xlogy</c>).</summary>
    public static Ignis.Tensor Xlogy(Ignis.Tensor input, Ignis.Tensor other) => input.Xlogy(other);
}
