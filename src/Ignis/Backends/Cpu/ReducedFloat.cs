using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>
/// float16 and bfloat16 on the CPU: stored as 16 bits, computed in float32 (as PyTorch's CPU kernels do through
/// <c>Vectorized&lt;float&gt;</c>). Operands are widened into float32 buffers, the float32 kernel runs, and written
/// operands are rounded back (round to nearest even, NaN kept).
/// </summary>
internal static class ReducedFloat
{
    /// <summary>True when any operand is float16 or bfloat16.</summary>
    public static bool Any(params TensorView?[] views)
    {
        foreach (var v in views)
            if (v is not null && v.DType.IsReducedFloat()) return true;
        return false;
    }

    /// <summary>Runs <paramref name="body"/> on float32 copies of the reduced-float operands, then rounds the written ones back.</summary>
    public static void InFloat32(CpuBackend cpu, TensorView?[] views, Action<TensorView?[]> body, params int[] written)
    {
        var wide = new TensorView?[views.Length];
        for (int i = 0; i < views.Length; i++)
        {
            var v = views[i];
            if (v is null || !v.DType.IsReducedFloat()) { wide[i] = v; continue; }
            var w = TensorView.Contiguous(cpu.AllocateUninitialized(Device.Cpu, DType.Float32, v.Numel), v.Shape);
            Copy(cpu, v, w);
            wide[i] = w;
        }
        body(wide);
        foreach (int i in written)
            if (views[i] is { } v && v.DType.IsReducedFloat()) Copy(cpu, wide[i]!, v);
        GC.KeepAlive(views);
        // The float32 copies are this call's own temporaries: their blocks go back to the allocator now.
        for (int i = 0; i < views.Length; i++)
            if (!ReferenceEquals(wide[i], views[i])) wide[i]!.Storage.Dispose();
    }

    /// <summary>dst ← src where at least one side is a reduced float and the dtypes differ: through float32.</summary>
    public static void Copy(CpuBackend cpu, TensorView src, TensorView dst)
    {
        if (src.DType.IsReducedFloat())
        {
            var f = dst.DType == DType.Float32 ? dst : TensorView.Contiguous(cpu.AllocateUninitialized(Device.Cpu, DType.Float32, dst.Numel), dst.Shape);
            if (src.DType == DType.Float16) Widen<Half, HalfConv>(src, f); else Widen<BFloat16, BFloatConv>(src, f);
            if (!ReferenceEquals(f, dst))
            {
                cpu.Copy(f, dst);
                f.Storage.Dispose();
            }
            return;
        }
        var from = src;
        if (src.DType != DType.Float32)
        {
            from = TensorView.Contiguous(cpu.AllocateUninitialized(Device.Cpu, DType.Float32, dst.Numel), dst.Shape);
            cpu.Copy(src, from);
        }
        if (dst.DType == DType.Float16) Narrow<Half, HalfConv>(from, dst); else Narrow<BFloat16, BFloatConv>(from, dst);
        if (!ReferenceEquals(from, src)) from.Storage.Dispose();
    }

    /// <summary>A same-dtype strided copy of a dtype that is not a .NET number type (moves the bits).</summary>
    public static void SameType<T>(TensorView src, TensorView dst) where T : unmanaged
    {
        T[] s = CpuBackend.Data<T>(src), d = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [src.strides, dst.strides], [src.offset, dst.offset], (o, st, n) =>
        {
            if (st[0] == 1 && st[1] == 1) { s.AsSpan((int)o[0], n).CopyTo(d.AsSpan((int)o[1], n)); return; }
            long si = o[0], di = o[1];
            for (int i = 0; i < n; i++, si += st[0], di += st[1]) d[di] = s[si];
        });
    }

    interface IConv<T>
    {
        static abstract float ToFloat(T x);
        static abstract T FromFloat(float x);
        static abstract void ToFloat(ReadOnlySpan<T> x, Span<float> d);
        static abstract void FromFloat(ReadOnlySpan<float> x, Span<T> d);
    }

    // c10::Half's float conversion keeps a NaN's sign and drops its payload (0x7E00 / 0xFE00); .NET keeps payloads.
    struct HalfConv : IConv<Half>
    {
        public static float ToFloat(Half x) => (float)x;
        public static Half FromFloat(float x) => float.IsNaN(x) ? CanonicalNaN(x) : (Half)x;
        public static void ToFloat(ReadOnlySpan<Half> x, Span<float> d) => TensorPrimitives.ConvertToSingle(x, d);
        public static void FromFloat(ReadOnlySpan<float> x, Span<Half> d)
        {
            TensorPrimitives.ConvertToHalf(x, d);
            for (int i = 0; i < d.Length; i++)
                if (Half.IsNaN(d[i])) d[i] = CanonicalNaN(x[i]);
        }

        static Half CanonicalNaN(float x) => BitConverter.UInt16BitsToHalf(float.IsNegative(x) ? (ushort)0xFE00 : (ushort)0x7E00);
    }

    struct BFloatConv : IConv<BFloat16>
    {
        public static float ToFloat(BFloat16 x) => x;
        public static BFloat16 FromFloat(float x) => (BFloat16)x;
        public static void ToFloat(ReadOnlySpan<BFloat16> x, Span<float> d) { for (int i = 0; i < x.Length; i++) d[i] = x[i]; }
        public static void FromFloat(ReadOnlySpan<float> x, Span<BFloat16> d) { for (int i = 0; i < x.Length; i++) d[i] = (BFloat16)x[i]; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Widen<T, TC>(TensorView src, TensorView dst) where T : unmanaged where TC : IConv<T>
    {
        T[] s = CpuBackend.Data<T>(src);
        float[] d = CpuBackend.Data<float>(dst);
        StridedLoop.Run(dst.shape, [src.strides, dst.strides], [src.offset, dst.offset], (o, st, n) =>
        {
            if (st[0] == 1 && st[1] == 1) { TC.ToFloat(s.AsSpan((int)o[0], n), d.AsSpan((int)o[1], n)); return; }
            long si = o[0], di = o[1];
            for (int i = 0; i < n; i++, si += st[0], di += st[1]) d[di] = TC.ToFloat(s[si]);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Narrow<T, TC>(TensorView src, TensorView dst) where T : unmanaged where TC : IConv<T>
    {
        float[] s = CpuBackend.Data<float>(src);
        T[] d = CpuBackend.Data<T>(dst);
        StridedLoop.Run(dst.shape, [src.strides, dst.strides], [src.offset, dst.offset], (o, st, n) =>
        {
            if (st[0] == 1 && st[1] == 1) { TC.FromFloat(s.AsSpan((int)o[0], n), d.AsSpan((int)o[1], n)); return; }
            long si = o[0], di = o[1];
            for (int i = 0; i < n; i++, si += st[0], di += st[1]) d[di] = TC.FromFloat(s[si]);
        });
    }
}
