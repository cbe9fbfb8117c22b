using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

internal static partial class ConvKernels
{
    /// <summary>
    /// The im2col column matrix of one group, [CinG·KH·KW, images·OH·OW], as a virtual GEMM operand: the packing
    /// threads unfold each row segment as they need it, so the matrix (9× the input for a 3×3 kernel: 7 MB per
    /// resnet18 56×56 image) is never written out and read back. Column n·OH·OW + oh·OW + ow of row (c, kh, kw) is
    /// x[n, c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW], zero outside the input.
    /// </summary>
    sealed class Im2ColRows<T>(Dims d, T[] x, long[] planes) : IRowSource<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(int r, int c0, int count, Span<T> dst)
        {
            var g = d.G;
            int c = r / (d.KH * d.KW), kh = r / d.KW % d.KH, kw = r % d.KW;
            int shift = kw * g.DilationW - g.PadW;
            ValidRange(d.OW, d.W, g.StrideW, shift, out int ow0, out int ow1);
            int img = c0 / d.OHW, pix = c0 - img * d.OHW, oh = pix / d.OW, ow = pix - oh * d.OW;
            for (int o = 0; o < count;)
            {
                int seg = Math.Min(d.OW - ow, count - o);
                var row = dst.Slice(o, seg);
                int ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                if ((uint)ih >= (uint)d.H || ow0 >= ow1) row.Clear();
                else
                {
                    long src = planes[img] + ((long)c * d.H + ih) * d.W + shift;
                    if (g.StrideW == 1)
                    {
                        int a0 = Math.Max(ow, ow0), a1 = Math.Min(ow + seg, ow1);
                        if (a1 <= a0) row.Clear();
                        else
                        {
                            row[..(a0 - ow)].Clear();
                            new ReadOnlySpan<T>(x, (int)(src + a0), a1 - a0).CopyTo(row[(a0 - ow)..]);
                            row[(a1 - ow)..].Clear();
                        }
                    }
                    else StridedSegment(x, src, g.StrideW, ow, Math.Max(ow, ow0), Math.Min(ow + seg, ow1), row);
                }
                o += seg;
                ow += seg;
                if (ow == d.OW)
                {
                    ow = 0;
                    if (++oh == d.OH) { oh = 0; img++; }
                }
            }
        }
    }

    /// <summary>
    /// row[q − ow] = x[src + q·stride] for q in [a0, a1), zero elsewhere in the row. Stride 2 on 4-byte elements reads
    /// 8-byte pairs a vector at a time and keeps their low halves (the first layer of resnet18, mobilenet_v2 and
    /// efficientnet_b0 unfolds its whole 224×224 input this way); the last element always goes through the scalar loop,
    /// so a vector never reads past the last needed element's pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void StridedSegment<T>(T[] x, long src, int stride, int ow, int a0, int a1, Span<T> row) where T : unmanaged
    {
        if (a1 <= a0)
        {
            row.Clear();
            return;
        }
        row[..(a0 - ow)].Clear();
        row[(a1 - ow)..].Clear();
        int j = 0, count = a1 - a0, vw = Vector<uint>.Count;
        _ = x[src + (long)(a1 - 1) * stride];
        _ = x[src + (long)a0 * stride];
        fixed (T* px = x, pr = row)
        {
            T* from = px + src + (long)a0 * stride, to = pr + (a0 - ow);
            if (stride == 2 && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
                for (; j + vw < count; j += vw)
                    Unsafe.WriteUnaligned(to + j, Vector.Narrow(Unsafe.ReadUnaligned<Vector<ulong>>(from + 2 * j),
                        Unsafe.ReadUnaligned<Vector<ulong>>(from + 2 * j + vw)));
            for (; j < count; j++) to[j] = from[(long)j * stride];
        }
    }

    /// <summary>Group <paramref name="gi"/>'s column matrix over images [n0, n0 + images) as a virtual GEMM operand.</summary>
    static MatrixView<T> VirtualColumns<T>(in Dims d, T[] x, long xo, int gi, int n0, int images) where T : unmanaged, IFloatingPointIeee754<T> =>
        MatrixView<T>.Virtual(Unfolding(d, x, xo, gi, n0, images));

    static Im2ColRows<T> Unfolding<T>(in Dims d, T[] x, long xo, int gi, int n0, int images) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var planes = new long[images];
        for (int i = 0; i < images; i++) planes[i] = XPlane(d, xo, n0 + i, gi);
        return new Im2ColRows<T>(d, x, planes);
    }

    /// <summary>
    /// Group <paramref name="gi"/>'s column matrix over all images, written out into <paramref name="col"/>
    /// [ColRows, N·OH·OW], one (channel, image) plane at a time, in parallel. For the batched small-map path, whose rows
    /// are many short output rows (7 pixels at 7×7): each plane is first copied into a zero-padded frame, so every row
    /// segment is a plain copy with no bounds to clip (a vector store that may run into the image's next segments, which
    /// are written after it), where unfolding segment by segment spent more time on span bookkeeping than on copying
    /// (resnet18's 512-channel layer at 7×7, batch 4: 1.2–1.9 ms for a 3.6 MB matrix).
    /// </summary>
    static unsafe MatrixView<T> StoredColumns<T>(in Dims d, T[] x, long xo, int gi, T[] col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dd = d;
        int nb = d.NB, hp = d.H + 2 * d.G.PadH, wp = d.W + 2 * d.G.PadW, vw = Vector<T>.Count;
        if (XPlane(d, xo, d.N - 1, gi) + (long)d.CinG * d.H * d.W > x.Length || (long)d.ColRows * nb > col.Length)
            throw new ArgumentOutOfRangeException(nameof(x));
        StridedLoop.ParallelRange((long)d.CinG * d.N, (long)d.KH * d.KW * d.OHW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            var g = dd.G;
            int oh1 = dd.OH, ow1 = dd.OW;
            var frame = ArrayPool<T>.Shared.Rent(hp * wp + vw);
            try
            {
                fixed (T* pf = frame, px = x, pc = col)
                    for (long p = p0; p < p1; p++)
                    {
                        int c = (int)(p / dd.N), n = (int)(p % dd.N);
                        T* src = px + XPlane(dd, xo, n, gi) + (long)c * dd.H * dd.W;
                        new Span<T>(pf, hp * wp + vw).Clear();
                        for (int ih = 0; ih < dd.H; ih++)
                            new ReadOnlySpan<T>(src + (long)ih * dd.W, dd.W).CopyTo(new Span<T>(pf + (ih + g.PadH) * wp + g.PadW, dd.W));
                        for (int kh = 0; kh < dd.KH; kh++)
                            for (int kw = 0; kw < dd.KW; kw++)
                            {
                                T* dst = pc + (((long)c * dd.KH + kh) * dd.KW + kw) * nb + (long)n * dd.OHW;
                                T* from = pf + kh * g.DilationH * wp + kw * g.DilationW;
                                for (int oh = 0; oh < oh1; oh++, dst += ow1)
                                {
                                    T* s = from + oh * g.StrideH * wp;
                                    if (g.StrideW != 1) for (int ow = 0; ow < ow1; ow++) dst[ow] = s[ow * g.StrideW];
                                    else if (ow1 <= vw && oh * ow1 + vw <= dd.OHW) Unsafe.WriteUnaligned(dst, Unsafe.ReadUnaligned<Vector<T>>(s));
                                    else if (ow1 < vw) for (int ow = 0; ow < ow1; ow++) dst[ow] = s[ow];
                                    else
                                    {
                                        int ow = 0;
                                        for (; ow + vw <= ow1; ow += vw) Unsafe.WriteUnaligned(dst + ow, Unsafe.ReadUnaligned<Vector<T>>(s + ow));
                                        if (ow < ow1) Unsafe.WriteUnaligned(dst + ow1 - vw, Unsafe.ReadUnaligned<Vector<T>>(s + ow1 - vw));
                                    }
                                }
                            }
                    }
            }
            finally { ArrayPool<T>.Shared.Return(frame); }
        });
        return new MatrixView<T>(col, 0, nb, 1);
    }

    /// <summary>
    /// The adjoint of <see cref="StoredColumns{T}"/>: folds the column matrix [ColRows, N·OH·OW] of group
    /// <paramref name="gi"/> back into the input gradient, one (channel, image) plane at a time in a zero-padded frame
    /// (sums without bounds to clip), whose interior then is the plane's gradient (written, not added: only this group's
    /// columns reach its channels).
    /// </summary>
    static unsafe void StoredColumnsAdjoint<T>(in Dims d, T[] col, T[] gx, long gxo, int gi) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dd = d;
        int nb = d.NB, hp = d.H + 2 * d.G.PadH, wp = d.W + 2 * d.G.PadW, vw = Vector<T>.Count;
        if (XPlane(d, gxo, d.N - 1, gi) + (long)d.CinG * d.H * d.W > gx.Length || (long)d.ColRows * nb > col.Length)
            throw new ArgumentOutOfRangeException(nameof(gx));
        StridedLoop.ParallelRange((long)d.CinG * d.N, (long)d.KH * d.KW * d.OHW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            var g = dd.G;
            int oh1 = dd.OH, ow1 = dd.OW;
            var frame = ArrayPool<T>.Shared.Rent(hp * wp);
            try
            {
                fixed (T* pf = frame, pg = gx, pc = col)
                    for (long p = p0; p < p1; p++)
                    {
                        int c = (int)(p / dd.N), n = (int)(p % dd.N);
                        new Span<T>(pf, hp * wp).Clear();
                        for (int kh = 0; kh < dd.KH; kh++)
                            for (int kw = 0; kw < dd.KW; kw++)
                            {
                                T* src = pc + (((long)c * dd.KH + kh) * dd.KW + kw) * nb + (long)n * dd.OHW;
                                T* to = pf + kh * g.DilationH * wp + kw * g.DilationW;
                                for (int oh = 0; oh < oh1; oh++, src += ow1)
                                {
                                    T* t = to + oh * g.StrideH * wp;
                                    int ow = 0;
                                    if (g.StrideW == 1)
                                        for (; ow + vw <= ow1; ow += vw)
                                            Unsafe.WriteUnaligned(t + ow, Unsafe.ReadUnaligned<Vector<T>>(t + ow) + Unsafe.ReadUnaligned<Vector<T>>(src + ow));
                                    for (; ow < ow1; ow++) t[ow * g.StrideW] += src[ow];
                                }
                            }
                        T* dst = pg + XPlane(dd, gxo, n, gi) + (long)c * dd.H * dd.W;
                        for (int ih = 0; ih < dd.H; ih++)
                            new ReadOnlySpan<T>(pf + (ih + g.PadH) * wp + g.PadW, dd.W).CopyTo(new Span<T>(dst + (long)ih * dd.W, dd.W));
                    }
            }
            finally { ArrayPool<T>.Shared.Return(frame); }
        });
    }
}
