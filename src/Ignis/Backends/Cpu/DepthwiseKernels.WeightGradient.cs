using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

// Depthwise weight gradient: channels in parallel, per-tap vector accumulators summed over batch and plane.

internal static partial class DepthwiseKernels
{
    /// <summary>dw[c, kh, kw] = Σ over batch and output positions of dy · xpad at the tap, channels in parallel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeight<T>(in Plane p, int batch, int channels, T[] gy, long gyo, T[] x, long xo, T[] gw, long gwo)
        where T : unmanaged, INumber<T>
    {
        var pp = p;
        int taps = p.KH * p.KW;
        bool prefetch = Prefetches<T>(p, (long)batch * channels);
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
                        // The next plane this worker reads: the next image's, or the next channel's first.
                        long next = n + 1 < batch ? q + channels : c + 1 < c1 ? c + 1 : -1;
                        if (prefetch && next >= 0) PrefetchPlane(x, xo + next * pp.H * pp.W, pp.H * pp.W);
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
