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

    /// <summary>out = bias + Σ w[kh,kw] · xpad[oh·sh + kh·dh, ow·sw + kw·dw] for one plane (x already padded).</summary>
    /// <remarks>
    /// Stride-1 rows are computed in whole vectors, the last one running past the row end into a scratch row
    /// (the padded buffer has a vector of slack), so no scalar tail is needed.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded<T>(in Plane p, T* xpad, T* w, T bias, T* y, T* rowTmp) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count;
        int pw = p.PaddedW;
        bool exact = p.OW % vw == 0;
        var vb = new Vector<T>(bias);
        for (int oh = 0; oh < p.OH; oh++)
        {
            T* yrow = y + (long)oh * p.OW;
            if (p.SW == 1)
            {
                T* dst = exact ? yrow : rowTmp;
                for (int ow = 0; ow < p.OW; ow += vw)
                {
                    var acc = vb;
                    for (int kh = 0; kh < p.KH; kh++)
                    {
                        T* xr = xpad + (long)(oh * p.SH + kh * p.DH) * pw + ow;
                        T* wr = w + kh * p.KW;
                        for (int kw = 0; kw < p.KW; kw++)
                            acc += new Vector<T>(wr[kw]) * Unsafe.ReadUnaligned<Vector<T>>(xr + kw * p.DW);
                    }
                    Unsafe.WriteUnaligned(dst + ow, acc);
                }
                if (!exact) new ReadOnlySpan<T>(rowTmp, p.OW).CopyTo(new Span<T>(yrow, p.OW));
                continue;
            }
            for (int ow = 0; ow < p.OW; ow++)
            {
                T acc = bias;
                for (int kh = 0; kh < p.KH; kh++)
                {
                    T* xr = xpad + (long)(oh * p.SH + kh * p.DH) * pw + ow * p.SW;
                    for (int kw = 0; kw < p.KW; kw++) acc += w[kh * p.KW + kw] * xr[kw * p.DW];
                }
                yrow[ow] = acc;
            }
        }
    }

    /// <summary>Scratch for one worker: the padded plane plus one output row rounded up to whole vectors.</summary>
    static T[] Scratch<T>(in Plane p) => ArrayPool<T>.Shared.Rent(p.PaddedH * p.PaddedW + p.OW + 2 * Vector<float>.Count);

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
                            ForwardPadded(pp, pb, pwt + wo + (long)c * pp.KH * pp.KW, b is null ? T.Zero : b[bo + c],
                                py + yo + q * pp.OH * pp.OW, pb + pp.PaddedH * pp.PaddedW);
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
                                ForwardPadded(flipped, pb, pwf, T.Zero, pgx + gxo + q * pp.H * pp.W, pb + flipped.PaddedH * flipped.PaddedW);
                        }
                        continue;
                    }
                    var pad = buf.AsSpan(0, pp.PaddedH * pp.PaddedW);
                    pad.Clear();
                    for (int oh = 0; oh < pp.OH; oh++)
                        for (int ow = 0; ow < pp.OW; ow++)
                        {
                            T g = dy[oh * pp.OW + ow];
                            for (int kh = 0; kh < pp.KH; kh++)
                            {
                                int rowBase = (oh * pp.SH + kh * pp.DH) * pp.PaddedW + ow * pp.SW;
                                for (int kw = 0; kw < pp.KW; kw++) pad[rowBase + kw * pp.DW] += g * wc[kh * pp.KW + kw];
                            }
                        }
                    for (int i = 0; i < pp.H; i++) pad.Slice((i + pp.PH) * pp.PaddedW + pp.PW, pp.W).CopyTo(dx.Slice(i * pp.W, pp.W));
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
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
                        var dy = new ReadOnlySpan<T>(gy, (int)(gyo + q * pp.OH * pp.OW), pp.OH * pp.OW);
                        ReadOnlySpan<T> xp = buf;
                        for (int oh = 0; oh < pp.OH; oh++)
                        {
                            var dyRow = dy.Slice(oh * pp.OW, pp.OW);
                            int ow = 0;
                            // Whole vectors only: lanes past the row end would multiply real inputs (maybe Inf) by zero.
                            if (pp.SW == 1)
                            {
                                for (; ow + vw <= pp.OW; ow += vw)
                                {
                                    var g = new Vector<T>(dyRow.Slice(ow, vw));
                                    for (int kh = 0; kh < pp.KH; kh++)
                                    {
                                        var xrow = xp.Slice((oh * pp.SH + kh * pp.DH) * pp.PaddedW + ow);
                                        for (int kw = 0; kw < pp.KW; kw++)
                                            acc[kh * pp.KW + kw] += g * new Vector<T>(xrow.Slice(kw * pp.DW, vw));
                                    }
                                }
                            }
                            for (; ow < pp.OW; ow++)
                            {
                                T g = dyRow[ow];
                                for (int kh = 0; kh < pp.KH; kh++)
                                {
                                    int rowBase = (oh * pp.SH + kh * pp.DH) * pp.PaddedW + ow * pp.SW;
                                    for (int kw = 0; kw < pp.KW; kw++) tail[kh * pp.KW + kw] += g * xp[rowBase + kw * pp.DW];
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
