using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Ignis.Backends.Cpu;

/// <summary>
/// Depthwise convolution (one input and one output channel per group), where GEMM formulations waste most of their
/// work. Each plane is copied once into a zero-bordered buffer, or for a column stride split into stride phases, so
/// every tap of every kernel reads whole vectors of outputs' inputs without bounds checks. This file holds the layouts
/// and helpers; the passes are in DepthwiseKernels.Forward, .InputGradient and .WeightGradient.
/// </summary>
internal static partial class DepthwiseKernels
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

    /// <summary>The smallest input whose passes prefetch its planes.</summary>
    const long PrefetchMinBytes = 4L << 20;

    /// <summary>Whether the passes over an input of <paramref name="planes"/> planes prefetch (see <see cref="PrefetchPlane{T}"/>).</summary>
    static bool Prefetches<T>(in Plane p, long planes) where T : unmanaged =>
        Sse.IsSupported && planes * p.H * p.W * Unsafe.SizeOf<T>() >= PrefetchMinBytes;

    /// <summary>
    /// Asks for the next plane of x (into L2) while this one is worked on: a plane is a few 4 KiB pages, where the hardware
    /// prefetchers stop, and the passes that read x cold from memory (forward, weight gradient) wait on it otherwise
    /// (stride-2 144-channel layer at 56×56: forward 0.55 → 0.51 ms, whole step 1.94 → 1.83 ms in one process). Every
    /// line, not every other one: sparser hints were slower than none. Only for inputs of <see cref="PrefetchMinBytes"/>
    /// or more: a smaller x stays cached between passes, and the hints then cost time (192 channels at 28×28, 2.4 MB:
    /// forward 0.25 → 0.30 ms). No-op where x86's prefetch is missing.
    /// </summary>
    static unsafe void PrefetchPlane<T>(T[] a, long offset, int length) where T : unmanaged
    {
        fixed (T* p0 = &a[offset])
        {
            byte* b = (byte*)p0, e = b + (long)length * sizeof(T);
            for (; b < e; b += 64) Sse.Prefetch1(b);
        }
    }

    /// <summary>Row length of one stride phase of the padded plane (plus a vector of slack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int PhaseLen(in Plane p) => (p.PaddedW + p.SW - 1) / p.SW + Vector<float>.Count;

    /// <summary>
    /// Zeroes row[0, start) and row[end, len) before the row's data is written: whole vectors, the last one moved back to
    /// end at len (it may cover data columns, which are written afterwards).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void ClearOutside<T>(T* row, int len, int start, int end) where T : unmanaged
    {
        for (int j = 0; j < start; j++) row[j] = default;
        int vw = Vector<T>.Count;
        if (len < vw) for (int j = end; j < len; j++) row[j] = default;
        else for (int j = end; j < len; j += vw) Unsafe.WriteUnaligned(row + Math.Min(j, len - vw), Vector<T>.Zero);
    }

    /// <summary>
    /// Writes an H×W plane straight into the stride-phase layout of its zero-padded version: padded column
    /// c = j + PW goes to phase c mod SW at index c div SW, so that a strided window reads contiguous memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void SplitPhases<T>(in Plane p, ReadOnlySpan<T> src, T* phases) where T : unmanaged
    {
        int len = PhaseLen(p);
        long phaseSize = (long)p.PaddedH * len;
        // Only what the rows below do not write is zeroed: the padding rows, and in each data row the columns before and
        // after its data (clearing the whole buffer first was a sixth of the stride-2 forward).
        for (int r = 0; r < p.SW; r++)
        {
            new Span<T>(phases + r * phaseSize, p.PH * len).Clear();
            new Span<T>(phases + r * phaseSize + (long)(p.PH + p.H) * len, (p.PaddedH - p.PH - p.H) * len).Clear();
        }
        Span<int> dataStart = stackalloc int[p.SW], dataEnd = stackalloc int[p.SW];
        for (int r = 0; r < p.SW; r++)
        {
            int j0 = ((r - p.PW) % p.SW + p.SW) % p.SW;
            dataStart[r] = (j0 + p.PW) / p.SW;
            dataEnd[r] = dataStart[r] + (j0 < p.W ? (p.W - 1 - j0) / p.SW + 1 : 0);
        }
        // Stride 2 on 4-byte elements: deinterleave 2·Count elements at a time, as Count pairs whose low and high halves are
        // the even and odd columns (a scalar strided copy was half of a stride-2 layer's forward time).
        int pairs = p.SW == 2 && Unsafe.SizeOf<T>() == 4 && Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian ? p.W / 2 / Vector<uint>.Count * Vector<uint>.Count : 0;
        int lowPhase = p.PW % 2, lowStart = p.PW / 2, highStart = (p.PW + 1) / 2;
        int h = p.H, w = p.W, sw = p.SW, ph = p.PH;
        // Phase r holds the input columns j with (j + PW) mod SW = r, from index (j + PW) div SW on: its first column past
        // the pairs and where it lands, the same in every row (worked out once: the divisions cost more than a row's copy).
        Span<int> first = stackalloc int[sw], at = stackalloc int[sw];
        for (int r = 0; r < sw; r++)
        {
            first[r] = ((r - p.PW) % sw + sw) % sw + 2 * pairs;
            at[r] = (first[r] + p.PW) / sw;
        }
        fixed (T* s0 = src)
            for (int i = 0; i < h; i++)
            {
                long rowOff = (long)(i + ph) * len;
                T* row = s0 + (long)i * w;
                for (int r = 0; r < sw; r++) ClearOutside(phases + r * phaseSize + rowOff, len, dataStart[r], dataEnd[r]);
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
                for (int r = 0; r < sw; r++)
                {
                    T* dst = phases + r * phaseSize + rowOff + at[r];
                    for (int j = first[r]; j < w; j += sw) *dst++ = row[j];
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
}
