using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

internal static partial class ConvKernels
{
    /// <summary>
    /// 3×3 stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, 2015): each 4×4 output tile
    /// is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the tile's 6×6 input window d, so the 36 element-wise products of a tile, summed
    /// over input channels, become 36 independent GEMMs M_p [Cout × tiles] = U_p [Cout × Cin] · V_p [Cin × tiles]:
    /// 36 multiply-adds per channel pair and tile instead of the 144 of a direct 3×3 kernel over 16 outputs (4×). The
    /// transforms are vectorised across tiles (each plane's tile elements gathered into rows first). Used for the forward
    /// pass, through the flipped kernel for the stride-1 input gradient, and as its adjoint for the weight gradient
    /// (ConvKernels.WinogradWeight.cs).
    /// Rounding: the transforms' coefficients (up to 8 and 1/24) lose about two decimal digits against direct summation
    /// in float32, within what cuDNN's and oneDNN's Winograd kernels accept.
    /// </summary>
    internal static unsafe partial class Winograd
    {
        /// <summary>Positions of a transformed tile (6×6).</summary>
        const int P = 36;

        /// <summary>Per-chunk budget of the transformed input or output (bytes): images are processed in chunks that fit.</summary>
        const long ChunkBytes = 16 << 20;

        /// <summary>For tests: forces the GEMM path on this thread.</summary>
        [ThreadStatic] internal static bool Disabled;

        /// <summary>Process-wide switch (<see cref="Torch.Backends.Cpu.AllowWinograd"/>).</summary>
        internal static volatile bool Allowed = true;

        /// <summary>For tests: Winograd convolutions run from this thread.</summary>
        [ThreadStatic] internal static int Calls;

        static int Tiles(int outSize) => (outSize + 3) / 4;

        /// <summary>
        /// Distance between consecutive ones of the 36 transformed matrices: a whole number of vectors plus a cache line,
        /// never a power of two (36 rows 2^k bytes apart map to one L1 set, and a transform touching all of them evicted
        /// itself: the weight transform of a 256-channel layer took 1.9 ms, 1.3 with the rows spaced off).
        /// </summary>
        static long Stride(long elements) => (elements + 15) / 16 * 16 + 16;

        /// <summary>
        /// 3×3, stride 1, no dilation, one group, channels and tiles enough that 36 GEMMs beat one: at least 16 channels
        /// each way and 64 tiles per call (resnet18's 256-channel layer at 14×14, batch 4; its 512-channel one at 7×7 has 16
        /// tiles, where the transformed weights, 4× the kernel, would cost more memory traffic than the product saves).
        /// </summary>
        internal static bool Applies<T>(in Dims d) =>
            (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && Allowed && !Disabled && Vector.IsHardwareAccelerated
            && d.KH == 3 && d.KW == 3 && d.G.Groups == 1 && d.G.StrideH == 1 && d.G.StrideW == 1 && d.G.DilationH == 1 && d.G.DilationW == 1
            && d.Cin >= 16 && d.Cout >= 16 && (long)d.N * Tiles(d.OH) * Tiles(d.OW) >= 64;

        /// <summary>
        /// y = conv(x, w) + b for a layer <see cref="Applies{T}"/> accepts. With flip, w is the kernel of the convolution
        /// whose input gradient this is, [Cin, Cout, 3, 3] in this convolution's terms, each kernel read back to front
        /// (the stride-1 input gradient as a forward convolution).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Forward<T>(in Dims d, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo, bool flip = false)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Calls++;
            int tImg = Tiles(d.OH) * Tiles(d.OW), vw = Vector<T>.Count;
            int kcPad = (int)Stride(d.Cout * d.Cin);
            long perImage = (long)tImg * Math.Max(d.Cin, d.Cout) * P * Unsafe.SizeOf<T>();
            int chunk = (int)Math.Clamp(ChunkBytes / perImage, 1, d.N);
            int tMax = chunk * tImg;
            var u = ArrayPool<T>.Shared.Rent(P * kcPad);
            long vStride = Stride((long)d.Cin * tMax), mStride = Stride((long)d.Cout * tMax);
            var v = ArrayPool<T>.Shared.Rent(checked((int)(P * vStride)));
            // Slack after M: the output transform reads whole vectors past a plane's last tile (lanes it never stores).
            var m = ArrayPool<T>.Shared.Rent(checked((int)(P * mStride + vw)));
            try
            {
                TransformWeights(d, w, wo, flip, u, kcPad);
                var dd = d;
                for (int n0 = 0; n0 < d.N; n0 += chunk)
                {
                    int images = Math.Min(chunk, d.N - n0), tc = images * tImg;
                    TransformInput(d, x, xo, n0, images, v, vStride, tc);
                    // The 36 products run side by side, each on one thread (nested calls see one thread).
                    IntraOpPool.For(P, p => PackedGemm.Run(dd.Cout, tc, dd.Cin, T.One, new MatrixView<T>(u, (long)p * kcPad, dd.Cin, 1),
                        new MatrixView<T>(v, p * vStride, tc, 1), T.Zero, m, p * mStride, tc));
                    TransformOutput(d, m, mStride, tc, n0, images, b, bo, y, yo);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(u);
                ArrayPool<T>.Shared.Return(v);
                ArrayPool<T>.Shared.Return(m);
            }
        }

        /// <summary>U_p [Cout × Cin] = (G g Gᵀ)_p for every kernel g, stored [36, padded Cout·Cin].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformWeights<T>(in Dims d, T[] w, long wo, bool flip, T[] u, int kcPad) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int kc = d.Cout * d.Cin, vw = Vector<T>.Count, cin = d.Cin, cout = d.Cout;
            if (wo + (long)kc * 9 > w.Length) throw new ArgumentOutOfRangeException(nameof(w));
            // Taps side by side ([9, Cout·Cin]), so the transform runs a vector of kernels at a time.
            var taps = ArrayPool<T>.Shared.Rent(9 * kcPad);
            try
            {
                for (int t = 0; t < 9; t++) new Span<T>(taps, t * kcPad + kc, kcPad - kc).Clear();
                // Kernel q = co·Cin + ci of this convolution; flipped, it is the original's kernel [ci, co] read back to front,
                // so the loop runs over the original's layout (sequential reads; the nine rows written stay in L2).
                StridedLoop.ParallelRange(flip ? cin : cout, 9L * (flip ? cout : cin), (r0, r1) =>
                {
                    fixed (T* pw = &w[wo], pt = taps)
                        for (long r = r0; r < r1; r++)
                        {
                            if (flip)
                                for (long co = 0; co < cout; co++)
                                {
                                    // Original kernel [r, co] is this convolution's kernel (co, r).
                                    T* src = pw + (r * cout + co) * 9;
                                    T* dst = pt + co * cin + r;
                                    for (int t = 0; t < 9; t++) dst[t * kcPad] = src[8 - t];
                                }
                            else
                                for (long q = r * cin; q < (r + 1) * cin; q++)
                                {
                                    T* src = pw + q * 9;
                                    for (int t = 0; t < 9; t++) pt[t * kcPad + q] = src[t];
                                }
                        }
                });
                StridedLoop.ParallelRange(kcPad / vw, 300, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (v0, v1) =>
                {
                    var c = new Coefficients<T>();
                    ref T tp = ref MemoryMarshal.GetArrayDataReference(taps);
                    ref T up = ref MemoryMarshal.GetArrayDataReference(u);
                    Span<Vector<T>> gg = stackalloc Vector<T>[18];
                    for (long vi = v0; vi < v1; vi++)
                    {
                        nuint q = (nuint)(vi * vw), ld = (nuint)kcPad;
                        // Columns first: Gg (6×3), then rows: (Gg)Gᵀ (6×6).
                        for (int j = 0; j < 3; j++)
                        {
                            c.KernelColumn(Vector.LoadUnsafe(ref tp, (nuint)j * ld + q), Vector.LoadUnsafe(ref tp, (nuint)(3 + j) * ld + q),
                                Vector.LoadUnsafe(ref tp, (nuint)(6 + j) * ld + q), out gg[j], out gg[3 + j], out gg[6 + j], out gg[9 + j], out gg[12 + j], out gg[15 + j]);
                        }
                        for (int r = 0; r < 6; r++)
                        {
                            c.KernelColumn(gg[3 * r], gg[3 * r + 1], gg[3 * r + 2], out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                            nuint row = (nuint)(6 * r) * ld + q;
                            o0.StoreUnsafe(ref up, row);
                            o1.StoreUnsafe(ref up, row + ld);
                            o2.StoreUnsafe(ref up, row + 2 * ld);
                            o3.StoreUnsafe(ref up, row + 3 * ld);
                            o4.StoreUnsafe(ref up, row + 4 * ld);
                            o5.StoreUnsafe(ref up, row + 5 * ld);
                        }
                    }
                });
            }
            finally { ArrayPool<T>.Shared.Return(taps); }
        }

        /// <summary>
        /// V_p [Cin × tc] = (Bᵀ d B)_p for every input tile d of images [n0, n0 + images): column i·tImg + t of row c is tile
        /// t of image n0 + i, channel c. One plane at a time: copied into a zero-padded frame, its tiles' 36 elements gathered
        /// into rows [36, tiles], transformed a vector of tiles at a time.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformInput<T>(Dims d, T[] x, long xo, int n0, int images, T[] v, long vStride, int tc) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int th = Tiles(d.OH), tw = Tiles(d.OW), tImg = th * tw, vw = Vector<T>.Count, tPad = (tImg + vw - 1) / vw * vw;
            int hp = 4 * th + 2, wp = 4 * tw + 2;
            StridedLoop.ParallelRange((long)images * d.Cin, 40L * hp * wp, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                var frame = ArrayPool<T>.Shared.Rent(hp * wp);
                var rows = ArrayPool<T>.Shared.Rent(P * tPad);
                var half = ArrayPool<T>.Shared.Rent(P * tPad);
                try
                {
                    var c = new Coefficients<T>();
                    for (long pl = p0; pl < p1; pl++)
                    {
                        int i = (int)(pl / d.Cin), ch = (int)(pl % d.Cin);
                        long src = xo + ((long)(n0 + i) * d.Cin + ch) * d.H * d.W;
                        // Padded frame: input row ih at frame row ih + PadH (the frame always covers the input; see Tiles).
                        new Span<T>(frame, 0, hp * wp).Clear();
                        for (int ih = 0; ih < d.H; ih++)
                        {
                            int fr = ih + d.G.PadH;
                            if (fr >= hp) break;
                            int len = Math.Min(d.W, wp - d.G.PadW);
                            new ReadOnlySpan<T>(x, (int)(src + (long)ih * d.W), len).CopyTo(new Span<T>(frame, fr * wp + d.G.PadW, len));
                        }
                        fixed (T* pf = frame, pr = rows)
                            for (int ti = 0; ti < th; ti++)
                                for (int r = 0; r < 6; r++)
                                {
                                    T* from = pf + (4 * ti + r) * wp;
                                    T* to = pr + r * 6 * tPad + ti * tw;
                                    for (int tj = 0; tj < tw; tj++, from += 4)
                                    {
                                        to[tj] = from[0];
                                        to[tPad + tj] = from[1];
                                        to[2 * tPad + tj] = from[2];
                                        to[3 * tPad + tj] = from[3];
                                        to[4 * tPad + tj] = from[4];
                                        to[5 * tPad + tj] = from[5];
                                    }
                                }
                        Transform6(c, rows, half, tPad, tImg, v, (long)ch * tc + (long)i * tImg, vStride);
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
        /// Bᵀ d B for rows [36, tPad] (row r·6 + s holds element (r, s) of every tile), through <paramref name="half"/>: first
        /// down the columns (element (k, s) = Σ_r Bᵀ[k, r]·d[r, s]), then along the rows, whose results go straight to
        /// row p of the destination (element p of tile t at dst[p·dStride + dBase + t]); a last partial vector goes through
        /// <paramref name="rows"/> and is copied (a whole one would run into the next plane's tiles).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void Transform6<T>(in Coefficients<T> c, T[] rows, T[] half, int tPad, int tImg, T[] dst, long dBase, long dStride)
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
                for (nuint s = 0; s < 6; s++)
                {
                    c.InputRow(Vector.LoadUnsafe(ref a, s * ld + q), Vector.LoadUnsafe(ref a, (6 + s) * ld + q), Vector.LoadUnsafe(ref a, (12 + s) * ld + q),
                        Vector.LoadUnsafe(ref a, (18 + s) * ld + q), Vector.LoadUnsafe(ref a, (24 + s) * ld + q), Vector.LoadUnsafe(ref a, (30 + s) * ld + q),
                        out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                    o0.StoreUnsafe(ref h, s * ld + q);
                    o1.StoreUnsafe(ref h, (6 + s) * ld + q);
                    o2.StoreUnsafe(ref h, (12 + s) * ld + q);
                    o3.StoreUnsafe(ref h, (18 + s) * ld + q);
                    o4.StoreUnsafe(ref h, (24 + s) * ld + q);
                    o5.StoreUnsafe(ref h, (30 + s) * ld + q);
                }
                bool whole = (int)q + vw <= tImg;
                ref T to = ref whole ? ref dRef : ref a;
                nuint stride = whole ? (nuint)dStride : ld, at = whole ? (nuint)dBase + q : q;
                for (nuint k = 0; k < 6; k++)
                {
                    nuint r = 6 * k * ld + q, w = 6 * k * stride + at;
                    c.InputRow(Vector.LoadUnsafe(ref h, r), Vector.LoadUnsafe(ref h, r + ld), Vector.LoadUnsafe(ref h, r + 2 * ld),
                        Vector.LoadUnsafe(ref h, r + 3 * ld), Vector.LoadUnsafe(ref h, r + 4 * ld), Vector.LoadUnsafe(ref h, r + 5 * ld),
                        out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
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
                    new ReadOnlySpan<T>(rows, p * tPad + tail, tImg - tail).CopyTo(new Span<T>(dst, (int)(dBase + p * dStride + tail), tImg - tail));
        }

        /// <summary>
        /// Y = Aᵀ M A for every tile of images [n0, n0 + images) and output channel, M_p [Cout × tc]; plus the bias;
        /// scattered into the output (tiles past its edge are cut).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformOutput<T>(Dims d, T[] m, long mStride, int tc, int n0, int images, T[]? b, long bo, T[] y, long yo) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int th = Tiles(d.OH), tw = Tiles(d.OW), tImg = th * tw, vw = Vector<T>.Count, tPad = (tImg + vw - 1) / vw * vw;
            StridedLoop.ParallelRange((long)images * d.Cout, 60L * tImg, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                var half = ArrayPool<T>.Shared.Rent(24 * tPad);
                var outs = ArrayPool<T>.Shared.Rent(16 * tPad);
                try
                {
                    var c = new Coefficients<T>();
                    ref T mp = ref MemoryMarshal.GetArrayDataReference(m);
                    ref T h = ref MemoryMarshal.GetArrayDataReference(half);
                    ref T o = ref MemoryMarshal.GetArrayDataReference(outs);
                    nuint ldm = (nuint)mStride, ld = (nuint)tPad;
                    for (long pl = p0; pl < p1; pl++)
                    {
                        int i = (int)(pl / d.Cout), k = (int)(pl % d.Cout);
                        nuint mBase = (nuint)((long)k * tc + (long)i * tImg);
                        for (nuint q = 0; q < ld; q += (nuint)vw)
                        {
                            for (nuint s = 0; s < 6; s++)
                            {
                                nuint r = mBase + s * ldm + q;
                                c.OutputRow(Vector.LoadUnsafe(ref mp, r), Vector.LoadUnsafe(ref mp, r + 6 * ldm), Vector.LoadUnsafe(ref mp, r + 12 * ldm),
                                    Vector.LoadUnsafe(ref mp, r + 18 * ldm), Vector.LoadUnsafe(ref mp, r + 24 * ldm), Vector.LoadUnsafe(ref mp, r + 30 * ldm),
                                    out var o0, out var o1, out var o2, out var o3);
                                o0.StoreUnsafe(ref h, s * ld + q);
                                o1.StoreUnsafe(ref h, (6 + s) * ld + q);
                                o2.StoreUnsafe(ref h, (12 + s) * ld + q);
                                o3.StoreUnsafe(ref h, (18 + s) * ld + q);
                            }
                            for (nuint a = 0; a < 4; a++)
                            {
                                nuint r = 6 * a * ld + q;
                                c.OutputRow(Vector.LoadUnsafe(ref h, r), Vector.LoadUnsafe(ref h, r + ld), Vector.LoadUnsafe(ref h, r + 2 * ld),
                                    Vector.LoadUnsafe(ref h, r + 3 * ld), Vector.LoadUnsafe(ref h, r + 4 * ld), Vector.LoadUnsafe(ref h, r + 5 * ld),
                                    out var o0, out var o1, out var o2, out var o3);
                                nuint w0 = 4 * a * ld + q;
                                o0.StoreUnsafe(ref o, w0);
                                o1.StoreUnsafe(ref o, w0 + ld);
                                o2.StoreUnsafe(ref o, w0 + 2 * ld);
                                o3.StoreUnsafe(ref o, w0 + 3 * ld);
                            }
                        }
                        T bias = b is null ? T.Zero : b[bo + k];
                        long plane = yo + ((long)(n0 + i) * d.Cout + k) * d.OHW;
                        if (plane + d.OHW > y.Length) throw new ArgumentOutOfRangeException(nameof(y));
                        // Whole tiles write four adjacent outputs per row; a last partial tile only its columns inside the map.
                        int whole = d.OW / 4, rest = d.OW - 4 * whole;
                        fixed (T* py = y, po = outs)
                            for (int ti = 0; ti < th; ti++)
                                for (int a = 0; a < 4 && 4 * ti + a < d.OH; a++)
                                {
                                    T* yr = py + plane + (long)(4 * ti + a) * d.OW;
                                    T* o0 = po + a * 4 * tPad + ti * tw, o1 = o0 + tPad, o2 = o1 + tPad, o3 = o2 + tPad;
                                    for (int tj = 0; tj < whole; tj++, yr += 4)
                                    {
                                        yr[0] = o0[tj] + bias;
                                        yr[1] = o1[tj] + bias;
                                        yr[2] = o2[tj] + bias;
                                        yr[3] = o3[tj] + bias;
                                    }
                                    for (int bcol = 0; bcol < rest; bcol++) yr[bcol] = o0[bcol * tPad + whole] + bias;
                                }
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(half);
                    ArrayPool<T>.Shared.Return(outs);
                }
            });
        }

        /// <summary>The three transforms' one-dimensional steps (Lavin and Gray's Bᵀ, G and Aᵀ for F(4, 3)).</summary>
        readonly struct Coefficients<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            readonly Vector<T> two = new(T.CreateChecked(2)), four = new(T.CreateChecked(4)), five = new(T.CreateChecked(5)), eight = new(T.CreateChecked(8));
            readonly Vector<T> quarter = new(T.CreateChecked(0.25)), sixth = new(T.One / T.CreateChecked(6)),
                twelfth = new(T.One / T.CreateChecked(12)), twentyFourth = new(T.One / T.CreateChecked(24));

            /// <summary>Bᵀ·(d0 … d5).</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void InputRow(Vector<T> d0, Vector<T> d1, Vector<T> d2, Vector<T> d3, Vector<T> d4, Vector<T> d5,
                out Vector<T> o0, out Vector<T> o1, out Vector<T> o2, out Vector<T> o3, out Vector<T> o4, out Vector<T> o5)
            {
                var d4m2 = d4 - d2;
                o0 = four * d0 - five * d2 + d4;
                o1 = d4 + d3 - four * (d1 + d2);
                o2 = d4 - d3 + four * (d1 - d2);
                o3 = d4m2 + two * (d3 - d1);
                o4 = d4m2 - two * (d3 - d1);
                o5 = four * d1 - five * d3 + d5;
            }

            /// <summary>G·(g0, g1, g2).</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void KernelColumn(Vector<T> g0, Vector<T> g1, Vector<T> g2,
                out Vector<T> o0, out Vector<T> o1, out Vector<T> o2, out Vector<T> o3, out Vector<T> o4, out Vector<T> o5)
            {
                var ends = g0 + g2;
                o0 = quarter * g0;
                o1 = -sixth * (ends + g1);
                o2 = -sixth * (ends - g1);
                var even = twentyFourth * g0 + sixth * g2;
                var odd = twelfth * g1;
                o3 = even + odd;
                o4 = even - odd;
                o5 = g2;
            }

            /// <summary>A·(d0 … d3): the adjoint of <see cref="OutputRow"/>.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void GradientRow(Vector<T> d0, Vector<T> d1, Vector<T> d2, Vector<T> d3,
                out Vector<T> o0, out Vector<T> o1, out Vector<T> o2, out Vector<T> o3, out Vector<T> o4, out Vector<T> o5)
            {
                Vector<T> e = d0 + d2, f = d1 + d3, g = d0 + four * d2, h = two * d1 + eight * d3;
                o0 = d0;
                o1 = e + f;
                o2 = e - f;
                o3 = g + h;
                o4 = g - h;
                o5 = d3;
            }

            /// <summary>Gᵀ·(u0 … u5): the adjoint of <see cref="KernelColumn"/>.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void KernelGradientRow(Vector<T> u0, Vector<T> u1, Vector<T> u2, Vector<T> u3, Vector<T> u4, Vector<T> u5,
                out Vector<T> o0, out Vector<T> o1, out Vector<T> o2)
            {
                Vector<T> s12 = u1 + u2, s34 = u3 + u4;
                o0 = quarter * u0 - sixth * s12 + twentyFourth * s34;
                o1 = sixth * (u2 - u1) + twelfth * (u3 - u4);
                o2 = sixth * (s34 - s12) + u5;
            }

            /// <summary>Aᵀ·(m0 … m5).</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void OutputRow(Vector<T> m0, Vector<T> m1, Vector<T> m2, Vector<T> m3, Vector<T> m4, Vector<T> m5,
                out Vector<T> o0, out Vector<T> o1, out Vector<T> o2, out Vector<T> o3)
            {
                Vector<T> s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
                o0 = m0 + s12 + s34;
                o1 = d12 + two * d34;
                o2 = s12 + four * s34;
                o3 = d12 + eight * d34 + m5;
            }
        }
    }
}
