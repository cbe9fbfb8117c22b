using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

internal static partial class ConvKernels
{
    internal static unsafe partial class Winograd
    {
        /// <summary>
        /// dW for a layer <see cref="Applies{T}"/> accepts, by the adjoint of the forward algorithm: with Y = Aᵀ M A per tile
        /// and M_p = U_p · V_p, dM = A dY Aᵀ per output tile, dU_p [Cout × Cin] = Σ over tiles dM_p · V_pᵀ (36 GEMMs whose
        /// depth is the tile count, accumulated over chunks of images), and dW = Gᵀ dU G per kernel: 36 multiply-adds per
        /// channel pair and tile instead of 144, as in the forward pass.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void WeightGradient<T>(in Dims d, T[] gy, long gyo, T[] x, long xo, T[] gw, long gwo) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Calls++;
            int tImg = Tiles(d.OH) * Tiles(d.OW);
            int kcPad = (int)Stride(d.Cout * d.Cin);
            long perImage = (long)tImg * Math.Max(d.Cin, d.Cout) * P * Unsafe.SizeOf<T>();
            int chunk = (int)Math.Clamp(ChunkBytes / perImage, 1, d.N);
            int tMax = chunk * tImg;
            long vStride = Stride((long)d.Cin * tMax), mStride = Stride((long)d.Cout * tMax);
            var du = ArrayPool<T>.Shared.Rent(P * kcPad);
            var v = ArrayPool<T>.Shared.Rent(checked((int)(P * vStride)));
            var dm = ArrayPool<T>.Shared.Rent(checked((int)(P * mStride)));
            try
            {
                var dd = d;
                for (int n0 = 0; n0 < d.N; n0 += chunk)
                {
                    int images = Math.Min(chunk, d.N - n0), tc = images * tImg;
                    TransformInput(d, x, xo, n0, images, v, vStride, tc);
                    TransformOutputGradient(d, gy, gyo, n0, images, dm, mStride, tc);
                    T beta = n0 == 0 ? T.Zero : T.One;
                    // dU_p [Cout × Cin] (+)= dM_p [Cout × tc] · V_pᵀ [tc × Cin]; one product per thread. dM_p and V_p are both
                    // contiguous along the tiles: dot products where they apply and the tiles are many (resnet18's 64-channel
                    // layer at 56×56, batch 4: 784 tiles, 4.9 → 3.0 ms), else V_p is read transposed while packing (64 tiles
                    // of its 256-channel layer: 16 lane sums per 4×4 block for a depth of 64 made dot products 1.5× slower).
                    IntraOpPool.For(P, p =>
                    {
                        var a = new MatrixView<T>(dm, p * mStride, tc, 1);
                        var vp = new MatrixView<T>(v, p * vStride, tc, 1);
                        if (tc >= 512 && DotGemm.Applies(a, vp)) DotGemm.Run(dd.Cout, dd.Cin, tc, T.One, a, vp, beta, du, (long)p * kcPad, dd.Cin);
                        else PackedGemm.Run(dd.Cout, dd.Cin, tc, T.One, a, vp.Transposed(), beta, du, (long)p * kcPad, dd.Cin);
                    });
                }
                KernelGradients(d, du, kcPad, gw, gwo);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(du);
                ArrayPool<T>.Shared.Return(v);
                ArrayPool<T>.Shared.Return(dm);
            }
        }

        /// <summary>
        /// dM_p [Cout × tc] = (A dY Aᵀ)_p for every 4×4 output-gradient tile of images [n0, n0 + images) (zero past the
        /// map's edge): each plane's tile elements gathered into rows [16, tiles], transformed a vector of tiles at a time.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformOutputGradient<T>(Dims d, T[] gy, long gyo, int n0, int images, T[] dm, long mStride, int tc) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int th = Tiles(d.OH), tw = Tiles(d.OW), tImg = th * tw, vw = Vector<T>.Count, tPad = (tImg + vw - 1) / vw * vw;
            int fh = 4 * th, fw = 4 * tw;
            if (gyo + (long)(n0 + images) * d.Cout * d.OHW > gy.Length) throw new ArgumentOutOfRangeException(nameof(gy));
            StridedLoop.ParallelRange((long)images * d.Cout, 40L * fh * fw, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                var frame = ArrayPool<T>.Shared.Rent(fh * fw);
                var rows = ArrayPool<T>.Shared.Rent(P * tPad);
                var half = ArrayPool<T>.Shared.Rent(P * tPad);
                try
                {
                    var c = new Coefficients<T>();
                    for (long pl = p0; pl < p1; pl++)
                    {
                        int i = (int)(pl / d.Cout), k = (int)(pl % d.Cout);
                        long src = gyo + ((long)(n0 + i) * d.Cout + k) * d.OHW;
                        // The plane in a frame of whole tiles, zero past its edge.
                        new Span<T>(frame, 0, fh * fw).Clear();
                        for (int oh = 0; oh < d.OH; oh++)
                            new ReadOnlySpan<T>(gy, (int)(src + (long)oh * d.OW), d.OW).CopyTo(new Span<T>(frame, oh * fw, d.OW));
                        fixed (T* pf = frame, pr = rows)
                            for (int ti = 0; ti < th; ti++)
                                for (int a = 0; a < 4; a++)
                                {
                                    T* from = pf + (4 * ti + a) * fw;
                                    T* to = pr + a * 4 * tPad + ti * tw;
                                    int tj = 0;
                                    if (typeof(T) == typeof(float) && Transpose.IsSupported)
                                        for (; tj + 4 <= tw; tj += 4, from += 16) Transpose.Quad4((float*)from, (float*)(to + tj), tPad);
                                    for (; tj < tw; tj++, from += 4)
                                    {
                                        to[tj] = from[0];
                                        to[tPad + tj] = from[1];
                                        to[2 * tPad + tj] = from[2];
                                        to[3 * tPad + tj] = from[3];
                                    }
                                }
                        GradientTransform(c, rows, half, tPad, tImg, dm, (long)k * tc + (long)i * tImg, mStride);
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(frame);
                    ArrayPool<T>.Shared.Return(rows);
                    ArrayPool<T>.Shared.Return(half);
                }
            });
        }

        /// <summary>
        /// A D Aᵀ for rows [16, tPad] (row a·4 + b holds element (a, b) of every tile): first down the columns into
        /// <paramref name="half"/>, then along the rows, whose results go straight to row p of the destination (as in
        /// <see cref="Transform6{T}"/>; a last partial vector through <paramref name="half"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void GradientTransform<T>(in Coefficients<T> c, T[] rows, T[] half, int tPad, int tImg, T[] dst, long dBase, long dStride)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int vw = Vector<T>.Count;
            if (dBase + (P - 1) * dStride + tImg > dst.Length) throw new ArgumentOutOfRangeException(nameof(dst));
            ref T a = ref MemoryMarshal.GetArrayDataReference(rows);
            ref T h = ref MemoryMarshal.GetArrayDataReference(half);
            ref T dRef = ref MemoryMarshal.GetArrayDataReference(dst);
            nuint ld = (nuint)tPad;
            for (nuint q = 0; q < ld; q += (nuint)vw)
            {
                // Down the columns: column b's four values (rows a·4 + b) → six, to half rows r·6 + b.
                for (nuint b = 0; b < 4; b++)
                {
                    c.GradientRow(Vector.LoadUnsafe(ref a, b * ld + q), Vector.LoadUnsafe(ref a, (4 + b) * ld + q),
                        Vector.LoadUnsafe(ref a, (8 + b) * ld + q), Vector.LoadUnsafe(ref a, (12 + b) * ld + q),
                        out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                    o0.StoreUnsafe(ref h, b * ld + q);
                    o1.StoreUnsafe(ref h, (6 + b) * ld + q);
                    o2.StoreUnsafe(ref h, (12 + b) * ld + q);
                    o3.StoreUnsafe(ref h, (18 + b) * ld + q);
                    o4.StoreUnsafe(ref h, (24 + b) * ld + q);
                    o5.StoreUnsafe(ref h, (30 + b) * ld + q);
                }
                // Along the rows: row r's four values (half rows r·6 + 0..3) → six (a partial vector back over the same row:
                // all four are loaded before any store).
                bool whole = (int)q + vw <= tImg;
                ref T to = ref whole ? ref dRef : ref h;
                nuint stride = whole ? (nuint)dStride : ld, at = whole ? (nuint)dBase + q : q;
                for (nuint r = 0; r < 6; r++)
                {
                    nuint row = 6 * r * ld + q, w = 6 * r * stride + at;
                    c.GradientRow(Vector.LoadUnsafe(ref h, row), Vector.LoadUnsafe(ref h, row + ld), Vector.LoadUnsafe(ref h, row + 2 * ld),
                        Vector.LoadUnsafe(ref h, row + 3 * ld), out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                    o0.StoreUnsafe(ref to, w);
                    o1.StoreUnsafe(ref to, w + stride);
                    o2.StoreUnsafe(ref to, w + 2 * stride);
                    o3.StoreUnsafe(ref to, w + 3 * stride);
                    o4.StoreUnsafe(ref to, w + 4 * stride);
                    o5.StoreUnsafe(ref to, w + 5 * stride);
                }
            }
            int tail = tImg / vw * vw;
            if (tail < tImg)
                for (int p = 0; p < P; p++)
                    new ReadOnlySpan<T>(half, p * tPad + tail, tImg - tail).CopyTo(new Span<T>(dst, (int)(dBase + p * dStride + tail), tImg - tail));
        }

        /// <summary>dW = Gᵀ dU G for every kernel, from dU [36, padded Cout·Cin] into dW [Cout, Cin, 3, 3].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void KernelGradients<T>(in Dims d, T[] du, int kcPad, T[] gw, long gwo) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int kc = d.Cout * d.Cin, vw = Vector<T>.Count;
            if (gwo + (long)kc * 9 > gw.Length) throw new ArgumentOutOfRangeException(nameof(gw));
            var taps = ArrayPool<T>.Shared.Rent(9 * kcPad);
            try
            {
                StridedLoop.ParallelRange(kcPad / vw, 300, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (v0, v1) =>
                {
                    var c = new Coefficients<T>();
                    ref T tp = ref MemoryMarshal.GetArrayDataReference(taps);
                    ref T up = ref MemoryMarshal.GetArrayDataReference(du);
                    Span<Vector<T>> cols = stackalloc Vector<T>[18];
                    nuint ld = (nuint)kcPad;
                    for (long vi = v0; vi < v1; vi++)
                    {
                        nuint q = (nuint)(vi * vw);
                        // Down the columns: column s's six values (rows r·6 + s) → three.
                        for (int s = 0; s < 6; s++)
                            c.KernelGradientRow(Vector.LoadUnsafe(ref up, (nuint)s * ld + q), Vector.LoadUnsafe(ref up, (nuint)(6 + s) * ld + q),
                                Vector.LoadUnsafe(ref up, (nuint)(12 + s) * ld + q), Vector.LoadUnsafe(ref up, (nuint)(18 + s) * ld + q),
                                Vector.LoadUnsafe(ref up, (nuint)(24 + s) * ld + q), Vector.LoadUnsafe(ref up, (nuint)(30 + s) * ld + q),
                                out cols[s], out cols[6 + s], out cols[12 + s]);
                        for (int i = 0; i < 3; i++)
                        {
                            c.KernelGradientRow(cols[6 * i], cols[6 * i + 1], cols[6 * i + 2], cols[6 * i + 3], cols[6 * i + 4], cols[6 * i + 5],
                                out var o0, out var o1, out var o2);
                            o0.StoreUnsafe(ref tp, (nuint)(3 * i) * ld + q);
                            o1.StoreUnsafe(ref tp, (nuint)(3 * i + 1) * ld + q);
                            o2.StoreUnsafe(ref tp, (nuint)(3 * i + 2) * ld + q);
                        }
                    }
                });
                StridedLoop.ParallelRange(kc, 20, (q0, q1) =>
                {
                    fixed (T* pw = &gw[gwo], pt = taps)
                        for (long q = q0; q < q1; q++)
                        {
                            T* dst = pw + q * 9;
                            for (int t = 0; t < 9; t++) dst[t] = pt[t * kcPad + q];
                        }
                });
            }
            finally { ArrayPool<T>.Shared.Return(taps); }
        }
    }
}
