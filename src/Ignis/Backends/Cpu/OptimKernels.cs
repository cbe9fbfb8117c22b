using System.Runtime.CompilerServices;
using System.Numerics;

namespace Ignis.Backends.Cpu;

/// <summary>Fused optimizer updates: one pass over parameter, gradient and state, vectorised, chunks in parallel.</summary>
internal static class OptimKernels
{
    /// <summary>
    /// PyTorch 1.13's single-tensor Adam, operation for operation: g (+ wd·p); m = m·β₁ + (1−β₁)·g;
    /// v = v·β₂ + (1−β₂)·g·g; denom = √v / √bc₂ + ε; p += (−lr/bc₁) · m / denom. AdamW first scales p by (1 − lr·wd).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Adam<T>(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] p = CpuBackend.Data<T>(param), g = CpuBackend.Data<T>(grad), m = CpuBackend.Data<T>(expAvg), v = CpuBackend.Data<T>(expAvgSq);
        T[]? vmax = maxExpAvgSq is null ? null : CpuBackend.Data<T>(maxExpAvgSq);
        long po = param.offset, go = grad.offset, mo = expAvg.offset, vo = expAvgSq.offset, xo = maxExpAvgSq?.offset ?? 0;
        long n = param.Numel;
        double bc1 = 1 - Math.Pow(h.Beta1, h.Step), bc2 = 1 - Math.Pow(h.Beta2, h.Step);
        T b1 = T.CreateTruncating(h.Beta1), b2 = T.CreateTruncating(h.Beta2);
        T omb1 = T.CreateTruncating(1 - h.Beta1), omb2 = T.CreateTruncating(1 - h.Beta2);
        T eps = T.CreateTruncating(h.Eps), bc2Sqrt = T.CreateTruncating(Math.Sqrt(bc2)), negStep = T.CreateTruncating(-(h.Lr / bc1));
        T wd = T.CreateTruncating(h.WeightDecay), decay = T.CreateTruncating(1 - h.Lr * h.WeightDecay);
        bool coupled = h.WeightDecay != 0 && !h.Decoupled, decoupled = h.WeightDecay != 0 && h.Decoupled;
        StridedLoop.ParallelRange(n, 16, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            int vw = Vector<T>.Count;
            long i = i0;
            if (vmax is null)
            {
                Vector<T> vb1 = new(b1), vb2 = new(b2), vomb1 = new(omb1), vomb2 = new(omb2), veps = new(eps), vbc2 = new(bc2Sqrt), vstep = new(negStep);
                Vector<T> vwd = new(wd), vdecay = new(decay);
                for (; i + vw <= i1; i += vw)
                {
                    var pv = new Vector<T>(p, (int)(po + i));
                    var gv = new Vector<T>(g, (int)(go + i));
                    if (decoupled) pv *= vdecay;
                    if (coupled) gv += pv * vwd;
                    var mv = new Vector<T>(m, (int)(mo + i)) * vb1 + gv * vomb1;
                    var sv = new Vector<T>(v, (int)(vo + i)) * vb2 + gv * gv * vomb2;
                    var denom = Vector.SquareRoot(sv) / vbc2 + veps;
                    pv += vstep * (mv / denom);
                    mv.CopyTo(m, (int)(mo + i));
                    sv.CopyTo(v, (int)(vo + i));
                    pv.CopyTo(p, (int)(po + i));
                }
            }
            for (; i < i1; i++)
            {
                T pv = p[po + i], gv = g[go + i];
                if (decoupled) pv *= decay;
                if (coupled) gv += pv * wd;
                T mv = m[mo + i] * b1 + gv * omb1;
                T sv = v[vo + i] * b2 + gv * gv * omb2;
                T use = sv;
                if (vmax is not null)
                {
                    use = T.Max(vmax[xo + i], sv);
                    vmax[xo + i] = use;
                }
                T denom = T.Sqrt(use) / bc2Sqrt + eps;
                m[mo + i] = mv;
                v[vo + i] = sv;
                p[po + i] = pv + negStep * (mv / denom);
            }
        });
    }
}
