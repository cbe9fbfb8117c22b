using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>Batch normalisation over contiguous [N, C, S] data: per-channel statistics in double, channels in parallel.</summary>
internal static class NormKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BatchNorm<T>(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = (int)input.shape[0], c = (int)input.shape[1], s = (int)(input.Numel / Math.Max(1, (long)n * c));
        T[] x = CpuBackend.Data<T>(input), y = CpuBackend.Data<T>(output);
        T[] sm = CpuBackend.Data<T>(saveMean), si = CpuBackend.Data<T>(saveInvStd);
        T[]? wv = weight is null ? null : CpuBackend.Data<T>(weight), bv = bias is null ? null : CpuBackend.Data<T>(bias);
        T[]? rm = runningMean is null ? null : CpuBackend.Data<T>(runningMean), rv = runningVar is null ? null : CpuBackend.Data<T>(runningVar);
        long xo = input.offset, yo = output.offset;
        StridedLoop.ParallelRange(c, (long)n * s, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            for (int ch = (int)c0; ch < c1; ch++)
            {
                double mean, invStd;
                if (training)
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += double.CreateTruncating(TensorPrimitives.Sum(Plane(x, xo, i, ch, c, s)));
                    long count = (long)n * s;
                    mean = sum / count;
                    double m2 = 0;
                    for (int i = 0; i < n; i++) m2 += SquaredDeviation(Plane(x, xo, i, ch, c, s), mean);
                    double varBiased = m2 / count;
                    invStd = 1.0 / Math.Sqrt(varBiased + eps);
                    if (rm is not null) rm[runningMean!.offset + ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rm[runningMean.offset + ch]) + momentum * mean);
                    if (rv is not null)
                    {
                        double unbiased = count > 1 ? m2 / (count - 1) : double.NaN;
                        rv[runningVar!.offset + ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rv[runningVar.offset + ch]) + momentum * unbiased);
                    }
                }
                else
                {
                    mean = double.CreateTruncating(rm![runningMean!.offset + ch]);
                    invStd = 1.0 / Math.Sqrt(double.CreateTruncating(rv![runningVar!.offset + ch]) + eps);
                }
                sm[saveMean.offset + ch] = T.CreateTruncating(mean);
                si[saveInvStd.offset + ch] = T.CreateTruncating(invStd);
                double gamma = wv is null ? 1 : double.CreateTruncating(wv[weight!.offset + ch]);
                double beta = bv is null ? 0 : double.CreateTruncating(bv[bias!.offset + ch]);
                // y = x·scale + shift with scale = γ·invstd, shift = β − mean·scale.
                T scale = T.CreateTruncating(gamma * invStd), shift = T.CreateTruncating(beta - mean * gamma * invStd);
                for (int i = 0; i < n; i++)
                    Affine(Plane(x, xo, i, ch, c, s), scale, new Span<T>(y, (int)(yo + ((long)i * c + ch) * s), s), shift);
            }
        });
    }

    /// <summary>dst = x·a + b in one vectorised pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Affine<T>(ReadOnlySpan<T> x, T a, Span<T> dst, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vw = Vector<T>.Count, i = 0;
        Vector<T> va = new(a), vb = new(b);
        for (; i + vw <= x.Length; i += vw) (new Vector<T>(x.Slice(i, vw)) * va + vb).CopyTo(dst.Slice(i, vw));
        for (; i < x.Length; i++) dst[i] = x[i] * a + b;
    }

    /// <summary>dst = g·k + x·b + a in one vectorised pass (the batch-norm input gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Affine2<T>(ReadOnlySpan<T> g, T k, ReadOnlySpan<T> x, T b, T a, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vw = Vector<T>.Count, i = 0;
        Vector<T> vk = new(k), vb = new(b), va = new(a);
        for (; i + vw <= g.Length; i += vw)
            (new Vector<T>(g.Slice(i, vw)) * vk + new Vector<T>(x.Slice(i, vw)) * vb + va).CopyTo(dst.Slice(i, vw));
        for (; i < g.Length; i++) dst[i] = g[i] * k + x[i] * b + a;
    }

    /// <summary>(Σ g, Σ g·x) over one plane in a single pass, combined in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (double, double) SumAndDot<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vw = Vector<T>.Count, i = 0;
        Vector<T> s = Vector<T>.Zero, d = Vector<T>.Zero;
        for (; i + vw <= g.Length; i += vw)
        {
            var gv = new Vector<T>(g.Slice(i, vw));
            s += gv;
            d += gv * new Vector<T>(x.Slice(i, vw));
        }
        double sum = double.CreateTruncating(Vector.Sum(s)), dot = double.CreateTruncating(Vector.Sum(d));
        for (; i < g.Length; i++)
        {
            sum += double.CreateTruncating(g[i]);
            dot += double.CreateTruncating(g[i]) * double.CreateTruncating(x[i]);
        }
        return (sum, dot);
    }

    /// <summary>Σ (x − mean)² over one plane: vector lanes accumulate the plane, planes are combined in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static double SquaredDeviation<T>(ReadOnlySpan<T> x, double mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vw = Vector<T>.Count, i = 0;
        T tm = T.CreateTruncating(mean);
        var vm = new Vector<T>(tm);
        var acc = Vector<T>.Zero;
        for (; i + vw <= x.Length; i += vw)
        {
            var d = new Vector<T>(x.Slice(i, vw)) - vm;
            acc += d * d;
        }
        double sum = double.CreateTruncating(Vector.Sum(acc));
        for (; i < x.Length; i++)
        {
            double d = double.CreateTruncating(x[i]) - mean;
            sum += d * d;
        }
        return sum;
    }

    static ReadOnlySpan<T> Plane<T>(T[] data, long off, int i, int ch, int c, int s) => new(data, (int)(off + ((long)i * c + ch) * s), s);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BatchNormBackward<T>(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training,
        TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = (int)input.shape[0], c = (int)input.shape[1], s = (int)(input.Numel / Math.Max(1, (long)n * c));
        T[] x = CpuBackend.Data<T>(input), gy = CpuBackend.Data<T>(gradOutput);
        T[] sm = CpuBackend.Data<T>(saveMean), si = CpuBackend.Data<T>(saveInvStd);
        T[]? wv = weight is null ? null : CpuBackend.Data<T>(weight);
        T[]? gx = gradInput is null ? null : CpuBackend.Data<T>(gradInput);
        T[]? gw = gradWeight is null ? null : CpuBackend.Data<T>(gradWeight), gb = gradBias is null ? null : CpuBackend.Data<T>(gradBias);
        long xo = input.offset, gyo = gradOutput.offset, gxo = gradInput?.offset ?? 0;
        StridedLoop.ParallelRange(c, (long)n * s, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            for (int ch = (int)c0; ch < c1; ch++)
            {
                double mean = double.CreateTruncating(sm[saveMean.offset + ch]);
                double invStd = double.CreateTruncating(si[saveInvStd.offset + ch]);
                double gamma = wv is null ? 1 : double.CreateTruncating(wv[weight!.offset + ch]);
                // Σ dy and Σ dy·x̂ over the channel.
                double sumDy = 0, sumDyX = 0;
                for (int i = 0; i < n; i++)
                {
                    var (sg, sgx) = SumAndDot(Plane(gy, gyo, i, ch, c, s), Plane(x, xo, i, ch, c, s));
                    sumDy += sg;
                    sumDyX += sgx;
                }
                double sumDyXhat = (sumDyX - mean * sumDy) * invStd;
                if (gw is not null) gw[gradWeight!.offset + ch] = T.CreateTruncating(sumDyXhat);
                if (gb is not null) gb[gradBias!.offset + ch] = T.CreateTruncating(sumDy);
                if (gx is null) continue;
                long count = (long)n * s;
                // Training: dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)); evaluation: dx = γ·invstd·dy.
                double k = gamma * invStd;
                double a = training ? -k * sumDy / count + k * invStd * mean * sumDyXhat / count : 0;
                double b = training ? -k * invStd * sumDyXhat / count : 0;
                // dx = k·dy + b·x + (a) with x̂ = (x − mean)·invstd folded into the constants.
                T tk = T.CreateTruncating(k), tb = T.CreateTruncating(b), ta = T.CreateTruncating(a);
                for (int i = 0; i < n; i++)
                    Affine2(Plane(gy, gyo, i, ch, c, s), tk, Plane(x, xo, i, ch, c, s), tb, ta,
                        new Span<T>(gx, (int)(gxo + ((long)i * c + ch) * s), s));
            }
        });
    }
}
