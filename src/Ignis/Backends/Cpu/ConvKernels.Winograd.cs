using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

internal static partial class ConvKernels
{
    /// <summary>
    /// 3×3 stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, 2015): each 4×4 output tile
    /// is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the tile's 6×6 input window d, so the 36 element-wise products of a tile, summed
    /// over input channels, become 36 independent GEMMs M_p [Cout × tiles] = U_p [Cout × Cin] · V_p [Cin × tiles]:
    /// 36 multiply-adds per channel pair and tile instead of the 144 of a direct 3×3 kernel over 16 outputs (4×). The
    /// transforms are vectorised across tiles (each tile's window elements gathered into rows first). The forward pass
    /// (and, through the flipped kernel, the stride-1 input gradient) runs each block of tiles from input transform to
    /// output on one thread (<see cref="ForwardBlock{T}"/>); the weight gradient, its adjoint, transforms all tiles of a
    /// chunk of images first (ConvKernels.WinogradWeight.cs).
    /// Rounding: the transforms' coefficients (up to 8 and 1/24) lose about two decimal digits against direct summation
    /// in float32, within what cuDNN's and oneDNN's Winograd kernels accept.
    /// </summary>
    internal static unsafe partial class Winograd
    {
        /// <summary>Positions of a transformed tile (6×6).</summary>
        const int P = 36;

        /// <summary>Per-chunk budget of the weight gradient's transformed input or output (bytes): images are processed in chunks that fit.</summary>
        const long ChunkBytes = 16 << 20;

        /// <summary>For tests: forces the GEMM path on this thread.</summary>
        [ThreadStatic] internal static bool Disabled;

        /// <summary>Process-wide switch (<see cref="Torch.Backends.Cpu.AllowWinograd"/>).</summary>
        internal static volatile bool Allowed = true;

        /// <summary>How <see cref="Forward{T}"/> divides a layer among threads.</summary>
        internal enum Schedule
        {
            /// <summary>Runs of blocks of tiles per thread on the transformed weights U, which stay in L2.</summary>
            BlocksPerThread,
            /// <summary>The same, U larger than L2 written past the caches.</summary>
            StreamedWeights,
            /// <summary>Output channels per thread, U never stored whole (<see cref="ForwardWeightsStationary{T}"/>).</summary>
            WeightsStationary,
        }

        /// <summary>For tests: forces a schedule on this thread.</summary>
        [ThreadStatic] internal static Schedule? Forced;

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
            (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && Allowed && !Disabled && Vector.IsHardwareAccelerated && PackedGemm.PanelTile<T>().Rows > 0
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
            if (xo + (long)d.N * d.Cin * d.H * d.W > x.Length) throw new ArgumentOutOfRangeException(nameof(x));
            if (yo + (long)d.N * d.Cout * d.OHW > y.Length) throw new ArgumentOutOfRangeException(nameof(y));
            var (mr, nr) = PackedGemm.PanelTile<T>();
            long tiles = (long)d.N * Tiles(d.OH) * Tiles(d.OW);
            int blocks = checked((int)((tiles + nr - 1) / nr));
            int kcPad = (int)Stride((long)(d.Cout + mr - 1) / mr * mr * d.Cin);
            bool large = (long)P * kcPad * sizeof(T) > CpuCaches.Current.L2;
            var schedule = Forced ?? (!large ? Schedule.BlocksPerThread
                : blocks <= IntraOpPool.Threads && IntraOpPool.Threads > 1 ? Schedule.WeightsStationary : Schedule.StreamedWeights);
            if (schedule == Schedule.WeightsStationary)
            {
                ForwardWeightsStationary(d, x, xo, w, wo, flip, b, bo, y, yo, blocks);
                return;
            }
            // U is pinned for the call, its first row moved to a 64-byte boundary: U larger than L2 is written past the caches
            // (aligned streaming stores), as it would be evicted before its first read anyway (128→128 at 28×28: forward 1.66
            // → 1.45 ms, input gradient 1.82 → 1.52 in one process).
            var u = ArrayPool<T>.Shared.Rent(P * kcPad + 64 / sizeof(T));
            var pin = GCHandle.Alloc(u, GCHandleType.Pinned);
            try
            {
                int uo = (int)((64 - (pin.AddrOfPinnedObject() & 63)) & 63) / sizeof(T);
                TransformWeights(d, w, wo, flip, u, uo, kcPad, mr, stream: schedule == Schedule.StreamedWeights && (long)mr * d.Cin % Vector<T>.Count == 0);
                var dd = d;
                // Each thread a contiguous run of blocks: neighbouring blocks share the cache lines of the output rows
                // where one ends and the next begins, which bounced between cores when blocks were dealt out one by one
                // (64→64 at 56×56: 2.7 → 2.2 ms).
                int threads = Math.Min(IntraOpPool.Threads, blocks);
                IntraOpPool.For(threads, t =>
                {
                    for (int blk = t * blocks / threads; blk < (t + 1) * blocks / threads; blk++)
                        ForwardBlock(dd, x, xo, u, uo, kcPad, b, bo, y, yo, (long)blk * nr, nr, null, 0, null, 0, Stages.All);
                });
            }
            finally
            {
                pin.Free();
                ArrayPool<T>.Shared.Return(u);
            }
        }

        /// <summary>
        /// <see cref="Forward{T}"/> for a block of tiles per thread or fewer, and transformed weights larger than L2
        /// (resnet18's 256-channel layer at 14×14, batch 4: two blocks, U 9.4 MB), where writing U and reading all of it
        /// on every thread was half the pass: every block's V first (a thread per block); then each thread takes its own
        /// slivers of output channels and, a chunk of 128 input channels at a time, transforms their kernels into a buffer
        /// that stays in L2 and multiplies it at once with every block's V_p (accumulating over chunks); then the output
        /// transforms (a thread per block). U is never stored whole (forward 2.1 → 1.9 ms, input gradient 2.2 → 1.9 in
        /// one process; with more blocks, re-reading every V per sliver costs more than U).
        /// </summary>
        static void ForwardWeightsStationary<T>(in Dims d, T[] x, long xo, T[] w, long wo, bool flip, T[]? b, long bo, T[] y, long yo, int blocks)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int CiBlock = 128;
            if (wo + (long)d.Cout * d.Cin * 9 > w.Length) throw new ArgumentOutOfRangeException(nameof(w));
            var (mr, nr) = PackedGemm.PanelTile<T>();
            long vStride = Stride((long)d.Cin * nr), mStride = Stride((long)d.Cout * nr);
            var v = ArrayPool<T>.Shared.Rent(checked((int)(blocks * P * vStride)));
            var m = ArrayPool<T>.Shared.Rent(checked((int)(blocks * P * mStride)));
            try
            {
                var dd = d;
                int blockThreads = Math.Min(IntraOpPool.Threads, blocks);
                // The input or output transforms of every block, a contiguous run of blocks per thread.
                void EachBlock(Stages stage) => IntraOpPool.For(blockThreads, t =>
                {
                    for (int blk = t * blocks / blockThreads; blk < (t + 1) * blocks / blockThreads; blk++)
                        ForwardBlock(dd, x, xo, null, 0, 0, b, bo, y, yo, (long)blk * nr, nr, v, blk * P * vStride, m, blk * P * mStride, stage);
                });
                EachBlock(Stages.Input);
                int slivers = (d.Cout + mr - 1) / mr, rowThreads = Math.Min(IntraOpPool.Threads, slivers);
                IntraOpPool.For(rowThreads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
                {
                    int len = mr * CiBlock;
                    long uStride = Stride(len);
                    var taps = ArrayPool<T>.Shared.Rent(9 * len);
                    var u = ArrayPool<T>.Shared.Rent(checked((int)(P * uStride)));
                    try
                    {
                        var c = new Coefficients<T>();
                        fixed (T* pw = w, pu = u, pv = v, pm = m)
                            for (int s = t * slivers / rowThreads; s < (t + 1) * slivers / rowThreads; s++)
                                for (int ci0 = 0; ci0 < dd.Cin; ci0 += CiBlock)
                                {
                                    int cis = Math.Min(CiBlock, dd.Cin - ci0);
                                    // One sliver's U_p for these channels: [cis, mr] each, the packed A of a product over them.
                                    TransformChunk(c, pw + wo, dd.Cin, dd.Cout, flip, s, ci0, cis, mr, taps, len, pu, uStride, stream: false);
                                    for (int p = 0; p < P; p++)
                                        for (int blk = 0; blk < blocks; blk++)
                                            PackedGemm.PanelProduct(Math.Min(mr, dd.Cout - s * mr), cis, pu + p * uStride,
                                                pv + (blk * P + p) * vStride + (long)ci0 * nr, pm + (blk * P + p) * mStride + (long)s * mr * nr, nr,
                                                accumulate: ci0 > 0);
                                }
                    }
                    finally
                    {
                        ArrayPool<T>.Shared.Return(taps);
                        ArrayPool<T>.Shared.Return(u);
                    }
                });
                EachBlock(Stages.Output);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(v);
                ArrayPool<T>.Shared.Return(m);
            }
        }

        /// <summary>The parts of <see cref="ForwardBlock{T}"/> a call runs.</summary>
        [Flags]
        enum Stages { Input = 1, Product = 2, Output = 4, All = 7 }

        /// <summary>
        /// One block of <paramref name="nr"/> consecutive tiles (numbered across images), start to end on one thread so
        /// its transformed input and products stay in this core's caches: V [36, Cin, nr] = Bᵀ d B (written as the GEMM
        /// kernel's packed B), M_p [Cout × nr] = U_p · V_p (36 products on pre-packed operands), Y = Aᵀ M A + bias.
        /// (Transforming all tiles first and multiplying after streamed V and M, 2.25× the input and output each, through
        /// memory twice: the transforms took twice the products' time.) <paramref name="stages"/> selects the parts to run: the
        /// input transform into <paramref name="vShared"/> at <paramref name="vo"/> or the output transform from
        /// <paramref name="mShared"/> at <paramref name="mo"/> alone for <see cref="ForwardWeightsStationary{T}"/>; all
        /// three on buffers of its own otherwise.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void ForwardBlock<T>(in Dims d, T[] x, long xo, T[]? u, int uo, int kcPad, T[]? b, long bo, T[] y, long yo, long t0, int nr,
            T[]? vShared, long vo, T[]? mShared, long mo, Stages stages)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int tw = Tiles(d.OW), tImg = Tiles(d.OH) * tw;
            int count = (int)Math.Min(nr, (long)d.N * tImg - t0);
            long vStride = Stride((long)d.Cin * nr), mStride = Stride((long)d.Cout * nr);
            var v = vShared ?? ArrayPool<T>.Shared.Rent(checked((int)(P * vStride)));
            var m = mShared ?? ArrayPool<T>.Shared.Rent(checked((int)(P * mStride)));
            var rows = ArrayPool<T>.Shared.Rent(P * nr);
            var half = ArrayPool<T>.Shared.Rent(P * nr);
            try
            {
                // Each tile's window: its top-left input element (may lie in the padding) and the rows/columns inside the map;
                // its output tile's first element and the rows/columns inside the output; and the run of tiles in its tile row.
                Span<long> from = stackalloc long[nr], to = stackalloc long[nr];
                Span<byte> rLo = stackalloc byte[nr], rHi = stackalloc byte[nr], sLo = stackalloc byte[nr], sHi = stackalloc byte[nr];
                Span<byte> outRows = stackalloc byte[nr], outCols = stackalloc byte[nr];
                Span<byte> run = stackalloc byte[nr];
                long plane = (long)d.H * d.W;
                for (int j = 0; j < count; j++)
                {
                    long t = t0 + j;
                    int img = (int)(t / tImg), ti = (int)(t % tImg) / tw, tj = (int)(t % tImg) % tw;
                    int ih = 4 * ti - d.G.PadH, iw = 4 * tj - d.G.PadW;
                    from[j] = xo + (long)img * d.Cin * plane + (long)ih * d.W + iw;
                    rLo[j] = (byte)Math.Max(0, -ih); rHi[j] = (byte)Math.Clamp(d.H - ih, 0, 6);
                    sLo[j] = (byte)Math.Max(0, -iw); sHi[j] = (byte)Math.Clamp(d.W - iw, 0, 6);
                    to[j] = yo + (long)img * d.Cout * d.OHW + (long)(4 * ti) * d.OW + 4 * tj;
                    outRows[j] = (byte)Math.Min(4, d.OH - 4 * ti); outCols[j] = (byte)Math.Min(4, d.OW - 4 * tj);
                    // Tiles from here to the end of the tile row (or block).
                    run[j] = (byte)Math.Min(tw - tj, count - j);
                }
                var c = new Coefficients<T>();
                var win = new Windows(from, rLo, rHi, sLo, sHi, run);
                float* strip = stackalloc float[6 * (4 * nr + 4)];
                if ((stages & Stages.Input) != 0)
                {
                    // Columns past the last tile stay zero (products of zeros; never stored).
                    if (count < nr) new Span<T>(rows, 0, P * nr).Clear();
                    fixed (T* px = x, pr = rows)
                        for (int ch = 0; ch < d.Cin; ch++)
                        {
                            if (typeof(T) == typeof(float) && Transpose.IsSupported)
                                GatherRuns(win, (float*)px, x.Length, ch * plane, d.W, (float*)pr, nr, count, strip);
                            else GatherWindows(win, px + ch * plane, d.W, pr, nr, count);
                            Transform6(c, rows, half, nr, nr, v, vo + (long)ch * nr, vStride);
                        }
                }
                if ((stages & Stages.Product) != 0 && u is not null)
                    fixed (T* pu = u, pv = v, pm = m)
                        for (int p = 0; p < P; p++)
                            PackedGemm.PanelProduct(d.Cout, d.Cin, pu + uo + (long)p * kcPad, pv + vo + p * vStride, pm + mo + p * mStride, nr);
                if ((stages & Stages.Output) != 0)
                    TransformOutputBlock(d, c, m, mo, mStride, half, rows, nr, count, to, outRows, outCols, run, strip, b, bo, y);
            }
            finally
            {
                if (vShared is null) ArrayPool<T>.Shared.Return(v);
                if (mShared is null) ArrayPool<T>.Shared.Return(m);
                ArrayPool<T>.Shared.Return(rows);
                ArrayPool<T>.Shared.Return(half);
            }
        }

        /// <summary>A block's tile windows (see <see cref="ForwardBlock{T}"/>).</summary>
        readonly ref struct Windows(ReadOnlySpan<long> from, ReadOnlySpan<byte> rLo, ReadOnlySpan<byte> rHi, ReadOnlySpan<byte> sLo,
            ReadOnlySpan<byte> sHi, ReadOnlySpan<byte> run)
        {
            public readonly ReadOnlySpan<long> From = from;
            public readonly ReadOnlySpan<byte> RLo = rLo, RHi = rHi, SLo = sLo, SHi = sHi, Run = run;
        }

        /// <summary>
        /// rows[(6r + s)·nr + j] = element (r, s) of tile j's 6×6 window in the plane at <paramref name="px"/> (zero outside
        /// the map), element by element: the general form of <see cref="GatherRuns"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void GatherWindows<T>(in Windows win, T* px, int width, T* rows, int nr, int count) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int j = 0; j < count; j++)
            {
                T* src = px + win.From[j], dst = rows + j;
                if (win.RLo[j] == 0 && win.SLo[j] == 0 && win.RHi[j] == 6 && win.SHi[j] == 6)
                    for (int r = 0; r < 6; r++, src += width, dst += 6 * nr)
                    {
                        dst[0] = src[0]; dst[nr] = src[1]; dst[2 * nr] = src[2];
                        dst[3 * nr] = src[3]; dst[4 * nr] = src[4]; dst[5 * nr] = src[5];
                    }
                else
                    for (int r = 0; r < 6; r++, src += width, dst += 6 * nr)
                    {
                        bool inRow = r >= win.RLo[j] && r < win.RHi[j];
                        for (int s = 0; s < 6; s++) dst[s * nr] = inRow && s >= win.SLo[j] && s < win.SHi[j] ? src[s] : T.Zero;
                    }
            }
        }

        /// <summary>
        /// <see cref="GatherWindows{T}"/> for float with 4×4 transposes: the tiles of one tile row side by side read their
        /// windows' rows as consecutive elements (4·tiles + 2), four tiles at a time as five 4-wide vectors, transposed,
        /// instead of 24 scalar copies per row (the scalar gather was a third of a 64-channel 56×56 layer's forward pass).
        /// A run whose windows reach into the padding (or whose vector reads would pass the end of x) is first copied into
        /// <paramref name="strip"/>, zero-padded. <paramref name="plane"/> is the channel's offset from the windows' origin.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void GatherRuns(in Windows win, float* px, long length, long plane, int width, float* rows, int nr, int count, float* strip)
        {
            for (int j = 0; j < count;)
            {
                int len = win.Run[j], last = j + len - 1, span = 4 * len + 2;
                long origin = win.From[j] + plane;
                float* src;
                long stride;
                if (win.RLo[j] == 0 && win.RHi[j] == 6 && win.SLo[j] == 0 && win.SHi[last] == 6 && origin + 5L * width + span + 2 <= length)
                {
                    src = px + origin;
                    stride = width;
                }
                else
                {
                    // Window columns [c0, c1) lie inside the map; rows [RLo, RHi).
                    int c0 = win.SLo[j], c1 = 4 * (len - 1) + win.SHi[last];
                    src = strip;
                    stride = span + 2;
                    for (int r = 0; r < 6; r++)
                    {
                        var row = new Span<float>(strip + r * stride, (int)stride);
                        row.Clear();
                        if (r >= win.RLo[j] && r < win.RHi[j] && c1 > c0)
                            new ReadOnlySpan<float>(px + origin + (long)r * width + c0, c1 - c0).CopyTo(row[c0..]);
                    }
                }
                int q = 0;
                for (; q + 4 <= len; q += 4)
                {
                    float* f = src + 4 * q, o = rows + j + q;
                    for (int r = 0; r < 6; r++, f += stride, o += 6 * nr) Transpose.Quad6(f, o, nr);
                }
                for (; q < len; q++)
                {
                    float* f = src + 4 * q, o = rows + j + q;
                    for (int r = 0; r < 6; r++, f += stride, o += 6 * nr)
                    {
                        o[0] = f[0]; o[nr] = f[1]; o[2 * nr] = f[2]; o[3 * nr] = f[3]; o[4 * nr] = f[4]; o[5 * nr] = f[5];
                    }
                }
                j += len;
            }
        }

        /// <summary>
        /// U_p [Cout × Cin] = (G g Gᵀ)_p for every kernel g, stored [36, kcPad], each U_p in the GEMM kernel's packed layout
        /// (<see cref="PackedGemm.PanelProduct{T}"/>'s A: slivers of <paramref name="mr"/> rows). A chunk of the packed order at a
        /// time (one sliver's rows × up to 128 input channels): its kernels' taps gathered side by side into a buffer that
        /// stays in L2, transformed a vector of kernels at a time, the chunk of every U_p written. (Gathering all taps
        /// first, then transforming, wrote and re-read a 9-row copy of the weights: 4 % of a resnet18 224×224 step;
        /// chunks of 32 channels wrote U in runs too short for the 256-channel layer.)
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformWeights<T>(in Dims d, T[] w, long wo, bool flip, T[] u, int uo, int kcPad, int mr, bool stream) where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int CiBlock = 128;
            int cin = d.Cin, cout = d.Cout, vw = Vector<T>.Count;
            int slivers = (cout + mr - 1) / mr, ciBlocks = (cin + CiBlock - 1) / CiBlock, len = mr * CiBlock;
            if (wo + (long)cout * cin * 9 > w.Length) throw new ArgumentOutOfRangeException(nameof(w));
            if ((long)slivers * mr * cin > kcPad || (P - 1) * (long)kcPad + (long)slivers * mr * cin > u.Length) throw new ArgumentOutOfRangeException(nameof(u));
            StridedLoop.ParallelRange((long)slivers * ciBlocks, 80L * len, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
            {
                // len is a whole number of vectors (mr = 6 or 12, vw ≤ 16); lanes past a short chunk's end are computed, not stored.
                var taps = ArrayPool<T>.Shared.Rent(9 * len);
                try
                {
                    var c = new Coefficients<T>();
                    fixed (T* pw = w, pu = u)
                        for (long bi = b0; bi < b1; bi++)
                        {
                            int s = (int)(bi / ciBlocks), ci0 = (int)(bi % ciBlocks) * CiBlock, cis = Math.Min(CiBlock, cin - ci0);
                            TransformChunk(c, pw + wo, cin, cout, flip, s, ci0, cis, mr, taps, len, pu + uo + (long)s * mr * cin + (long)ci0 * mr, kcPad, stream);
                        }
                }
                finally
                {
                    // Streaming stores are weakly ordered: done before the products, on other threads, read U.
                    if (stream && Sse.IsSupported) Sse.StoreFence();
                    ArrayPool<T>.Shared.Return(taps);
                }
            });
        }

        /// <summary>
        /// One chunk of <see cref="TransformWeights{T}"/>: sliver <paramref name="s"/>'s kernels (rows s·mr …) for input
        /// channels [ci0, ci0 + cis), their taps gathered into <paramref name="taps"/> [9, len], U_p's chunk written at
        /// <paramref name="dst0"/> + p·<paramref name="dStride"/> in the packed order (input channel-major, mr rows each).
        /// <paramref name="pw"/> points at the layer's weights.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformChunk<T>(in Coefficients<T> c, T* pw, int cin, int cout, bool flip, int s, int ci0, int cis, int mr, T[] taps, int len,
            T* dst0, long dStride, bool stream) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int vw = Vector<T>.Count, rowsIn = Math.Min(mr, cout - s * mr), n = cis * mr;
            Span<Vector<T>> gg = stackalloc Vector<T>[18];
            Span<T> part = stackalloc T[vw];
            ref T tp = ref MemoryMarshal.GetArrayDataReference(taps);
            // Rows past Cout (the last sliver's) stay zero.
            if (rowsIn < mr) new Span<T>(taps, 0, 9 * len).Clear();
            bool quads = typeof(T) == typeof(float) && Transpose.IsSupported;
            fixed (T* pt = taps)
                for (int ci = 0; ci < cis; ci++)
                    for (int row = 0; row < rowsIn; row++)
                    {
                        int co = s * mr + row;
                        if (quads && row + 4 <= rowsIn)
                        {
                            // Four kernels' taps at once: two 4×4 transposes and the ninth tap by element.
                            long at = flip ? ((long)(ci0 + ci) * cout + co) * 9 : ((long)co * cin + ci0 + ci) * 9, step = flip ? 9 : (long)cin * 9;
                            T* src = pw + at;
                            Transpose.Taps9((float*)src, (float*)(src + step), (float*)(src + 2 * step), (float*)(src + 3 * step),
                                (float*)(pt + ci * mr + row), len, flip);
                            row += 3;
                            continue;
                        }
                        T* tap = pt + ci * mr + row;
                        if (flip)
                        {
                            // This convolution's kernel (co, ci) is the original's [ci, co] read back to front.
                            T* src = pw + ((long)(ci0 + ci) * cout + co) * 9;
                            for (int t = 0; t < 9; t++) tap[t * len] = src[8 - t];
                        }
                        else
                        {
                            T* src = pw + ((long)co * cin + ci0 + ci) * 9;
                            for (int t = 0; t < 9; t++) tap[t * len] = src[t];
                        }
                    }
            for (int q = 0; q < n; q += vw)
            {
                nuint at = (nuint)q, ld = (nuint)len;
                // Columns first: Gg (6×3), then rows: (Gg)Gᵀ (6×6).
                for (int j = 0; j < 3; j++)
                    c.KernelColumn(Vector.LoadUnsafe(ref tp, (nuint)j * ld + at), Vector.LoadUnsafe(ref tp, (nuint)(3 + j) * ld + at),
                        Vector.LoadUnsafe(ref tp, (nuint)(6 + j) * ld + at), out gg[j], out gg[3 + j], out gg[6 + j], out gg[9 + j], out gg[12 + j], out gg[15 + j]);
                int count = Math.Min(vw, n - q);
                for (int r = 0; r < 6; r++)
                {
                    c.KernelColumn(gg[3 * r], gg[3 * r + 1], gg[3 * r + 2], out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                    T* dst = dst0 + (long)(6 * r) * dStride + q;
                    if (count == vw && stream)
                    {
                        // dst is vector-aligned (the caller's condition for streaming).
                        StoreStreaming(o0, dst); StoreStreaming(o1, dst + dStride); StoreStreaming(o2, dst + 2 * dStride);
                        StoreStreaming(o3, dst + 3 * dStride); StoreStreaming(o4, dst + 4 * dStride); StoreStreaming(o5, dst + 5 * dStride);
                    }
                    else if (count == vw)
                    {
                        o0.Store(dst); o1.Store(dst + dStride); o2.Store(dst + 2 * dStride);
                        o3.Store(dst + 3 * dStride); o4.Store(dst + 4 * dStride); o5.Store(dst + 5 * dStride);
                    }
                    else
                    {
                        // A short chunk's last vector: only its lanes (the next lanes are another chunk's, maybe another thread's).
                        o0.CopyTo(part); part[..count].CopyTo(new Span<T>(dst, count));
                        o1.CopyTo(part); part[..count].CopyTo(new Span<T>(dst + dStride, count));
                        o2.CopyTo(part); part[..count].CopyTo(new Span<T>(dst + 2 * dStride, count));
                        o3.CopyTo(part); part[..count].CopyTo(new Span<T>(dst + 3 * dStride, count));
                        o4.CopyTo(part); part[..count].CopyTo(new Span<T>(dst + 4 * dStride, count));
                        o5.CopyTo(part); part[..count].CopyTo(new Span<T>(dst + 5 * dStride, count));
                    }
                }
            }
        }

        /// <summary>v to a vector-aligned dst past the caches (a non-temporal store).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void StoreStreaming<T>(Vector<T> v, T* dst) where T : unmanaged
        {
            if (Vector<byte>.Count == 64) v.AsVector512().StoreAlignedNonTemporal(dst);
            else if (Vector<byte>.Count == 32) v.AsVector256().StoreAlignedNonTemporal(dst);
            else v.AsVector128().StoreAlignedNonTemporal(dst);
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
                // Slack: a transposed gather's last vector reads two elements past a frame row.
                var frame = ArrayPool<T>.Shared.Rent(hp * wp + 4);
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
                                    int tj = 0;
                                    if (typeof(T) == typeof(float) && Transpose.IsSupported)
                                        for (; tj + 4 <= tw; tj += 4, from += 16) Transpose.Quad6((float*)from, (float*)(to + tj), tPad);
                                    for (; tj < tw; tj++, from += 4)
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
        /// Y = Aᵀ M A + bias for a block's tiles, M_p [Cout × nr] at p·mStride: per output channel, the 36 rows of M
        /// transformed a vector of tiles at a time into <paramref name="outs"/> [16, nr] (through <paramref name="half"/>),
        /// then each tile's 4×4 outputs stored at <paramref name="to"/> (its first output in channel 0), cut at the map's edge.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void TransformOutputBlock<T>(in Dims d, in Coefficients<T> c, T[] m, long mo, long mStride, T[] half, T[] outs, int nr, int count,
            ReadOnlySpan<long> to, ReadOnlySpan<byte> outRows, ReadOnlySpan<byte> outCols, ReadOnlySpan<byte> run, float* strip, T[]? b, long bo, T[] y)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int vw = Vector<T>.Count;
            if (mo + (P - 1) * mStride + (long)d.Cout * nr > m.Length || 24 * nr > half.Length || 16 * nr > outs.Length) throw new ArgumentOutOfRangeException(nameof(m));
            ref T mp = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(m), (nint)mo);
            ref T h = ref MemoryMarshal.GetArrayDataReference(half);
            ref T o = ref MemoryMarshal.GetArrayDataReference(outs);
            nuint ldm = (nuint)mStride, ld = (nuint)nr;
            int ow = d.OW;
            long ohw = d.OHW;
            fixed (T* py = y, po = outs)
                for (int k = 0; k < d.Cout; k++)
                {
                    nuint mBase = (nuint)k * ld;
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
                    if (typeof(T) == typeof(float) && Transpose.IsSupported)
                    {
                        StoreRuns((float*)po, nr, count, run, outRows, outCols, (float*)py, y.Length, to, k * ohw, ow, Unsafe.As<T, float>(ref bias), (float*)strip);
                        continue;
                    }
                    for (int j = 0; j < count; j++)
                    {
                        // Output (a, col) of tile j is outs[(4a + col)·nr + j].
                        T* yt = py + to[j] + k * ohw, ot = po + j;
                        if (outRows[j] == 4 && outCols[j] == 4)
                            for (int a = 0; a < 4; a++, yt += ow, ot += 4 * nr)
                            {
                                yt[0] = ot[0] + bias;
                                yt[1] = ot[nr] + bias;
                                yt[2] = ot[2 * nr] + bias;
                                yt[3] = ot[3 * nr] + bias;
                            }
                        else
                            for (int a = 0; a < outRows[j]; a++, yt += ow, ot += 4 * nr)
                                for (int col = 0; col < outCols[j]; col++) yt[col] = ot[col * nr] + bias;
                    }
                }
        }

        /// <summary>
        /// The scatter of <see cref="TransformOutputBlock{T}"/> for float with 4×4 transposes: a tile row's run of tiles
        /// writes each output row's 4·tiles consecutive elements, four tiles (16 elements) per transpose of four rows of
        /// <paramref name="outs"/>. A run cut by the map's edge goes through <paramref name="strip"/> [4, 4·tiles + 4],
        /// of which the part inside the map is copied.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        static void StoreRuns(float* outs, int nr, int count, ReadOnlySpan<byte> run, ReadOnlySpan<byte> outRows, ReadOnlySpan<byte> outCols,
            float* py, long length, ReadOnlySpan<long> to, long plane, int ow, float bias, float* strip)
        {
            var vb = Vector128.Create(bias);
            for (int j = 0; j < count;)
            {
                int len = run[j], last = j + len - 1, rowsIn = outRows[j], cols = 4 * (len - 1) + outCols[last];
                long origin = to[j] + plane;
                bool direct = rowsIn == 4 && cols == 4 * len && origin + 3L * ow + cols <= length;
                float* dst = direct ? py + origin : strip;
                long stride = direct ? ow : 4 * len + 4;
                for (int a = 0; a < 4; a++)
                {
                    float* f = outs + j + 4 * a * nr, o = dst + a * stride;
                    int q = 0;
                    for (; q + 4 <= len; q += 4, f += 4, o += 16)
                    {
                        Transpose.Of4(Vector128.Load(f), Vector128.Load(f + nr), Vector128.Load(f + 2 * nr), Vector128.Load(f + 3 * nr),
                            out var r0, out var r1, out var r2, out var r3);
                        (r0 + vb).Store(o); (r1 + vb).Store(o + 4); (r2 + vb).Store(o + 8); (r3 + vb).Store(o + 12);
                    }
                    for (; q < len; q++, f++, o += 4)
                    {
                        o[0] = f[0] + bias; o[1] = f[nr] + bias; o[2] = f[2 * nr] + bias; o[3] = f[3 * nr] + bias;
                    }
                }
                if (!direct)
                    for (int a = 0; a < rowsIn; a++)
                        new ReadOnlySpan<float>(strip + a * stride, cols).CopyTo(new Span<float>(py + origin + (long)a * ow, cols));
                j += len;
            }
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
