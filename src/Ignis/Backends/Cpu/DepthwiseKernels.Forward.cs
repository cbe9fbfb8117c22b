using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

// Depthwise forward pass: planes in parallel; 3×3 and 5×5 kernels with their weights in registers.

internal static partial class DepthwiseKernels
{
    /// <summary>y = conv(x, w) + b over <paramref name="planes"/> planes (batch · channels), channel = plane mod channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(in Plane p, int planes, int channels, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        bool prefetch = Prefetches<T>(p, planes);
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            var buf = Scratch<T>(pp);
            try
            {
                for (long q = p0; q < p1; q++)
                {
                    int c = (int)(q % channels);
                    var plane = new ReadOnlySpan<T>(x, (int)(xo + q * pp.H * pp.W), pp.H * pp.W);
                    if (prefetch && q + 1 < p1) PrefetchPlane(x, xo + (q + 1) * pp.H * pp.W, pp.H * pp.W);
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
    /// out = bias + Σ w[kh,kw] · xpad[oh·sh + kh·dh, ow·sw + kw·dw] for one plane, a vector of outputs at a time. A row
    /// that is not a whole number of vectors ends with one vector overlapping the previous one (the padded layout is
    /// readable there); a row shorter than a vector goes through a scratch row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded<T>(in Plane p, T* src, T* w, T bias, T* y, T* rowTmp) where T : unmanaged, INumber<T>
    {
        int taps = p.KH * p.KW;
        Span<long> off = stackalloc long[taps];
        TapOffsets(p, off);
        if (taps == 9 && p.KH == 3)
        {
            ForwardPadded9(p, src, w, bias, y, rowTmp, off);
            return;
        }
        if (taps == 25 && p.KH == 5)
        {
            ForwardPadded25(p, src, w, bias, y, rowTmp, off);
            return;
        }
        int vw = Vector<T>.Count;
        bool narrow = p.OW < vw;
        var vb = new Vector<T>(bias);
        Span<Vector<T>> wv = stackalloc Vector<T>[taps];
        for (int t = 0; t < taps; t++) wv[t] = new Vector<T>(w[t]);
        long rowStep = (long)p.SH * RowStride(p);
        for (int oh = 0; oh < p.OH; oh++)
        {
            T* yrow = y + (long)oh * p.OW;
            T* dst = narrow ? rowTmp : yrow;
            T* rowBase = src + oh * rowStep;
            for (int ow = 0; ow < p.OW; ow += vw)
            {
                int o = narrow ? ow : Math.Min(ow, p.OW - vw);
                var acc = vb;
                T* b = rowBase + o;
                for (int t = 0; t < taps; t++) acc += wv[t] * Unsafe.ReadUnaligned<Vector<T>>(b + off[t]);
                Unsafe.WriteUnaligned(dst + o, acc);
            }
            if (narrow) new ReadOnlySpan<T>(rowTmp, p.OW).CopyTo(new Span<T>(yrow, p.OW));
        }
    }

    /// <summary>
    /// <see cref="ForwardPadded{T}"/> for 3×3 kernels (every depthwise layer of mobilenet_v2 and most of efficientnet).
    /// Tap (kh, kw) sits at row offset off[3·kh] plus column offset off[kw], so three row pointers and two column
    /// offsets address all nine; the weights stay in registers because nothing in the loops is a call (a call would
    /// make the JIT spill every vector register around it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded9<T>(in Plane p, T* src, T* w, T bias, T* y, T* rowTmp, ReadOnlySpan<long> off) where T : unmanaged, INumber<T>
    {
        // Everything that may be a call comes before the vectors are made: the JIT spills vector registers across calls.
        long rowStep = (long)p.SH * RowStride(p);
        int vw = Vector<T>.Count, outH = p.OH, outW = p.OW;
        bool narrow = outW < vw;
        long r1 = off[3], r2 = off[6], c1 = off[1], c2 = off[2];
        var vb = new Vector<T>(bias);
        Vector<T> w0 = new(w[0]), w1 = new(w[1]), w2 = new(w[2]), w3 = new(w[3]), w4 = new(w[4]), w5 = new(w[5]),
            w6 = new(w[6]), w7 = new(w[7]), w8 = new(w[8]);
        for (int oh = 0; oh < outH; oh++)
        {
            T* yrow = y + (long)oh * outW;
            T* dst = narrow ? rowTmp : yrow;
            T* b0 = src + oh * rowStep;
            T* b1 = b0 + r1, b2 = b0 + r2;
            for (int ow = 0; ow < outW; ow += vw)
            {
                int o = narrow ? ow : Math.Min(ow, outW - vw);
                // Three independent chains, so consecutive multiply-adds do not wait on each other.
                var s0 = MulAdd(w2, Load(b0 + o + c2), MulAdd(w1, Load(b0 + o + c1), MulAdd(w0, Load(b0 + o), vb)));
                var s1 = MulAdd(w5, Load(b1 + o + c2), MulAdd(w4, Load(b1 + o + c1), w3 * Load(b1 + o)));
                var s2 = MulAdd(w8, Load(b2 + o + c2), MulAdd(w7, Load(b2 + o + c1), w6 * Load(b2 + o)));
                Unsafe.WriteUnaligned(dst + o, s0 + s1 + s2);
            }
            if (narrow)
                for (int j = 0; j < outW; j++) yrow[j] = rowTmp[j];
        }
    }

    /// <summary>
    /// <see cref="ForwardPadded{T}"/> for 5×5 kernels (efficientnet_b0's 5×5 depthwise layers): five row pointers, four
    /// column offsets and the 25 weights in registers (with AVX-512's 32; fewer registers spill some of them to the stack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardPadded25<T>(in Plane p, T* src, T* w, T bias, T* y, T* rowTmp, ReadOnlySpan<long> off) where T : unmanaged, INumber<T>
    {
        long rowStep = (long)p.SH * RowStride(p);
        int vw = Vector<T>.Count, outH = p.OH, outW = p.OW;
        bool narrow = outW < vw;
        long r1 = off[5], r2 = off[10], r3 = off[15], r4 = off[20], c1 = off[1], c2 = off[2], c3 = off[3], c4 = off[4];
        var vb = new Vector<T>(bias);
        Vector<T> w00 = new(w[0]), w01 = new(w[1]), w02 = new(w[2]), w03 = new(w[3]), w04 = new(w[4]),
            w10 = new(w[5]), w11 = new(w[6]), w12 = new(w[7]), w13 = new(w[8]), w14 = new(w[9]),
            w20 = new(w[10]), w21 = new(w[11]), w22 = new(w[12]), w23 = new(w[13]), w24 = new(w[14]),
            w30 = new(w[15]), w31 = new(w[16]), w32 = new(w[17]), w33 = new(w[18]), w34 = new(w[19]),
            w40 = new(w[20]), w41 = new(w[21]), w42 = new(w[22]), w43 = new(w[23]), w44 = new(w[24]);
        for (int oh = 0; oh < outH; oh++)
        {
            T* yrow = y + (long)oh * outW;
            T* dst = narrow ? rowTmp : yrow;
            T* b0 = src + oh * rowStep;
            T* b1 = b0 + r1, b2 = b0 + r2, b3 = b0 + r3, b4 = b0 + r4;
            for (int ow = 0; ow < outW; ow += vw)
            {
                int o = narrow ? ow : Math.Min(ow, outW - vw);
                var s0 = Row5(b0 + o, c1, c2, c3, c4, w00, w01, w02, w03, w04, vb);
                var s1 = Row5(b1 + o, c1, c2, c3, c4, w10, w11, w12, w13, w14, Vector<T>.Zero);
                var s2 = Row5(b2 + o, c1, c2, c3, c4, w20, w21, w22, w23, w24, Vector<T>.Zero);
                var s3 = Row5(b3 + o, c1, c2, c3, c4, w30, w31, w32, w33, w34, Vector<T>.Zero);
                var s4 = Row5(b4 + o, c1, c2, c3, c4, w40, w41, w42, w43, w44, Vector<T>.Zero);
                Unsafe.WriteUnaligned(dst + o, s0 + s1 + s2 + s3 + s4);
            }
            if (narrow)
                for (int j = 0; j < outW; j++) yrow[j] = rowTmp[j];
        }
    }

    /// <summary>acc + Σ_kw w_kw · b[c_kw] over one kernel row of five taps (c0 = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector<T> Row5<T>(T* b, long c1, long c2, long c3, long c4, Vector<T> w0, Vector<T> w1, Vector<T> w2, Vector<T> w3, Vector<T> w4,
        Vector<T> acc) where T : unmanaged, INumber<T> =>
        MulAdd(w4, Load(b + c4), MulAdd(w3, Load(b + c3), MulAdd(w2, Load(b + c2), MulAdd(w1, Load(b + c1), MulAdd(w0, Load(b), acc)))));
}
