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

    /// <summary>
    /// Copies an H×W plane into the centre of a padded buffer and zeroes the border around it (only the border: the
    /// centre is overwritten). Rows are copied a vector at a time in line: a call per row (Span.CopyTo) cost a third of a
    /// 28×28 plane's whole convolution.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void PadInto<T>(in Plane p, ReadOnlySpan<T> src, Span<T> dst) where T : unmanaged
    {
        int pw = p.PaddedW, h = p.H, w = p.W, top = p.PH, left = p.PW, vw = Vector<T>.Count;
        int right = pw - left - w;
        dst[..(top * pw)].Clear();
        dst[((top + h) * pw)..(p.PaddedH * pw)].Clear();
        fixed (T* s0 = src, d0 = dst)
            for (int i = 0; i < h; i++)
            {
                T* s = s0 + (long)i * w, d = d0 + (long)(i + top) * pw;
                for (int j = 0; j < left; j++) d[j] = default;
                d += left;
                if (w >= vw)
                {
                    for (int j = 0; j < w - vw; j += vw) Unsafe.WriteUnaligned(d + j, Unsafe.ReadUnaligned<Vector<T>>(s + j));
                    Unsafe.WriteUnaligned(d + w - vw, Unsafe.ReadUnaligned<Vector<T>>(s + w - vw));
                }
                else for (int j = 0; j < w; j++) d[j] = s[j];
                if (right >= vw)   // the last zero vector overlaps backwards but stays right of the row's data
                    for (int j = w; j < w + right; j += vw) Unsafe.WriteUnaligned(d + Math.Min(j, w + right - vw), Vector<T>.Zero);
                else for (int j = w; j < w + right; j++) d[j] = default;
            }
    }

    /// <summary>Row length of one stride phase of the padded plane (plus a vector of slack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int PhaseLen(in Plane p) => (p.PaddedW + p.SW - 1) / p.SW + Vector<float>.Count;

    /// <summary>
    /// Writes an H×W plane straight into the stride-phase layout of its zero-padded version: padded column
    /// c = j + PW goes to phase c mod SW at index c div SW, so that a strided window reads contiguous memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void SplitPhases<T>(in Plane p, ReadOnlySpan<T> src, T* phases) where T : unmanaged
    {
        int len = PhaseLen(p);
        long phaseSize = (long)p.PaddedH * len;
        new Span<T>(phases, checked((int)(p.SW * phaseSize))).Clear();
        // Stride 2 on 4-byte elements: deinterleave 2·Count elements at a time, as Count pairs whose low and high halves are
        // the even and odd columns (a scalar strided copy was half of a stride-2 layer's forward time).
        int pairs = p.SW == 2 && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian ? p.W / 2 / Vector<uint>.Count * Vector<uint>.Count : 0;
        int lowPhase = p.PW % 2, lowStart = p.PW / 2, highStart = (p.PW + 1) / 2;
        fixed (T* s0 = src)
            for (int i = 0; i < p.H; i++)
            {
                long rowOff = (long)(i + p.PH) * len;
                T* row = s0 + (long)i * p.W;
                if (pairs > 0)
                {
                    uint* lo = (uint*)(phases + lowPhase * phaseSize + rowOff + lowStart), hi = (uint*)(phases + (1 - lowPhase) * phaseSize + rowOff + highStart);
                    for (int m = 0; m < pairs; m += Vector<uint>.Count)
                    {
                        var a = Unsafe.ReadUnaligned<Vector<ulong>>(row + 2 * m);
                        var b = Unsafe.ReadUnaligned<Vector<ulong>>(row + 2 * m + Vector<uint>.Count);
                        Unsafe.WriteUnaligned(lo + m, Vector.Narrow(a, b));
                        Unsafe.WriteUnaligned(hi + m, Vector.Narrow(Vector.ShiftRightLogical(a, 32), Vector.ShiftRightLogical(b, 32)));
                    }
                }
                // Phase r holds the input columns j with (j + PW) mod SW = r, from index (j + PW) div SW on: one strided copy each.
                for (int r = 0; r < p.SW; r++)
                {
                    int j0 = ((r - p.PW) % p.SW + p.SW) % p.SW + 2 * pairs;
                    T* dst = phases + r * phaseSize + rowOff + (j0 + p.PW) / p.SW;
                    for (int j = j0; j < p.W; j += p.SW) *dst++ = row[j];
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector<T> Load<T>(T* p) where T : unmanaged => Unsafe.ReadUnaligned<Vector<T>>(p);

    /// <summary>a·b + c, fused where the CPU has a vector FMA (float and double; other types multiply and add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<T> MulAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float) && CpuIsa.HasVectorFma)
            return Vector.As<float, T>(Vector.FusedMultiplyAdd(Vector.As<T, float>(a), Vector.As<T, float>(b), Vector.As<T, float>(c)));
        if (typeof(T) == typeof(double) && CpuIsa.HasVectorFma)
            return Vector.As<double, T>(Vector.FusedMultiplyAdd(Vector.As<T, double>(a), Vector.As<T, double>(b), Vector.As<T, double>(c)));
        return a * b + c;
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
    /// dx: for stride 1 a forward pass over dy padded by dilation·(K−1)−pad with the kernel flipped; otherwise a gather
    /// per stride phase (<see cref="GatherStrided{T}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardInput<T>(in Plane p, int planes, int channels, T[] gy, long gyo, T[] w, long wo, T[] gx, long gxo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        bool stride1 = p.SH == 1 && p.SW == 1 && p.DH * (p.KH - 1) >= p.PH && p.DW * (p.KW - 1) >= p.PW;
        var flipped = new Plane(p.OH, p.OW, p.KH, p.KW, p.H, p.W, 1, 1, p.DH * (p.KH - 1) - p.PH, p.DW * (p.KW - 1) - p.PW, p.DH, p.DW);
        var gather = new GatherLayout(p);
        StridedLoop.ParallelRange(planes, (long)p.OH * p.OW * p.KH * p.KW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            var buf = stride1 ? Scratch<T>(flipped) : ArrayPool<T>.Shared.Rent(gather.ScratchLength);
            var wf = new T[pp.KH * pp.KW];
            try
            {
                for (long q = p0; q < p1; q++)
                {
                    int c = (int)(q % channels);
                    var wc = new ReadOnlySpan<T>(w, (int)(wo + (long)c * pp.KH * pp.KW), pp.KH * pp.KW);
                    var dy = new ReadOnlySpan<T>(gy, (int)(gyo + q * pp.OH * pp.OW), pp.OH * pp.OW);
                    unsafe
                    {
                        if (stride1)
                        {
                            for (int i = 0; i < wf.Length; i++) wf[i] = wc[wf.Length - 1 - i];
                            PadInto(flipped, dy, buf);
                            fixed (T* pb = buf, pwf = wf, pgx = gx)
                                ForwardPadded(flipped, pb, pwf, T.Zero, pgx + gxo + q * pp.H * pp.W, pb + RowOffset(flipped));
                            continue;
                        }
                        gather.PadRows(dy, buf);
                        fixed (T* pb = buf, pwc = &w[wo + (long)c * pp.KH * pp.KW], pgx = gx)
                            GatherStrided(pp, gather, pb, pwc, pgx + gxo + q * pp.H * pp.W);
                    }
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
    }

    /// <summary>
    /// dy's rows copied into zeroed rows with Margin columns on the left and enough on the right for any tap of any phase
    /// to read a whole vector (reads outside dy see zeros), followed by one dx row's worth of output scratch.
    /// </summary>
    readonly struct GatherLayout
    {
        /// <summary>Phase indices 0 ≤ q &lt; Q cover every padded column up to the last input column (PW + W − 1).</summary>
        public readonly int OH, OW, Margin, RowLength, Q, PhaseRow, ScratchLength;

        public GatherLayout(in Plane p)
        {
            OH = p.OH;
            OW = p.OW;
            Margin = (p.KW - 1) * p.DW / p.SW + 1;
            Q = (p.W - 1 + p.PW) / p.SW + 1;
            // Phase indices reach Q − 1; a vector from there reads Vector.Count − 1 more.
            RowLength = Margin + Math.Max(OW, Q) + 2 * Vector<float>.Count;
            PhaseRow = Q + 2 * Vector<float>.Count;
            // dy's padded rows, then one row of outputs per phase, then the phases interleaved.
            ScratchLength = OH * RowLength + 2 * p.SW * PhaseRow;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void PadRows<T>(ReadOnlySpan<T> dy, Span<T> dst) where T : unmanaged
        {
            dst[..(OH * RowLength)].Clear();
            for (int r = 0; r < OH; r++) dy.Slice(r * OW, OW).CopyTo(dst.Slice(r * RowLength + Margin, OW));
        }
    }

    /// <summary>
    /// dx of a strided (or over-padded) depthwise convolution as a gather: padded input column pj = q·SW + r receives the
    /// taps kw with kw·DW ≡ r (mod SW) from dy column q − (kw·DW − r)/SW, so for one row and one phase r the outputs at
    /// q = 0, 1, … read consecutive dy columns: a vector of them at a time into one row per phase, then the phases are
    /// interleaved into dx (stride 2 on 4-byte elements: a vector at a time, as the halves of 8-byte pairs). Replaces a
    /// scatter whose read-modify-writes overlapped each other (stride 2: columns o and o + 1 of one phase).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void GatherStrided<T>(in Plane p, in GatherLayout g, T* dyPad, T* w, T* dx) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count, sh = p.SH, sw = p.SW, dh = p.DH, dw = p.DW, kh = p.KH, kwN = p.KW, width = p.W, rowLen = g.RowLength;
        int q = g.Q, phaseRow = g.PhaseRow, pw = p.PW;
        T* phaseOut = dyPad + (long)g.OH * rowLen, mixed = phaseOut + (long)sw * phaseRow;
        bool pairs = sw == 2 && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian;
        Span<nint> src = stackalloc nint[kh * kwN];
        Span<Vector<T>> wv = stackalloc Vector<T>[kh * kwN];
        for (int i = 0; i < p.H; i++)
        {
            int pi = i + p.PH;
            T* dxRow = dx + (long)i * width;
            for (int r = 0; r < sw; r++)
            {
                // This row's and phase's taps: kernel rows whose dy row exists, kernel columns of the phase.
                int n = 0;
                for (int a = 0; a < kh; a++)
                {
                    int d = pi - a * dh;
                    if (d < 0 || d % sh != 0 || d / sh >= g.OH) continue;
                    for (int b = 0; b < kwN; b++)
                        if (b * dw % sw == r)
                        {
                            src[n] = (nint)(dyPad + (long)(d / sh) * rowLen + g.Margin - (b * dw - r) / sw);
                            wv[n++] = new Vector<T>(w[a * kwN + b]);
                        }
                }
                T* outRow = phaseOut + (long)r * phaseRow;
                for (int t = 0; t < q; t += vw)
                {
                    var acc = Vector<T>.Zero;
                    for (int tp = 0; tp < n; tp++) acc = MulAdd(wv[tp], Load((T*)src[tp] + t), acc);
                    Unsafe.WriteUnaligned(outRow + t, acc);
                }
            }
            if (pairs)
            {
                // mixed[2q + r] = phase r's output q: widen both phases to 8-byte lanes and put phase 1 in the high halves.
                uint* e = (uint*)phaseOut, o = (uint*)(phaseOut + phaseRow);
                ulong* m = (ulong*)mixed;
                for (int t = 0; t < q; t += Vector<uint>.Count)
                {
                    Vector.Widen(Unsafe.ReadUnaligned<Vector<uint>>(e + t), out var e0, out var e1);
                    Vector.Widen(Unsafe.ReadUnaligned<Vector<uint>>(o + t), out var o0, out var o1);
                    Unsafe.WriteUnaligned(m + t, e0 | Vector.ShiftLeft(o0, 32));
                    Unsafe.WriteUnaligned(m + t + Vector<ulong>.Count, e1 | Vector.ShiftLeft(o1, 32));
                }
                new ReadOnlySpan<T>(mixed + pw, width).CopyTo(new Span<T>(dxRow, width));
                continue;
            }
            for (int j = 0; j < width; j++) dxRow[j] = phaseOut[(long)((j + pw) % sw) * phaseRow + (j + pw) / sw];
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
            var sum = new T[taps];
            var off = new long[taps];
            TapOffsets(pp, off);
            try
            {
                for (long c = c0; c < c1; c++)
                {
                    Array.Clear(sum);
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
                                if (taps == 9 && pp.KH == 3) WeightPlane9(pp, src, pgy, off, sum);
                                else WeightPlane(pp, src, pgy, off, sum);
                            }
                        }
                    }
                    sum.CopyTo(new Span<T>(gw, (int)(gwo + c * taps), taps));
                }
            }
            finally { ArrayPool<T>.Shared.Return(buf); }
        });
    }

    /// <summary>Lanes [0, count) set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static Vector<T> LanesBelow<T>(int count) where T : unmanaged, INumber<T> => ~LanesFrom<T>(count);

    /// <summary>Lanes [first, Count) set: the lanes of a row's last vector, placed to end at the row's end, not already counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static Vector<T> LanesFrom<T>(int first) where T : unmanaged, INumber<T>
    {
        Span<T> lanes = stackalloc T[Vector<T>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = T.CreateTruncating(i);
        return Vector.GreaterThanOrEqual(new Vector<T>(lanes), new Vector<T>(T.CreateTruncating(first)));
    }

    /// <summary>
    /// sum[t] += Σ over one plane's output positions of dy · xpad at tap t. A row that is not a whole number of vectors
    /// ends with a vector placed to end at the row's end, its already-counted lanes masked out after the product (masking
    /// dy alone would turn an Inf input into NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void WeightPlane<T>(in Plane p, T* src, T* gy, ReadOnlySpan<long> off, Span<T> sum) where T : unmanaged, INumber<T>
    {
        long rowStep = (long)p.SH * RowStride(p);
        int vw = Vector<T>.Count, taps = off.Length, outH = p.OH, outW = p.OW, rem = outW % vw;
        // Rows narrower than a vector as in WeightPlane9: one masked vector, the plane's last row from a padded copy.
        bool narrow = outW < vw;
        int last = narrow ? 0 : outW - vw;
        var mask = narrow ? LanesBelow<T>(outW) : LanesFrom<T>(vw - rem);
        T* lastRow = stackalloc T[vw];
        for (int j = 0; j < vw; j++) lastRow[j] = narrow && j < outW ? gy[(long)(outH - 1) * outW + j] : T.Zero;
        Span<Vector<T>> acc = stackalloc Vector<T>[taps];
        acc.Clear();
        for (int oh = 0; oh < outH; oh++)
        {
            T* dyRow = gy + (long)oh * outW;
            T* rowBase = src + oh * rowStep;
            for (int ow = 0; ow <= last && !narrow; ow += vw)
            {
                var g = Load(dyRow + ow);
                for (int t = 0; t < taps; t++) acc[t] = MulAdd(g, Load(rowBase + ow + off[t]), acc[t]);
            }
            if (rem == 0) continue;
            var gl = Load(narrow && oh == outH - 1 ? lastRow : dyRow + last);
            for (int t = 0; t < taps; t++) acc[t] += Vector.ConditionalSelect(mask, gl * Load(rowBase + last + off[t]), Vector<T>.Zero);
        }
        for (int t = 0; t < taps; t++) sum[t] += Vector.Sum(acc[t]);
    }

    /// <summary>
    /// <see cref="WeightPlane{T}"/> for 3×3 kernels: the nine accumulators in registers,
    /// the taps addressed by three row pointers and two column offsets (see <see cref="ForwardPadded9{T}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void WeightPlane9<T>(in Plane p, T* src, T* gy, ReadOnlySpan<long> off, Span<T> sum) where T : unmanaged, INumber<T>
    {
        long rowStep = (long)p.SH * RowStride(p);
        int vw = Vector<T>.Count, outH = p.OH, outW = p.OW, rem = outW % vw;
        // A row narrower than a vector (7×7 maps) is one masked vector: dy's next row fills its upper lanes, except after
        // the plane's last row, which is read from a zero-padded copy.
        bool narrow = outW < vw;
        int last = narrow ? 0 : outW - vw;
        var mask = narrow ? LanesBelow<T>(outW) : LanesFrom<T>(vw - rem);
        T* lastRow = stackalloc T[vw];
        for (int j = 0; j < vw; j++) lastRow[j] = narrow && j < outW ? gy[(long)(outH - 1) * outW + j] : T.Zero;
        long r1 = off[3], r2 = off[6], c1 = off[1], c2 = off[2];
        Vector<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        for (int oh = 0; oh < outH; oh++)
        {
            T* dyRow = gy + (long)oh * outW;
            T* b0 = src + oh * rowStep;
            T* b1 = b0 + r1, b2 = b0 + r2;
            int ow = 0;
            for (; ow <= last && !narrow; ow += vw)
            {
                var g = Load(dyRow + ow);
                a0 = MulAdd(g, Load(b0 + ow), a0); a1 = MulAdd(g, Load(b0 + ow + c1), a1); a2 = MulAdd(g, Load(b0 + ow + c2), a2);
                a3 = MulAdd(g, Load(b1 + ow), a3); a4 = MulAdd(g, Load(b1 + ow + c1), a4); a5 = MulAdd(g, Load(b1 + ow + c2), a5);
                a6 = MulAdd(g, Load(b2 + ow), a6); a7 = MulAdd(g, Load(b2 + ow + c1), a7); a8 = MulAdd(g, Load(b2 + ow + c2), a8);
            }
            if (rem == 0) continue;
            var gl = Load(narrow && oh == outH - 1 ? lastRow : dyRow + last);
            var z = Vector<T>.Zero;
            a0 += Vector.ConditionalSelect(mask, gl * Load(b0 + last), z);
            a1 += Vector.ConditionalSelect(mask, gl * Load(b0 + last + c1), z);
            a2 += Vector.ConditionalSelect(mask, gl * Load(b0 + last + c2), z);
            a3 += Vector.ConditionalSelect(mask, gl * Load(b1 + last), z);
            a4 += Vector.ConditionalSelect(mask, gl * Load(b1 + last + c1), z);
            a5 += Vector.ConditionalSelect(mask, gl * Load(b1 + last + c2), z);
            a6 += Vector.ConditionalSelect(mask, gl * Load(b2 + last), z);
            a7 += Vector.ConditionalSelect(mask, gl * Load(b2 + last + c1), z);
            a8 += Vector.ConditionalSelect(mask, gl * Load(b2 + last + c2), z);
        }
        sum[0] += Vector.Sum(a0); sum[1] += Vector.Sum(a1); sum[2] += Vector.Sum(a2); sum[3] += Vector.Sum(a3); sum[4] += Vector.Sum(a4);
        sum[5] += Vector.Sum(a5); sum[6] += Vector.Sum(a6); sum[7] += Vector.Sum(a7); sum[8] += Vector.Sum(a8);
    }
}
