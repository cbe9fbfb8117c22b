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
        int vectorStart = (g.PadW + 1) / 2; // the first j with 2·j − PW ≥ 0
        StridedLoop.ParallelRange(planes, (long)oh * ow * g.KernelH * g.KernelW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                long xp = xo + p * h * w, yp = p * oh * ow;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        // From the first output whose window starts inside the row, vectors of outputs go through the
                        // stride-2 kernel; the scalar loop takes the columns before it and whatever it leaves.
                        if (typeof(T) == typeof(float) && j == vectorStart)
                            j += MaxRowStride2(x as float[], xp, h, w, g, i, j, ow, (y as float[])!, yo + yp + (long)i * ow, ix, io + yp + (long)i * ow);
                        if (j >= ow) break;
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

    /// <summary>
    /// Max pooling with a row stride of 2 and no column dilation (resnet18's, alexnet's and vgg16's pools) for output
    /// columns j0, j0 + 1, … a vector at a time, as long as each vector's windows lie inside the row, the last vector
    /// moved back to end at the last such column (recomputing a few outputs; a row of 56 left 16 to the scalar loop when
    /// vectors started only at multiples of their width and stopped at the last whole one): for each tap the
    /// inputs at columns 2·j − PW + kw are the low halves of 8-byte pairs (one load, one narrowing), compared and selected
    /// with their indices, so no branch depends on the data (the scalar loop mispredicted about a third of its compares:
    /// 13 ms for resnet18's pool). Returns how many outputs it wrote (whole vectors; 0 when the geometry does not fit).
    /// A vector holding a NaN is left to the scalar loop, which applies ATen's NaN rule.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe int MaxRowStride2(float[]? x, long xp, int h, int w, Pool2dGeometry g, int i, int j0, int ow, float[] y, long yRow, long[] ix, long iRow)
    {
        int vw = Vector<int>.Count;
        if (x is null || g.StrideW != 2 || g.DilationW != 1 || !Vector.IsHardwareAccelerated || !BitConverter.IsLittleEndian) return 0;
        int hs = i * g.StrideH - g.PadH, kh0 = 0, kh1 = g.KernelH;
        while (kh0 < kh1 && (uint)(hs + kh0 * g.DilationH) >= (uint)h) kh0++;
        while (kh1 > kh0 && (uint)(hs + (kh1 - 1) * g.DilationH) >= (uint)h) kh1--;
        if (kh0 >= kh1) return 0;
        Span<int> laneOffsets = stackalloc int[vw];
        for (int l = 0; l < vw; l++) laneOffsets[l] = 2 * l;
        var lanes2 = new Vector<int>(laneOffsets);
        int j = j0;
        if (2 * j0 - g.PadW < 0) return 0;
        // A vector's windows start at column 2·j − PW ≥ 0 and its last load (pair of the last lane's last tap) ends
        // at 2·(j + vw − 1) − PW + KW ≤ W − 1: vectors may start up to lastStart.
        int lastStart = Math.Min(ow - vw, (w - 1 + g.PadW - g.KernelW) / 2 - (vw - 1));
        if (lastStart < j0) return 0;
        fixed (float* px = x, py = y)
        {
            while (true)
            {
                if (j > lastStart)
                {
                    if (j >= lastStart + vw) break;
                    j = lastStart; // the overlapping last vector
                }
                Vector<float> best = default;
                Vector<int> bestIdx = default;
                var nan = Vector<int>.Zero;
                bool first = true;
                for (int kh = kh0; kh < kh1; kh++)
                {
                    int ih = hs + kh * g.DilationH;
                    if ((uint)ih >= (uint)h) continue;
                    int c0 = 2 * j - g.PadW;
                    float* row = px + xp + (long)ih * w;
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        var v = Vector.AsVectorSingle(Vector.Narrow(Unsafe.ReadUnaligned<Vector<ulong>>(row + c0 + kw),
                            Unsafe.ReadUnaligned<Vector<ulong>>(row + c0 + kw + vw)));
                        var idx = new Vector<int>(ih * w + c0 + kw) + lanes2;
                        nan |= ~Vector.Equals(v, v);
                        if (first)
                        {
                            (best, bestIdx, first) = (v, idx, false);
                            continue;
                        }
                        var take = Vector.GreaterThan(v, best);
                        best = Vector.ConditionalSelect(take, v, best);
                        bestIdx = Vector.ConditionalSelect(take, idx, bestIdx);
                    }
                }
                if (!Vector.EqualsAll(nan, Vector<int>.Zero)) return Math.Max(0, j - j0);
                Unsafe.WriteUnaligned(py + yRow + j, best);
                Vector.Widen(bestIdx, out var lo, out var hi);
                lo.CopyTo(ix, (int)(iRow + j));
                hi.CopyTo(ix, (int)(iRow + j + Vector<long>.Count));
                j += vw;
            }
        }
        return j - j0;
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
