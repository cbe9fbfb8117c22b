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
    /// [ColRows, N·OH·OW] (rows in parallel). For the batched small-map path: its rows are many short output rows
    /// (8 pixels at 8×8), which the packing threads would otherwise each unfold segment by segment.
    /// </summary>
    static MatrixView<T> StoredColumns<T>(in Dims d, T[] x, long xo, int gi, T[] col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = Unfolding(d, x, xo, gi, 0, d.N);
        int nb = d.NB;
        StridedLoop.ParallelRange(d.ColRows, nb, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++) rows.Row((int)r, 0, nb, col.AsSpan((int)(r * nb), nb));
        });
        return new MatrixView<T>(col, 0, nb, 1);
    }
}
