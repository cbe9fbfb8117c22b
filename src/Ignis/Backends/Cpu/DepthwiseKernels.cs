using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>
/// Depthwise convolution (one input and one output channel per group), where GEMM formulations waste most
/// of their work. Each plane is copied once into a zero-padded buffer so the inner loops run without bounds
/// checks: stride-1 rows are computed a vector of outputs at a time, other strides element by element.
/// </summary>
internal static class DepthwiseKernels
{
    /// <summary>Plane geometry: input H×W, kernel KH×KW, output OH×OW, and the padded buffer's row length.</summary>
    internal readonly record struct Plane(int H, int W, int KH, int KW, int OH, int OW, int SH, int SW, int PH, int PW, int DH, int DW)
    {
        public int PaddedH => Math.Max(H + 2 * PH, (OH - 1) * SH + (KH - 1) * DH + 1);
        public int PaddedW => Math.Max(W + 2 * PW, (OW - 1) * SW + (KW - 1) * DW + 1) + Vector<float>.Count;
    }

    /// <summary>Copies an H×W plane into the centre of a zeroed padded buffer.</summary>
    static void PadInto<T>(in Plane p, ReadOnlySpan<T> src, Span<T> dst) where T : unmanaged
    {
        dst[..(p.PaddedH * p.PaddedW)].Clear();
        for (int i = 0; i < p.H; i++) src.Slice(i * p.W, p.W).CopyTo(dst.Slice((i + p.PH) * p.PaddedW + p.PW, p.W));
    }

    /// <summary>Row length of one stride phase of the padded plane (plus a vector of slack).</summary>
    static int PhaseLen(in Plane p) => (p.PaddedW + p.SW - 1) / p.SW + Vector<float>.Count;

    /// <summary>
    /// Splits each padded row into <c>SW</c> phases, phase r holding columns r, r+SW, r+2·SW…, so that a strided
    /// window reads contiguous memory: padded column ow·SW + c lives in phase c mod SW at ow + c div SW.
    /// </summary>
    static unsafe void SplitPhases<T>(in Plane p, T* pad, T* phases) where T : unmanaged
    {
        int len = PhaseLen(p);
        for (int r = 0; r < p.SW; r++)
            for (int row = 0; row < p.PaddedH; row++)
            {
                T* dst = phases + ((long)r * p.PaddedH + row) * len;
                T* src = pad + (long)row * p.PaddedW + r;
                int j = 0;
                for (; j * p.SW + r < p.PaddedW; j++) dst[j] = src[j * p.SW];
                for (; j < len; j++) dst[j] = default;
            }
    }

    /// <summary>Pointer to padded element (row, column c + ow·SW) in phase layout, at ow = 0.</summary>
    static unsafe T* Tap<T>(in Plane p, T* phases, int row, int c) where T : unmanaged
    {
        if (p.SW == 1) return phases + (long)row * p.PaddedW + c;
        int len = PhaseLen(p);
        return phases + ((long)(c % p.SW) * p.PaddedH + row) * len + c / p.SW;
    }

    /// <summary>
    /// out = bias + Σ w[kh,kw] · xpad[oh·sh + kh·dh, ow·sw + kw·dw] for one plane, a vector of outputs at a time; the
    /// last vector runs past the row end into a scratch row, so no scalar tail is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded<T>(in Plane p, T* src, T* w, T bias, T* y, T* rowTmp) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count;
        bool exact = p.OW % vw == 0;
        var vb = new Vector<T>(bias);
        for (int oh = 0; oh < p.OH; oh++)
        {
            T* yrow = y + (long)oh * p.OW;
            T* dst = exact ? yrow : rowTmp;
            for (int ow = 0; ow < p.OW; ow += vw)
            {
                var acc = vb;
                for (int kh = 0; kh < p.KH; kh++)
                {
                    int row = oh * p.SH + kh * p.DH;
                    T* wr = w + kh * p.KW;
                    for (int kw = 0; kw < p.KW; kw++)
                        acc += new Vector<T>(wr[kw]) * Unsafe.ReadUnaligned<Vector<T>>(Tap(p, src, row, kw * p.DW) + ow);
                }
                Unsafe.WriteUnaligned(dst + ow, acc);
            }
            if (!exact) new ReadOnlySpan<T>(rowTmp, p.OW).CopyTo(new Span<T>(yrow, p.OW));
        }
    }

    /// <summary>Scratch for one worker: the padded plane plus one output row rounded up to whole vectors.</summary>
    static T[] Scratch<T>(in Plane p) => ArrayPool<T>.Shared.Rent(p.PaddedH * p.PaddedW + (p.SW > 1 ? p.SW * p.PaddedH * PhaseLen(p) : 0) + p.OW + 2 * Vector<float>.Count);

    /// <summary>Offset of the phase area inside a scratch buffer (the padded plane itself when the stride is 1).</summary>
    static int PhaseOffset(in Plane p) => p.SW > 1 ? p.PaddedH * p.PaddedW : 0;

    /// <summary>Offset of the scratch output row.</summary>
    static int RowOffset(in Plane p) => p.PaddedH * p.PaddedW + (p.SW > 1 ? p.SW * p.PaddedH * PhaseLen(p) : 0);

    public static void Forward<T>(in Plane p, int planes, int channels, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, (p0, p1) =>
        {
            var buf = Scratch<T>(pp);
            try
            {
                for (long q = p0; q < p1; q++)
                {
                    int c = (int)(q % channels);
                    PadInto(pp, new ReadOnlySpan<T>(x, (int)(xo + q * pp.H * pp.W), pp.H * pp.W), buf);
                    unsafe
                    {
                        fixed (T* pb = buf, pwt = w, py = y)
                        {
                            if (pp.SW > 1) SplitPhases(pp, pb, pb + PhaseOffset(pp));
                            ForwardPadded(pp, pb + PhaseOffset(pp), pwt + wo + (long)c * pp.KH * pp.KW, b is null ? T.Zero : b[bo + c],
                                py + yo + q * pp.OH * pp.OW, pb + RowOffset(pp));
                        }
                    }
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
    }

    /// <summary>
    /// dx: for stride 1 a forward pass over dy padded by dilation·(K−1)−pad with the kernel flipped; otherwise
    /// dy is scattered through the window into a padded buffer and the centre copied out.
    /// </summary>
    public static void BackwardInput<T>(in Plane p, int planes, int channels, T[] gy, long gyo, T[] w, long wo, T[] gx, long gxo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        bool stride1 = p.SH == 1 && p.SW == 1 && p.DH * (p.KH - 1) >= p.PH && p.DW * (p.KW - 1) >= p.PW;
        var flipped = new Plane(p.OH, p.OW, p.KH, p.KW, p.H, p.W, 1, 1, p.DH * (p.KH - 1) - p.PH, p.DW * (p.KW - 1) - p.PW, p.DH, p.DW);
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, (p0, p1) =>
        {
            var buf = stride1 ? Scratch<T>(flipped) : Scratch<T>(pp);
            var wf = new T[pp.KH * pp.KW];
            try
            {
                for (long q = p0; q < p1; q++)
                {
                    int c = (int)(q % channels);
                    var wc = new ReadOnlySpan<T>(w, (int)(wo + (long)c * pp.KH * pp.KW), pp.KH * pp.KW);
                    var dy = new ReadOnlySpan<T>(gy, (int)(gyo + q * pp.OH * pp.OW), pp.OH * pp.OW);
                    var dx = new Span<T>(gx, (int)(gxo + q * pp.H * pp.W), pp.H * pp.W);
                    if (stride1)
                    {
                        for (int i = 0; i < wf.Length; i++) wf[i] = wc[wf.Length - 1 - i];
                        PadInto(flipped, dy, buf);
                        unsafe
                        {
                            fixed (T* pb = buf, pwf = wf, pgx = gx)
                                ForwardPadded(flipped, pb, pwf, T.Zero, pgx + gxo + q * pp.H * pp.W, pb + RowOffset(flipped));
                        }
                        continue;
                    }
                    unsafe
                    {
                        fixed (T* pb = buf, pwc = &w[wo + (long)c * pp.KH * pp.KW])
                            ScatterStrided(pp, dy, pwc, pb + PhaseOffset(pp), pb + RowOffset(pp), dx);
                    }
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
    }

    /// <summary>
    /// dx of a strided depthwise convolution: dy·w accumulated into the phase layout a vector at a time (the
    /// gradient row is zero-padded, so lanes past the row end add nothing), then read back at the unpadded positions.
    /// </summary>
    static unsafe void ScatterStrided<T>(in Plane p, ReadOnlySpan<T> dy, T* w, T* phases, T* rowTmp, Span<T> dx) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count, len = PhaseLen(p);
        new Span<T>(phases, p.SW * p.PaddedH * len).Clear();
        new Span<T>(rowTmp, p.OW + 2 * vw).Clear();
        for (int oh = 0; oh < p.OH; oh++)
        {
            dy.Slice(oh * p.OW, p.OW).CopyTo(new Span<T>(rowTmp, p.OW));
            for (int ow = 0; ow < p.OW; ow += vw)
            {
                var g = Unsafe.ReadUnaligned<Vector<T>>(rowTmp + ow);
                for (int kh = 0; kh < p.KH; kh++)
                {
                    int row = oh * p.SH + kh * p.DH;
                    for (int kw = 0; kw < p.KW; kw++)
                    {
                        T* d = Tap(p, phases, row, kw * p.DW) + ow;
                        Unsafe.WriteUnaligned(d, Unsafe.ReadUnaligned<Vector<T>>(d) + new Vector<T>(w[kh * p.KW + kw]) * g);
                    }
                }
            }
        }
        for (int i = 0; i < p.H; i++)
            for (int j = 0; j < p.W; j++)
            {
                int col = j + p.PW;
                dx[i * p.W + j] = phases[((long)(col % p.SW) * p.PaddedH + i + p.PH) * len + col / p.SW];
            }
    }

    /// <summary>dw[c, kh, kw] = Σ over batch and output positions of dy · xpad at the tap, channels in parallel.</summary>
    public static void BackwardWeight<T>(in Plane p, int batch, int channels, T[] gy, long gyo, T[] x, long xo, T[] gw, long gwo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        int taps = p.KH * p.KW;
        StridedLoop.ParallelRange(channels, (long)batch * p.OH * p.OW * taps, (c0, c1) =>
        {
            var buf = Scratch<T>(pp);
            var acc = new Vector<T>[taps];
            var tail = new T[taps];
            int vw = Vector<T>.Count;
            try
            {
                for (long c = c0; c < c1; c++)
                {
                    Array.Clear(acc);
                    Array.Clear(tail);
                    for (int n = 0; n < batch; n++)
                    {
                        long q = (long)n * channels + c;
                        PadInto(pp, new ReadOnlySpan<T>(x, (int)(xo + q * pp.H * pp.W), pp.H * pp.W), buf);
                        unsafe
                        {
                            fixed (T* pb = buf, pgy = &gy[gyo + q * pp.OH * pp.OW])
                            {
                                T* src = pb + PhaseOffset(pp);
                                if (pp.SW > 1) SplitPhases(pp, pb, src);
                                for (int oh = 0; oh < pp.OH; oh++)
                                {
                                    T* dyRow = pgy + (long)oh * pp.OW;
                                    int ow = 0;
                                    // Whole vectors only: lanes past the row end would multiply real inputs (maybe Inf) by zero.
                                    for (; ow + vw <= pp.OW; ow += vw)
                                    {
                                        var g = Unsafe.ReadUnaligned<Vector<T>>(dyRow + ow);
                                        for (int kh = 0; kh < pp.KH; kh++)
                                        {
                                            int row = oh * pp.SH + kh * pp.DH;
                                            for (int kw = 0; kw < pp.KW; kw++)
                                                acc[kh * pp.KW + kw] += g * Unsafe.ReadUnaligned<Vector<T>>(Tap(pp, src, row, kw * pp.DW) + ow);
                                        }
                                    }
                                    for (; ow < pp.OW; ow++)
                                    {
                                        T g = dyRow[ow];
                                        for (int kh = 0; kh < pp.KH; kh++)
                                        {
                                            int row = oh * pp.SH + kh * pp.DH;
                                            for (int kw = 0; kw < pp.KW; kw++) tail[kh * pp.KW + kw] += g * Tap(pp, src, row, kw * pp.DW)[ow];
                                        }
                                    }
                                }
                            }
                        }
                    }
                    for (int t = 0; t < taps; t++) gw[gwo + c * taps + t] = Vector.Sum(acc[t]) + tail[t];
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
    }
}
