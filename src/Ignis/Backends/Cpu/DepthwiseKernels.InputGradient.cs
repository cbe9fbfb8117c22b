using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

// Depthwise input gradient: stride 1 as a forward pass of the flipped kernel, other strides as a gather per phase.

internal static partial class DepthwiseKernels
{
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
        bool halving3 = IsHalving3<T>(p);
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
                        {
                            if (halving3) GatherHalving3(pp, gather, pb, pwc, pgx + gxo + q * pp.H * pp.W);
                            else GatherStrided(pp, gather, pb, pwc, pgx + gxo + q * pp.H * pp.W);
                        }
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

        /// <summary>
        /// The taps of input row i and column phase r, the same for every plane: entries [TapStart[i·SW + r],
        /// TapStart[i·SW + r + 1]) give each tap's dy row, its column shift and its kernel element. Worked out once per
        /// call, not per plane and row (the divisions and remainders cost more than the row's arithmetic: 144 planes at
        /// 56×56, stride 2).
        /// </summary>
        public readonly int[] TapStart, TapRow, TapShift, TapWeight;

        public GatherLayout(in Plane p)
        {
            var start = new int[p.H * p.SW + 1];
            List<int> rows = [], shifts = [], weights = [];
            for (int i = 0; i < p.H; i++)
                for (int r = 0; r < p.SW; r++)
                {
                    start[i * p.SW + r] = rows.Count;
                    int pi = i + p.PH;
                    for (int a = 0; a < p.KH; a++)
                    {
                        int d = pi - a * p.DH;
                        if (d < 0 || d % p.SH != 0 || d / p.SH >= p.OH) continue;
                        for (int b = 0; b < p.KW; b++)
                            if (b * p.DW % p.SW == r)
                            {
                                rows.Add(d / p.SH);
                                shifts.Add((b * p.DW - r) / p.SW);
                                weights.Add(a * p.KW + b);
                            }
                    }
                }
            start[p.H * p.SW] = rows.Count;
            TapStart = start;
            TapRow = [.. rows];
            TapShift = [.. shifts];
            TapWeight = [.. weights];
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
        public unsafe void PadRows<T>(ReadOnlySpan<T> dy, Span<T> dst) where T : unmanaged
        {
            dst[..(OH * RowLength)].Clear();
            fixed (T* s = dy, d = dst)
                for (int r = 0; r < OH; r++) CopyRow(s + (long)r * OW, d + (long)r * RowLength + Margin, OW);
        }
    }

    /// <summary>
    /// n elements from src to dst a vector at a time in line (the last vector overlapping the one before), element by
    /// element when shorter than a vector: a Span copy per row of a 28×28 plane is a call into memmove each, a fifth of a
    /// stride-2 layer's input gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void CopyRow<T>(T* src, T* dst, int n) where T : unmanaged
    {
        int vw = Vector<T>.Count;
        if (n < vw)
        {
            for (int j = 0; j < n; j++) dst[j] = src[j];
            return;
        }
        for (int j = 0; j < n - vw; j += vw) Unsafe.WriteUnaligned(dst + j, Unsafe.ReadUnaligned<Vector<T>>(src + j));
        Unsafe.WriteUnaligned(dst + n - vw, Unsafe.ReadUnaligned<Vector<T>>(src + n - vw));
    }

    /// <summary>
    /// The downsampling layer of mobilenet_v2 and efficientnet_b0 — 3×3, stride 2, padding 1, no dilation, an even input
    /// of twice the output's size, rows of at least a vector — in float32 on a vector machine (<see cref="GatherHalving3{T}"/>).
    /// </summary>
    static bool IsHalving3<T>(in Plane p) where T : unmanaged =>
        p is { KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1 } && p.H == 2 * p.OH && p.W == 2 * p.OW &&
        p.OW >= Vector<T>.Count && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian;

    /// <summary>
    /// <see cref="GatherStrided{T}"/> for the layers of <see cref="IsHalving3{T}"/>, with the taps worked out by hand:
    /// dx[i, j] = Σ w[a, b] · dy[(i + 1 − a)/2, (j + 1 − b)/2] over the even numerators, so an even row i reads dy row i/2
    /// with kernel row 1, an odd one dy rows (i − 1)/2 (kernel row 2) and (i + 1)/2 (kernel row 0, absent past the last);
    /// column 2m gets w[a, 1]·dy[m] and column 2m + 1 gets w[a, 0]·dy[m + 1] + w[a, 2]·dy[m]. Both columns come from one
    /// pass over dy's row and are interleaved into dx's row in registers (the 8-byte-pair widening of the general path),
    /// with the weights held in registers and no tap tables or phase rows: the general gather's bookkeeping was most of
    /// this layer's input gradient (144 channels at 56×56, batch 4). A row's last vector of outputs overlaps the one
    /// before it (recomputing the same values), so every store stays within its row. dy rows are padded (PadRows): the
    /// read at m + 1 past the last column sees zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void GatherHalving3<T>(in Plane p, in GatherLayout g, T* dyPad, T* w, T* dx) where T : unmanaged, INumber<T>
    {
        int vw = Vector<T>.Count, ow = p.OW, oh = p.OH, width = p.W, rowLen = g.RowLength;
        T* dy0 = dyPad + g.Margin;
        var w00 = new Vector<T>(w[0]); var w01 = new Vector<T>(w[1]); var w02 = new Vector<T>(w[2]);
        var w10 = new Vector<T>(w[3]); var w11 = new Vector<T>(w[4]); var w12 = new Vector<T>(w[5]);
        var w20 = new Vector<T>(w[6]); var w21 = new Vector<T>(w[7]); var w22 = new Vector<T>(w[8]);
        for (int i = 0; i < p.H; i++)
        {
            ulong* dxRow = (ulong*)(dx + (long)i * width);
            bool odd = (i & 1) == 1, two = odd && (i + 1) / 2 < oh;
            // Odd rows: kernel row 2 on dy row (i − 1)/2, plus kernel row 0 on the next dy row; even rows: kernel row 1.
            T* ra = dy0 + (long)(odd ? (i - 1) / 2 : i / 2) * rowLen, rb = dy0 + (long)((i + 1) / 2) * rowLen;
            Vector<T> a0 = odd ? w20 : w10, a1 = odd ? w21 : w11, a2 = odd ? w22 : w12;
            for (int m0 = 0; ; m0 += vw)
            {
                int m = Math.Min(m0, ow - vw);
                var d0 = Load(ra + m);
                var even = a1 * d0;
                var oddCol = MulAdd(a0, Load(ra + m + 1), a2 * d0);
                if (two)
                {
                    var e0 = Load(rb + m);
                    even = MulAdd(w01, e0, even);
                    oddCol = MulAdd(w00, Load(rb + m + 1), MulAdd(w02, e0, oddCol));
                }
                // dx[2m + 0/1] = even/odd: widen both to 8-byte lanes, odd columns in the high halves.
                Vector.Widen(Vector.AsVectorUInt32(even), out var lo0, out var hi0);
                Vector.Widen(Vector.AsVectorUInt32(oddCol), out var lo1, out var hi1);
                Unsafe.WriteUnaligned(dxRow + m, lo0 | Vector.ShiftLeft(lo1, 32));
                Unsafe.WriteUnaligned(dxRow + m + vw / 2, hi0 | Vector.ShiftLeft(hi1, 32));
                if (m0 + vw >= ow) break;
            }
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
        int vw = Vector<T>.Count, sw = p.SW, kk = p.KH * p.KW, width = p.W, rowLen = g.RowLength;
        int q = g.Q, phaseRow = g.PhaseRow, pw = p.PW;
        T* phaseOut = dyPad + (long)g.OH * rowLen, mixed = phaseOut + (long)sw * phaseRow;
        bool pairs = sw == 2 && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian;
        Span<nint> src = stackalloc nint[kk];
        Span<Vector<T>> wv = stackalloc Vector<T>[kk];
        Span<Vector<T>> wAll = stackalloc Vector<T>[kk];
        for (int t = 0; t < kk; t++) wAll[t] = new Vector<T>(w[t]);
        int[] tapStart = g.TapStart, tapRow = g.TapRow, tapShift = g.TapShift, tapWeight = g.TapWeight;
        T* dyCol = dyPad + g.Margin;
        for (int i = 0; i < p.H; i++)
        {
            T* dxRow = dx + (long)i * width;
            for (int r = 0; r < sw; r++)
            {
                // This row's and phase's taps (GatherLayout): kernel rows whose dy row exists, kernel columns of the phase.
                int k0 = tapStart[i * sw + r], n = tapStart[i * sw + r + 1] - k0;
                for (int j = 0; j < n; j++)
                {
                    src[j] = (nint)(dyCol + (long)tapRow[k0 + j] * rowLen - tapShift[k0 + j]);
                    wv[j] = wAll[tapWeight[k0 + j]];
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
                CopyRow(mixed + pw, dxRow, width);
                continue;
            }
            for (int j = 0; j < width; j++) dxRow[j] = phaseOut[(long)((j + pw) % sw) * phaseRow + (j + pw) / sw];
        }
    }
}
