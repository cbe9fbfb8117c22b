using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>An elementwise map with a scalar form and a contiguous-span form (vectorised where possible).</summary>
internal interface IUnaryKernel<T>
{
    T Apply(T x);
    void Apply(ReadOnlySpan<T> x, Span<T> y);
}

/// <summary>An elementwise map with only a scalar form.</summary>
internal interface IUnaryScalar<T>
{
    T Apply(T x);
}

/// <summary>A predicate written as a bool (byte) result.</summary>
internal interface IPredicate<T>
{
    bool Test(T x);
}

internal static class UnaryKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Map<T, TOp>(TOp op, TensorView x, TensorView dst) where TOp : struct, IUnaryKernel<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ys = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [x.strides, dst.strides], [x.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            if (s[0] == 1 && s[1] == 1)
            {
                op.Apply(xs.AsSpan((int)o[0], n), ys.AsSpan((int)o[1], n));
                return;
            }
            long xi = o[0], yi = o[1];
            for (int i = 0; i < n; i++, xi += s[0], yi += s[1]) ys[yi] = op.Apply(xs[xi]);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MapScalar<T, TOp>(TOp op, TensorView x, TensorView dst) where TOp : struct, IUnaryScalar<T>
    {
        T[] xs = CpuBackend.Data<T>(x), ys = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [x.strides, dst.strides], [x.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            long xi = o[0], yi = o[1];
            for (int i = 0; i < n; i++, xi += s[0], yi += s[1]) ys[yi] = op.Apply(xs[xi]);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Test<T, TOp>(TOp op, TensorView x, TensorView dst) where TOp : struct, IPredicate<T>
    {
        T[] xs = CpuBackend.Data<T>(x);
        byte[] ys = CpuBackend.Data<byte>(dst);
        StridedLoop.Run(dst.shape, [x.strides, dst.strides], [x.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            long xi = o[0], yi = o[1];
            for (int i = 0; i < n; i++, xi += s[0], yi += s[1]) ys[yi] = op.Test(xs[xi]) ? (byte)1 : (byte)0;
        });
    }

    public static void Float<T>(UnaryOp op, TensorView x, TensorView dst, double a, double b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T ta = T.CreateTruncating(a), tb = T.CreateTruncating(b);
        switch (op)
        {
            case UnaryOp.Neg: Map<T, Neg<T>>(default, x, dst); break;
            case UnaryOp.Abs: Map<T, Abs<T>>(default, x, dst); break;
            case UnaryOp.Sign: MapScalar<T, Sign<T>>(default, x, dst); break;
            case UnaryOp.Exp: Map<T, Exp<T>>(default, x, dst); break;
            case UnaryOp.Log: Map<T, Log<T>>(default, x, dst); break;
            case UnaryOp.Log1p: MapScalar<T, Log1p<T>>(default, x, dst); break;
            case UnaryOp.Sqrt: Map<T, Sqrt<T>>(default, x, dst); break;
            case UnaryOp.Rsqrt: Map<T, Rsqrt<T>>(default, x, dst); break;
            case UnaryOp.Sin: Map<T, Sin<T>>(default, x, dst); break;
            case UnaryOp.Cos: Map<T, Cos<T>>(default, x, dst); break;
            case UnaryOp.Tanh: Map<T, Tanh<T>>(default, x, dst); break;
            case UnaryOp.Sigmoid: Map<T, Sigmoid<T>>(default, x, dst); break;
            case UnaryOp.Relu: Map<T, ClampF<T>>(new(T.Zero, T.NaN), x, dst); break;
            case UnaryOp.Clamp: Map<T, ClampF<T>>(new(ta, tb), x, dst); break;
            case UnaryOp.Reciprocal: Map<T, Reciprocal<T>>(default, x, dst); break;
            case UnaryOp.Floor: Map<T, Floor<T>>(default, x, dst); break;
            case UnaryOp.Ceil: Map<T, Ceil<T>>(default, x, dst); break;
            case UnaryOp.PowScalar:
                if (a == 2) Map<T, Square<T>>(default, x, dst);
                else if (a == 3) Map<T, Cube<T>>(default, x, dst);
                else if (a == 0.5) Map<T, Sqrt<T>>(default, x, dst);
                else if (a == -0.5) Map<T, Rsqrt<T>>(default, x, dst);
                else if (a == -1) Map<T, Reciprocal<T>>(default, x, dst);
                else Map<T, PowS<T>>(new(ta), x, dst);
                break;
            case UnaryOp.ScalarPow: Map<T, SPow<T>>(new(ta), x, dst); break;
            case UnaryOp.LogicalNot: Test<T, IsZero<T>>(default, x, dst); break;
            case UnaryOp.IsNan: Test<T, IsNanP<T>>(default, x, dst); break;
            case UnaryOp.IsFinite: Test<T, IsFiniteP<T>>(default, x, dst); break;
            case UnaryOp.InRange: Test<T, InRangeP<T>>(new(double.IsNaN(a) ? T.NegativeInfinity : ta, double.IsNaN(b) ? T.PositiveInfinity : tb), x, dst); break;
            case UnaryOp.GreaterThan: Test<T, GreaterP<T>>(new(ta), x, dst); break;
            default:
                if (ActivationKernels.TryFloat<T>(op, x, dst, a)) break;
                throw new UnsupportedDTypeException(op.ToString(), x.DType);
        }
    }

    public static void Integer<T>(UnaryOp op, TensorView x, TensorView dst, double a, double b)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: Map<T, NegI<T>>(default, x, dst); break;
            case UnaryOp.Abs: MapScalar<T, AbsI<T>>(default, x, dst); break;
            case UnaryOp.Sign: MapScalar<T, SignI<T>>(default, x, dst); break;
            case UnaryOp.Relu: Map<T, ClampI<T>>(new(T.Zero, T.MaxValue), x, dst); break;
            case UnaryOp.Floor or UnaryOp.Ceil: Map<T, ClampI<T>>(new(T.MinValue, T.MaxValue), x, dst); break;
            case UnaryOp.Clamp:
                Map<T, ClampI<T>>(new(double.IsNaN(a) ? T.MinValue : T.CreateSaturating(Math.Ceiling(a)),
                                      double.IsNaN(b) ? T.MaxValue : T.CreateSaturating(Math.Floor(b))), x, dst);
                break;
            case UnaryOp.PowScalar: MapScalar<T, PowI<T>>(new((long)a), x, dst); break;
            case UnaryOp.LogicalNot: Test<T, IsZeroI<T>>(default, x, dst); break;
            case UnaryOp.IsNan: Test<T, Never<T>>(default, x, dst); break;
            case UnaryOp.IsFinite: Test<T, Always<T>>(default, x, dst); break;
            default: throw new UnsupportedDTypeException(op.ToString(), x.DType);
        }
    }

    // Floating-point kernels: TensorPrimitives for contiguous spans, the same formula per element otherwise.
    struct Neg<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => -x; public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Negate(x, y); }
    struct Abs<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Abs(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Abs(x, y); }
    struct Sign<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x) => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    }
    struct Exp<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Exp(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Exp(x, y); }
    struct Log<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Log(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Log(x, y); }
    struct Log1p<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.LogP1(x); }
    struct Sqrt<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Sqrt(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sqrt(x, y); }
    struct Rsqrt<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x) => T.One / T.Sqrt(x);
        public void Apply(ReadOnlySpan<T> x, Span<T> y) { TensorPrimitives.Sqrt(x, y); TensorPrimitives.Divide(T.One, y, y); }
    }
    struct Sin<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Sin(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sin(x, y); }
    struct Cos<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Cos(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Cos(x, y); }
    struct Tanh<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Tanh(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Tanh(x, y); }
    struct Sigmoid<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.One / (T.One + T.Exp(-x)); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sigmoid(x, y); }
    struct Reciprocal<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.One / x; public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Divide(T.One, x, y); }
    struct Floor<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Floor(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Floor(x, y); }
    struct Ceil<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Ceiling(x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Ceiling(x, y); }
    struct Square<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => x * x; public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Multiply(x, x, y); }
    /// <summary>(x·x)·x, a vector at a time (in place too: each vector is read before it is written).</summary>
    struct Cube<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x) => x * x * x;
        public void Apply(ReadOnlySpan<T> x, Span<T> y)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
                {
                    var v = new Vector<T>(x[i..]);
                    (v * v * v).CopyTo(y[i..]);
                }
            for (; i < x.Length; i++) y[i] = x[i] * x[i] * x[i];
        }
    }
    readonly struct PowS<T>(T e) : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Pow(x, e); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Pow(x, e, y); }
    readonly struct SPow<T>(T b) : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Pow(b, x); public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Pow(b, x, y); }

    /// <summary>min(max(x, lo), hi) with NaN propagated; a NaN bound is absent.</summary>
    readonly struct ClampF<T>(T lo, T hi) : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x)
        {
            if (T.IsNaN(x)) return x;
            if (!T.IsNaN(lo) && x < lo) x = lo;
            if (!T.IsNaN(hi) && x > hi) x = hi;
            return x;
        }
        public void Apply(ReadOnlySpan<T> x, Span<T> y)
        {
            if (!T.IsNaN(lo) && !T.IsNaN(hi)) { TensorPrimitives.Max(x, lo, y); TensorPrimitives.Min(y, hi, y); }
            else if (!T.IsNaN(lo)) TensorPrimitives.Max(x, lo, y);
            else if (!T.IsNaN(hi)) TensorPrimitives.Min(x, hi, y);
            else x.CopyTo(y);
        }
    }

    struct IsZero<T> : IPredicate<T> where T : IFloatingPointIeee754<T> { public bool Test(T x) => x == T.Zero; }
    struct IsNanP<T> : IPredicate<T> where T : IFloatingPointIeee754<T> { public bool Test(T x) => T.IsNaN(x); }
    struct IsFiniteP<T> : IPredicate<T> where T : IFloatingPointIeee754<T> { public bool Test(T x) => T.IsFinite(x); }
    readonly struct InRangeP<T>(T lo, T hi) : IPredicate<T> where T : IFloatingPointIeee754<T> { public bool Test(T x) => x >= lo && x <= hi; }
    readonly struct GreaterP<T>(T a) : IPredicate<T> where T : IFloatingPointIeee754<T> { public bool Test(T x) => x > a; }

    // Integer kernels (bool is stored as byte and routed here too).
    struct NegI<T> : IUnaryKernel<T> where T : IBinaryInteger<T>
    { public T Apply(T x) => T.Zero - x; public void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Subtract(T.Zero, x, y); }
    struct AbsI<T> : IUnaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T x) => x < T.Zero ? T.Zero - x : x;
    }
    struct SignI<T> : IUnaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T x) => x > T.Zero ? T.One : x < T.Zero ? T.Zero - T.One : T.Zero;
    }
    readonly struct ClampI<T>(T lo, T hi) : IUnaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T x) => x < lo ? lo : x > hi ? hi : x;
        public void Apply(ReadOnlySpan<T> x, Span<T> y) { TensorPrimitives.Max(x, lo, y); TensorPrimitives.Min(y, hi, y); }
    }
    readonly struct PowI<T>(long e) : IUnaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T x) => IntPow(x, e);
    }
    struct IsZeroI<T> : IPredicate<T> where T : IBinaryInteger<T> { public bool Test(T x) => x == T.Zero; }
    struct Never<T> : IPredicate<T> { public bool Test(T x) => false; }
    struct Always<T> : IPredicate<T> { public bool Test(T x) => true; }

    /// <summary>Integer power by squaring; negative exponents follow PyTorch (only ±1 bases survive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T IntPow<T>(T x, long e) where T : IBinaryInteger<T>
    {
        if (e < 0)
        {
            if (x == T.One) return T.One;
            if (x == T.Zero - T.One) return (e & 1) == 0 ? T.One : x;
            if (x == T.Zero) throw new ArgumentException("Integers to negative integer powers are not allowed.");
            return T.Zero;
        }
        T r = T.One;
        while (e > 0)
        {
            if ((e & 1) != 0) r *= x;
            x *= x;
            e >>= 1;
        }
        return r;
    }
}
