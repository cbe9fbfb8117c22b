using System.Runtime.CompilerServices;
using System.Numerics;

namespace Ignis.Backends.Cpu;

/// <summary>Max, average and adaptive-average pooling over contiguous NCHW planes, planes in parallel.</summary>
internal static class PoolKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (int planes, int h, int w, int oh, int ow) Dims(TensorView input, TensorView output) =>
        ((int)(input.shape[0] * input.shape[1]), (int)input.shape[2], (int)input.shape[3], (int)output.shape[2], (int)output.shape[3]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, h, w, oh, ow) = Dims(input, output);
        T[] x = CpuBackend.Data<T>(input), y = CpuBackend.Data<T>(output);
        long[] ix = CpuBackend.Data<long>(indices);
        long xo = input.offset, yo = output.offset, io = indices.offset;
        StridedLoop.ParallelRange(planes, (long)oh * ow * g.KernelH * g.KernelW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                long xp = xo + p * h * w, yp = p * oh * ow;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int hs = i * g.StrideH - g.PadH, ws = j * g.StrideW - g.PadW;
                        T best = T.NegativeInfinity;
                        long bestIdx = -1;
                        for (int kh = 0; kh < g.KernelH; kh++)
                        {
                            int ih = hs + kh * g.DilationH;
                            if ((uint)ih >= (uint)h) continue;
                            for (int kw = 0; kw < g.KernelW; kw++)
                            {
                                int iw = ws + kw * g.DilationW;
                                if ((uint)iw >= (uint)w) continue;
                                long idx = (long)ih * w + iw;
                                T v = x[xp + idx];
                                // ATen: a NaN wins, and the first maximum is kept.
                                if (v > best || T.IsNaN(v) || bestIdx < 0) { best = v; bestIdx = idx; if (T.IsNaN(v)) goto done; }
                            }
                        }
                    done:
                        y[yo + yp + i * ow + j] = best;
                        ix[io + yp + i * ow + j] = bestIdx;
                    }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward<T>(TensorView gradOutput, TensorView indices, TensorView gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, h, w, oh, ow) = Dims(gradInput, gradOutput);
        T[] gy = CpuBackend.Data<T>(gradOutput), gx = CpuBackend.Data<T>(gradInput);
        long[] ix = CpuBackend.Data<long>(indices);
        long gyo = gradOutput.offset, gxo = gradInput.offset, io = indices.offset;
        StridedLoop.ParallelRange(planes, (long)oh * ow, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                long gp = gxo + p * h * w, yp = p * oh * ow;
                new Span<T>(gx, (int)gp, h * w).Clear();
                for (int k = 0; k < oh * ow; k++)
                {
                    long idx = ix[io + yp + k];
                    if (idx >= 0) gx[gp + idx] += gy[gyo + yp + k];
                }
            }
        });
    }

    /// <summary>The input window of one output cell and its divisor, by PyTorch's avg_pool2d / adaptive rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Window(bool adaptive, Pool2dGeometry g, bool countIncludePad, int h, int w, int oh, int ow, int i, int j,
        out int h0, out int h1, out int w0, out int w1, out int divisor)
    {
        if (adaptive)
        {
            h0 = (int)((long)i * h / oh); h1 = (int)(((long)(i + 1) * h + oh - 1) / oh);
            w0 = (int)((long)j * w / ow); w1 = (int)(((long)(j + 1) * w + ow - 1) / ow);
            divisor = (h1 - h0) * (w1 - w0);
            return;
        }
        h0 = i * g.StrideH - g.PadH; w0 = j * g.StrideW - g.PadW;
        h1 = Math.Min(h0 + g.KernelH, h + g.PadH); w1 = Math.Min(w0 + g.KernelW, w + g.PadW);
        int poolSize = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, h); w1 = Math.Min(w1, w);
        divisor = countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward<T>(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, h, w, oh, ow) = Dims(input, output);
        T[] x = CpuBackend.Data<T>(input), y = CpuBackend.Data<T>(output);
        long xo = input.offset, yo = output.offset;
        StridedLoop.ParallelRange(planes, (long)h * w, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                long xp = xo + p * h * w, yp = yo + p * oh * ow;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        Window(adaptive, g, countIncludePad, h, w, oh, ow, i, j, out int h0, out int h1, out int w0, out int w1, out int div);
                        T sum = T.Zero;
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) sum += x[xp + (long)ih * w + iw];
                        y[yp + i * ow + j] = sum / T.CreateTruncating(div);
                    }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward<T>(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, h, w, oh, ow) = Dims(gradInput, gradOutput);
        T[] gy = CpuBackend.Data<T>(gradOutput), gx = CpuBackend.Data<T>(gradInput);
        long gyo = gradOutput.offset, gxo = gradInput.offset;
        StridedLoop.ParallelRange(planes, (long)h * w, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                long gp = gxo + p * h * w, yp = gyo + p * oh * ow;
                new Span<T>(gx, (int)gp, h * w).Clear();
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        Window(adaptive, g, countIncludePad, h, w, oh, ow, i, j, out int h0, out int h1, out int w0, out int w1, out int div);
                        T v = gy[yp + i * ow + j] / T.CreateTruncating(div);
                        for (int ih = h0; ih < h1; ih++)
                            for (int iw = w0; iw < w1; iw++) gx[gp + (long)ih * w + iw] += v;
                    }
            }
        });
    }
}
