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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PadInto<T>(in Plane p, ReadOnlySpan<T> src, Span<T> dst) where T : unmanaged
    {
        dst[..(p.PaddedH * p.PaddedW)].Clear();
        for (int i = 0; i < p.H; i++) src.Slice(i * p.W, p.W).CopyTo(dst.Slice((i + p.PH) * p.PaddedW + p.PW, p.W));
    }

    /// <summary>Row length of one stride phase of the padded plane (plus a vector of slack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int PhaseLen(in Plane p) => (p.PaddedW + p.SW - 1) / p.SW + Vector<float>.Count;

    /// <summary>
    /// Writes an H×W plane straight into the stride-phase layout of its zero-padded version: padded column
    /// c = j + PW goes to phase c mod SW at index c div SW, so that a strided window reads contiguous memory.
    /// The phase and index are carried along the row instead of divided out per element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void SplitPhases<T>(in Plane p, ReadOnlySpan<T> src, T* phases) where T : unmanaged
    {
        int len = PhaseLen(p);
        long phaseSize = (long)p.PaddedH * len;
        new Span<T>(phases, checked((int)(p.SW * phaseSize))).Clear();
        for (int i = 0; i < p.H; i++)
        {
            long rowOff = (long)(i + p.PH) * len;
            int r = p.PW % p.SW, q = p.PW / p.SW;
            var row = src.Slice(i * p.W, p.W);
            for (int j = 0; j < p.W; j++)
            {
                phases[r * phaseSize + rowOff + q] = row[j];
                if (++r == p.SW) { r = 0; q++; }
            }
        }
    }

    /// <summary>Row stride of the layout the inner loops read: phase rows when strided, padded rows otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int RowStride(in Plane p) => p.SW > 1 ? PhaseLen(p) : p.PaddedW;

    /// <summary>
    /// Offset of tap (kh, kw) relative to the start of output row 0, column 0, in the layout the inner loops read:
    /// padded column ow·SW + c lives in phase c mod SW at ow + c div SW. Computed once so inner loops only add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TapOffsets(in Plane p, Span<long> offsets)
    {
        long rs = RowStride(p);
        for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int c = kw * p.DW;
                long col = p.SW > 1 ? (long)(c % p.SW) * p.PaddedH * rs + c / p.SW : c;
                offsets[kh * p.KW + kw] = kh * p.DH * rs + col;
            }
    }

    /// <summary>
    /// out = bias + Σ w[kh,kw] · xpad[oh·sh + kh·dh, ow·sw + kw·dw] for one plane, a vector of outputs at a time; the
    /// last vector runs past the row end into a scratch row, so no scalar tail is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded<T>(in Plane p, T* src, T* w, T bias, T* y, T* rowTmp) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count, taps = p.KH * p.KW;
        bool exact = p.OW % vw == 0;
        var vb = new Vector<T>(bias);
        Span<long> off = stackalloc long[taps];
        TapOffsets(p, off);
        Span<Vector<T>> wv = stackalloc Vector<T>[taps];
        for (int t = 0; t < taps; t++) wv[t] = new Vector<T>(w[t]);
        long rowStep = (long)p.SH * RowStride(p);
        for (int oh = 0; oh < p.OH; oh++)
        {
            T* yrow = y + (long)oh * p.OW;
            T* dst = exact ? yrow : rowTmp;
            T* rowBase = src + oh * rowStep;
            for (int ow = 0; ow < p.OW; ow += vw)
            {
                var acc = vb;
                T* b = rowBase + ow;
                for (int t = 0; t < taps; t++) acc += wv[t] * Unsafe.ReadUnaligned<Vector<T>>(b + off[t]);
                Unsafe.WriteUnaligned(dst + ow, acc);
            }
            if (!exact) new ReadOnlySpan<T>(rowTmp, p.OW).CopyTo(new Span<T>(yrow, p.OW));
        }
    }

    /// <summary>Scratch for one worker: the padded plane plus one output row rounded up to whole vectors.</summary>
    static T[] Scratch<T>(in Plane p) => ArrayPool<T>.Shared.Rent(p.PaddedH * p.PaddedW + (p.SW > 1 ? p.SW * p.PaddedH * PhaseLen(p) : 0) + p.OW + 2 * Vector<float>.Count);

    /// <summary>Offset of the phase area inside a scratch buffer (the padded plane itself when the stride is 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int PhaseOffset(in Plane p) => p.SW > 1 ? p.PaddedH * p.PaddedW : 0;

    /// <summary>Offset of the scratch output row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int RowOffset(in Plane p) => p.PaddedH * p.PaddedW + (p.SW > 1 ? p.SW * p.PaddedH * PhaseLen(p) : 0);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(in Plane p, int planes, int channels, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            var buf = Scratch<T>(pp);
            try
            {
                for (long q = p0; q < p1; q++)
                {
                    int c = (int)(q % channels);
                    var plane = new ReadOnlySpan<T>(x, (int)(xo + q * pp.H * pp.W), pp.H * pp.W);
                    if (pp.SW == 1) PadInto(pp, plane, buf);
                    unsafe
                    {
                        fixed (T* pb = buf, pwt = w, py = y)
                        {
                            if (pp.SW > 1) SplitPhases(pp, plane, pb + PhaseOffset(pp));
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardInput<T>(in Plane p, int planes, int channels, T[] gy, long gyo, T[] w, long wo, T[] gx, long gxo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        bool stride1 = p.SH == 1 && p.SW == 1 && p.DH * (p.KH - 1) >= p.PH && p.DW * (p.KW - 1) >= p.PW;
        var flipped = new Plane(p.OH, p.OW, p.KH, p.KW, p.H, p.W, 1, 1, p.DH * (p.KH - 1) - p.PH, p.DW * (p.KW - 1) - p.PW, p.DH, p.DW);
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScatterStrided<T>(in Plane p, ReadOnlySpan<T> dy, T* w, T* phases, T* rowTmp, Span<T> dx) where T : unmanaged, INumber<T>
    {
        // Stride 1 across (reached when the padding exceeds the kernel's reach, or with a row stride only) has one
        // phase: the padded plane itself, whose row length the tap offsets and the scratch buffer are laid out for.
        int vw = Vector<T>.Count, len = p.SW > 1 ? PhaseLen(p) : p.PaddedW, taps = p.KH * p.KW;
        Span<long> off = stackalloc long[taps];
        TapOffsets(p, off);
        Span<Vector<T>> wv = stackalloc Vector<T>[taps];
        for (int t = 0; t < taps; t++) wv[t] = new Vector<T>(w[t]);
        new Span<T>(phases, p.SW * p.PaddedH * len).Clear();
        new Span<T>(rowTmp, p.OW + 2 * vw).Clear();
        long rowStep = (long)p.SH * len;
        for (int oh = 0; oh < p.OH; oh++)
        {
            dy.Slice(oh * p.OW, p.OW).CopyTo(new Span<T>(rowTmp, p.OW));
            T* rowBase = phases + oh * rowStep;
            for (int ow = 0; ow < p.OW; ow += vw)
            {
                var g = Unsafe.ReadUnaligned<Vector<T>>(rowTmp + ow);
                T* b = rowBase + ow;
                for (int t = 0; t < taps; t++)
                {
                    T* d = b + off[t];
                    Unsafe.WriteUnaligned(d, Unsafe.ReadUnaligned<Vector<T>>(d) + wv[t] * g);
                }
            }
        }
        long phaseSize = (long)p.PaddedH * len;
        for (int i = 0; i < p.H; i++)
        {
            long rowOff = (long)(i + p.PH) * len;
            int r = p.PW % p.SW, q = p.PW / p.SW;
            for (int j = 0; j < p.W; j++)
            {
                dx[i * p.W + j] = phases[r * phaseSize + rowOff + q];
                if (++r == p.SW) { r = 0; q++; }
            }
        }
    }

    /// <summary>dw[c, kh, kw] = Σ over batch and output positions of dy · xpad at the tap, channels in parallel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeight<T>(in Plane p, int batch, int channels, T[] gy, long gyo, T[] x, long xo, T[] gw, long gwo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        int taps = p.KH * p.KW;
        StridedLoop.ParallelRange(channels, (long)batch * p.OH * p.OW * taps, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            var buf = Scratch<T>(pp);
            var acc = new Vector<T>[taps];
            var tail = new T[taps];
            var off = new long[taps];
            TapOffsets(pp, off);
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
                        var plane = new ReadOnlySpan<T>(x, (int)(xo + q * pp.H * pp.W), pp.H * pp.W);
                        if (pp.SW == 1) PadInto(pp, plane, buf);
                        unsafe
                        {
                            fixed (T* pb = buf, pgy = &gy[gyo + q * pp.OH * pp.OW])
                            {
                                T* src = pb + PhaseOffset(pp);
                                if (pp.SW > 1) SplitPhases(pp, plane, src);
                                long rowStep = (long)pp.SH * RowStride(pp);
                                for (int oh = 0; oh < pp.OH; oh++)
                                {
                                    T* dyRow = pgy + (long)oh * pp.OW;
                                    T* rowBase = src + oh * rowStep;
                                    int ow = 0;
                                    // Whole vectors only: lanes past the row end would multiply real inputs (maybe Inf) by zero.
                                    for (; ow + vw <= pp.OW; ow += vw)
                                    {
                                        var g = Unsafe.ReadUnaligned<Vector<T>>(dyRow + ow);
                                        T* b = rowBase + ow;
                                        for (int t = 0; t < taps; t++) acc[t] += g * Unsafe.ReadUnaligned<Vector<T>>(b + off[t]);
                                    }
                                    for (; ow < pp.OW; ow++)
                                    {
                                        T g = dyRow[ow];
                                        T* b = rowBase + ow;
                                        for (int t = 0; t < taps; t++) tail[t] += g * b[off[t]];
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
