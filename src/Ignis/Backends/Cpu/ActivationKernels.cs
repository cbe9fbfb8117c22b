using Ignis.Numerics;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>Activation functions and their derivatives (the derivative kernels make each backward one pass plus a multiply).</summary>
internal static class ActivationKernels
{
    public static bool TryFloat<T>(UnaryOp op, TensorView x, TensorView dst, double a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Erf: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.Erf), x, dst); return true;
            case UnaryOp.Erfinv: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.Erfinv), x, dst); return true;
            case UnaryOp.Gelu: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.Gelu), x, dst); return true;
            case UnaryOp.GeluDerivative: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.GeluDerivative), x, dst); return true;
            case UnaryOp.GeluTanh: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.GeluTanh), x, dst); return true;
            case UnaryOp.GeluTanhDerivative: UnaryKernels.MapScalar<T, ViaDouble<T>>(new(SpecialMath.GeluTanhDerivative), x, dst); return true;
            case UnaryOp.Silu: UnaryKernels.Map<T, Silu<T>>(default, x, dst); return true;
            case UnaryOp.SiluDerivative: UnaryKernels.Map<T, SiluDerivative<T>>(default, x, dst); return true;
            case UnaryOp.Hardswish: UnaryKernels.MapScalar<T, Hardswish<T>>(default, x, dst); return true;
            case UnaryOp.HardswishDerivative: UnaryKernels.MapScalar<T, HardswishDerivative<T>>(default, x, dst); return true;
            case UnaryOp.Hardsigmoid: UnaryKernels.MapScalar<T, Hardsigmoid<T>>(default, x, dst); return true;
            case UnaryOp.HardsigmoidDerivative: UnaryKernels.MapScalar<T, HardsigmoidDerivative<T>>(default, x, dst); return true;
            case UnaryOp.LeakyRelu: UnaryKernels.MapScalar<T, LeakyRelu<T>>(new(T.CreateTruncating(a)), x, dst); return true;
            case UnaryOp.LeakyReluDerivative: UnaryKernels.MapScalar<T, LeakyReluDerivative<T>>(new(T.CreateTruncating(a)), x, dst); return true;
            default: return false;
        }
    }

    readonly struct ViaDouble<T>(Func<double, double> f) : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.CreateTruncating(f(double.CreateTruncating(x))); }

    struct Silu<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x) => x / (T.One + T.Exp(-x));
        public void Apply(ReadOnlySpan<T> x, Span<T> y) { TensorPrimitives.Sigmoid(x, y); TensorPrimitives.Multiply(x, y, y); }
    }

    /// <summary>silu'(x) = σ(x)·(1 + x·(1 − σ(x))); the span form takes σ from TensorPrimitives a block at a time (the
    /// scalar form, one generic Exp per element, made efficientnet_b0's SiLU gradients a fifth of its training step).</summary>
    struct SiluDerivative<T> : IUnaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x)
        {
            T s = T.One / (T.One + T.Exp(-x));
            return s * (T.One + x * (T.One - s));
        }

        public void Apply(ReadOnlySpan<T> x, Span<T> y)
        {
            const int Block = 2048;   // σ written and read back while still in L1
            int vw = Vector<T>.Count;
            var one = Vector<T>.One;
            for (int b = 0; b < x.Length; b += Block)
            {
                int n = Math.Min(Block, x.Length - b);
                var xb = x.Slice(b, n);
                var yb = y.Slice(b, n);
                TensorPrimitives.Sigmoid(xb, yb);
                int i = 0;
                if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                    for (; i + vw <= n; i += vw)
                    {
                        var s = new Vector<T>(yb.Slice(i, vw));
                        (s * (one + new Vector<T>(xb.Slice(i, vw)) * (one - s))).CopyTo(yb.Slice(i, vw));
                    }
                for (; i < n; i++) yb[i] = yb[i] * (T.One + xb[i] * (T.One - yb[i]));
            }
        }
    }

    static T Three<T>() where T : IFloatingPointIeee754<T> => T.CreateTruncating(3);
    static T Six<T>() where T : IFloatingPointIeee754<T> => T.CreateTruncating(6);

    struct Hardswish<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => x * T.Min(T.Max(x + Three<T>(), T.Zero), Six<T>()) / Six<T>(); }

    struct HardswishDerivative<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T x) => x < -Three<T>() ? T.Zero : x < Three<T>() ? x / Three<T>() + T.CreateTruncating(0.5) : T.One;
    }

    struct Hardsigmoid<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => T.Min(T.Max(x + Three<T>(), T.Zero), Six<T>()) / Six<T>(); }

    struct HardsigmoidDerivative<T> : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => x > -Three<T>() && x < Three<T>() ? T.One / Six<T>() : T.Zero; }

    readonly struct LeakyRelu<T>(T slope) : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => x > T.Zero ? x : x * slope; }

    readonly struct LeakyReluDerivative<T>(T slope) : IUnaryScalar<T> where T : IFloatingPointIeee754<T>
    { public T Apply(T x) => x > T.Zero ? T.One : slope; }
}
