using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>An elementwise binary map with scalar and span forms (span-span, span-scalar, scalar-span).</summary>
internal interface IBinaryKernel<T>
{
    T Apply(T a, T b);
    void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d);
    void Apply(ReadOnlySpan<T> a, T b, Span<T> d);
    void Apply(T a, ReadOnlySpan<T> b, Span<T> d);
}

/// <summary>An elementwise binary map with only a scalar form (no vectorised library routine exists).</summary>
internal interface IBinaryScalar<T>
{
    T Apply(T a, T b);
}

/// <summary>A binary predicate (comparison or logical op) written as bool.</summary>
internal interface IBinaryPredicate<T>
{
    bool Test(T a, T b);
}

internal static class BinaryKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Map<T, TOp>(TOp op, TensorView a, TensorView b, TensorView dst) where TOp : struct, IBinaryKernel<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b), xd = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [a.strides, b.strides, dst.strides], [a.offset, b.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            if (s[2] == 1)
            {
                var d = xd.AsSpan((int)o[2], n);
                if (s[0] == 1 && s[1] == 1) { op.Apply(xa.AsSpan((int)o[0], n), xb.AsSpan((int)o[1], n), d); return; }
                if (s[0] == 1 && s[1] == 0) { op.Apply(xa.AsSpan((int)o[0], n), xb[o[1]], d); return; }
                if (s[0] == 0 && s[1] == 1) { op.Apply(xa[o[0]], xb.AsSpan((int)o[1], n), d); return; }
            }
            long ia = o[0], ib = o[1], id = o[2];
            for (int i = 0; i < n; i++, ia += s[0], ib += s[1], id += s[2]) xd[id] = op.Apply(xa[ia], xb[ib]);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MapScalar<T, TOp>(TOp op, TensorView a, TensorView b, TensorView dst) where TOp : struct, IBinaryScalar<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b), xd = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [a.strides, b.strides, dst.strides], [a.offset, b.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            long ia = o[0], ib = o[1], id = o[2];
            for (int i = 0; i < n; i++, ia += s[0], ib += s[1], id += s[2]) xd[id] = op.Apply(xa[ia], xb[ib]);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Test<T, TOp>(TOp op, TensorView a, TensorView b, TensorView dst) where TOp : struct, IBinaryPredicate<T>
    {
        T[] xa = CpuBackend.Data<T>(a), xb = CpuBackend.Data<T>(b);
        byte[] xd = CpuBackend.Data<byte>(dst);
        StridedLoop.Run(dst.shape, [a.strides, b.strides, dst.strides], [a.offset, b.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
        {
            long ia = o[0], ib = o[1], id = o[2];
            for (int i = 0; i < n; i++, ia += s[0], ib += s[1], id += s[2]) xd[id] = op.Test(xa[ia], xb[ib]) ? (byte)1 : (byte)0;
        });
    }

    static bool Compare<T>(BinaryOp op, TensorView a, TensorView b, TensorView dst) where T : INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Eq: Test<T, Eq<T>>(default, a, b, dst); return true;
            case BinaryOp.Ne: Test<T, Ne<T>>(default, a, b, dst); return true;
            case BinaryOp.Lt: Test<T, Lt<T>>(default, a, b, dst); return true;
            case BinaryOp.Le: Test<T, Le<T>>(default, a, b, dst); return true;
            case BinaryOp.Gt: Test<T, Lt<T>>(default, b, a, dst); return true;
            case BinaryOp.Ge: Test<T, Le<T>>(default, b, a, dst); return true;
            case BinaryOp.LogicalAnd: Test<T, And<T>>(default, a, b, dst); return true;
            case BinaryOp.LogicalOr: Test<T, Or<T>>(default, a, b, dst); return true;
            case BinaryOp.LogicalXor: Test<T, Xor<T>>(default, a, b, dst); return true;
            default: return false;
        }
    }

    public static void Float<T>(BinaryOp op, TensorView a, TensorView b, TensorView dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Compare<T>(op, a, b, dst)) return;
        switch (op)
        {
            case BinaryOp.Add: Map<T, Add<T>>(default, a, b, dst); break;
            case BinaryOp.Sub: Map<T, Sub<T>>(default, a, b, dst); break;
            case BinaryOp.Mul: Map<T, Mul<T>>(default, a, b, dst); break;
            case BinaryOp.Div: Map<T, Div<T>>(default, a, b, dst); break;
            case BinaryOp.Maximum: Map<T, Max<T>>(default, a, b, dst); break;
            case BinaryOp.Minimum: Map<T, Min<T>>(default, a, b, dst); break;
            case BinaryOp.Pow: Map<T, Pow<T>>(default, a, b, dst); break;
            case BinaryOp.Atan2: Map<T, Atan2<T>>(default, a, b, dst); break;
            case BinaryOp.FloorDiv: MapScalar<T, FloorDivF<T>>(default, a, b, dst); break;
            case BinaryOp.Remainder: MapScalar<T, RemF<T>>(default, a, b, dst); break;
            default: throw new UnsupportedDTypeException(op.ToString(), a.DType);
        }
    }

    public static void Integer<T>(BinaryOp op, TensorView a, TensorView b, TensorView dst) where T : unmanaged, IBinaryInteger<T>
    {
        if (Compare<T>(op, a, b, dst)) return;
        switch (op)
        {
            case BinaryOp.Add: Map<T, AddI<T>>(default, a, b, dst); break;
            case BinaryOp.Sub: Map<T, SubI<T>>(default, a, b, dst); break;
            case BinaryOp.Mul: Map<T, MulI<T>>(default, a, b, dst); break;
            case BinaryOp.Maximum: Map<T, MaxI<T>>(default, a, b, dst); break;
            case BinaryOp.Minimum: Map<T, MinI<T>>(default, a, b, dst); break;
            case BinaryOp.Div or BinaryOp.FloorDiv: MapScalar<T, FloorDivI<T>>(default, a, b, dst); break;
            case BinaryOp.Remainder: MapScalar<T, RemI<T>>(default, a, b, dst); break;
            case BinaryOp.Pow: MapScalar<T, PowI<T>>(default, a, b, dst); break;
            default: throw new UnsupportedDTypeException(op.ToString(), a.DType);
        }
    }

    struct Add<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a + b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Add(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(b, a, d);
    }
    struct Sub<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a - b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
    }
    struct Mul<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a * b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(b, a, d);
    }
    struct Div<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a / b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
    }
    struct Max<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => T.Max(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Max(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Max(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Max(b, a, d);
    }
    struct Min<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => T.Min(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Min(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Min(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Min(b, a, d);
    }
    struct Pow<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => T.Pow(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Pow(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Pow(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Pow(a, b, d);
    }

    struct Atan2<T> : IBinaryKernel<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => T.Atan2(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Atan2(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Atan2(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Atan2(a, b, d);
    }

    struct FloorDivF<T> : IBinaryScalar<T> where T : IFloatingPointIeee754<T>
    {
        // ATen's div_floor_floating: floor of the exact quotient, via fmod, so results agree with Python's //.
        public T Apply(T a, T b)
        {
            if (b == T.Zero) return a / b;
            T mod = Fmod(a, b);
            T div = (a - mod) / b;
            if (mod != T.Zero && (b < T.Zero) != (mod < T.Zero)) div -= T.One;
            if (div == T.Zero) return T.CopySign(T.Zero, a / b);
            T f = T.Floor(div);
            if (div - f > T.CreateTruncating(0.5)) f += T.One;
            return f;
        }
    }
    struct RemF<T> : IBinaryScalar<T> where T : IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b)
        {
            T mod = Fmod(a, b);
            if (mod != T.Zero && (b < T.Zero) != (mod < T.Zero)) mod += b;
            return mod;
        }
    }

    /// <summary>C's fmod: remainder with the sign of the dividend (C#'s % on floating point).</summary>
    static T Fmod<T>(T a, T b) where T : IFloatingPointIeee754<T> => a % b;

    struct AddI<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => a + b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Add(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(b, a, d);
    }
    struct SubI<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => a - b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
    }
    struct MulI<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => a * b;
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(b, a, d);
    }
    struct MaxI<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => T.Max(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Max(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Max(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Max(b, a, d);
    }
    struct MinI<T> : IBinaryKernel<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => T.Min(a, b);
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Min(a, b, d);
        public void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Min(a, b, d);
        public void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Min(b, a, d);
    }
    struct FloorDivI<T> : IBinaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b)
        {
            if (b == T.Zero) throw new DivideByZeroException("ZeroDivisionError");
            T q = a / b;
            if ((a % b != T.Zero) && ((a < T.Zero) != (b < T.Zero))) q -= T.One;
            return q;
        }
    }
    struct RemI<T> : IBinaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b)
        {
            if (b == T.Zero) throw new DivideByZeroException("ZeroDivisionError");
            T r = a % b;
            if (r != T.Zero && ((r < T.Zero) != (b < T.Zero))) r += b;
            return r;
        }
    }
    struct PowI<T> : IBinaryScalar<T> where T : IBinaryInteger<T>
    {
        public T Apply(T a, T b) => UnaryKernels.IntPow(a, long.CreateTruncating(b));
    }

    struct Eq<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a == b; }
    struct Ne<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a != b; }
    struct Lt<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a < b; }
    struct Le<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a <= b; }
    struct And<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a != T.Zero && b != T.Zero; }
    struct Or<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => a != T.Zero || b != T.Zero; }
    struct Xor<T> : IBinaryPredicate<T> where T : INumber<T> { public bool Test(T a, T b) => (a != T.Zero) != (b != T.Zero); }
}
