using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>Fused gradient masks: one vectorised pass instead of predicate, bool tensor and select.</summary>
internal static class MaskKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaskedGrad<T>(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] g = CpuBackend.Data<T>(grad), xs = CpuBackend.Data<T>(x), d = CpuBackend.Data<T>(dst);
        T tlo = double.IsNaN(lo) ? T.NegativeInfinity : T.CreateTruncating(lo);
        T thi = double.IsNaN(hi) ? T.PositiveInfinity : T.CreateTruncating(hi);
        StridedLoop.Run(dst.shape, [grad.strides, x.strides, dst.strides], [grad.offset, x.offset, dst.offset],
            [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
            {
                int i = 0;
                if (s[0] == 1 && s[1] == 1 && s[2] == 1)
                {
                    int vw = Vector<T>.Count;
                    Vector<T> vlo = new(tlo), vhi = new(thi);
                    for (; i + vw <= n; i += vw)
                    {
                        var xv = new Vector<T>(xs, (int)(o[1] + i));
                        // ReLU's rule is ATen's threshold_backward, "x <= lo ? 0 : g", which lets NaN through.
                        var mask = lowerExclusive
                            ? Vector.OnesComplement(Vector.LessThanOrEqual(xv, vlo))
                            : Vector.GreaterThanOrEqual(xv, vlo) & Vector.LessThanOrEqual(xv, vhi);
                        Vector.ConditionalSelect(mask, new Vector<T>(g, (int)(o[0] + i)), Vector<T>.Zero).CopyTo(d, (int)(o[2] + i));
                    }
                }
                for (; i < n; i++)
                {
                    T xv = xs[o[1] + i * s[1]];
                    bool keep = lowerExclusive ? !(xv <= tlo) : xv >= tlo && xv <= thi;
                    d[o[2] + i * s[2]] = keep ? g[o[0] + i * s[0]] : T.Zero;
                }
            });
    }
}
