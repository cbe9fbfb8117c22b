using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Ignis.Backends.Cpu.Gemm;

namespace Ignis.Backends.Cpu;

/// <summary>
/// 2-D convolution, forward and both gradients, choosing per shape: a direct kernel for depthwise convolution (one
/// input and one output channel per group), a plain GEMM for 1×1 stride-1 unpadded convolution (the input already is
/// the column matrix), Winograd's F(4×4, 3×3) for 3×3 stride-1 layers with channels and tiles enough
/// (<see cref="Winograd"/>), and otherwise an implicit GEMM whose column matrix the packing unfolds on demand
/// (<see cref="Im2ColRows{T}"/>). Stride-1 input gradients run as forward convolutions of the flipped kernel; other
/// strides multiply into a column buffer and fold it back (col2im). Small maps batch all images into one product.
/// </summary>
internal static partial class ConvKernels
{
    internal readonly record struct Dims(int N, int Cin, int H, int W, int Cout, int KH, int KW, int OH, int OW, Conv2dGeometry G)
    {
        public int CinG => Cin / G.Groups;
        public int CoutG => Cout / G.Groups;
        public int ColRows => CinG * KH * KW;
        public int OHW => OH * OW;
        public bool Depthwise => G.Groups == Cin && Cout == Cin;
        public bool Pointwise => KH == 1 && KW == 1 && G.StrideH == 1 && G.StrideW == 1 && G.PadH == 0 && G.PadW == 0;
        /// <summary>
        /// Small feature maps: unfold all images side by side so one GEMM gets N = batch·OH·OW columns. Not for a 1×1
        /// layer's maps of 14×14 and more: its input already is each image's column matrix, and gathering the images
        /// side by side (and scattering the result back) cost more than the wider product saved (192→32 at 28×28: 2×).
        /// </summary>
        public bool Batched => SmallMaps && !(Pointwise && OHW >= 196);
        bool SmallMaps => N > 1 && OHW <= 1024 && (long)ColRows * N * OHW <= 1 << 24;
        /// <summary>
        /// The weight gradient also batches a 1×1 layer that narrows the channels when batch·OH·OW is long enough for its
        /// dot products (per image, its packing transposes the wide input: 192→32 at 28×28, 0.60 → 0.34 ms); a widening
        /// one stays per image (32→192: 0.34 ms per image, 0.48 batched).
        /// </summary>
        public bool BatchedWeight => Batched || (SmallMaps && Pointwise && ColRows > CoutG && (long)N * OHW >= 1024);
        public int NB => N * OHW;
    }

    static DepthwiseKernels.Plane Plane(in Dims d) => new(d.H, d.W, d.KH, d.KW, d.OH, d.OW, d.G.StrideH, d.G.StrideW, d.G.PadH, d.G.PadW, d.G.DilationH, d.G.DilationW);

    static Dims Shape(TensorView input, TensorView weight, TensorView output, Conv2dGeometry g) => new(
        (int)input.shape[0], (int)input.shape[1], (int)input.shape[2], (int)input.shape[3],
        (int)weight.shape[0], (int)weight.shape[2], (int)weight.shape[3], (int)output.shape[2], (int)output.shape[3], g);

    // ---------- forward ----------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Shape(input, weight, output, g);
        T[]? b = bias is null ? null : CpuBackend.Data<T>(bias);
        ForwardCore(d, CpuBackend.Data<T>(input), input.offset, CpuBackend.Data<T>(weight), weight.offset, b, bias?.offset ?? 0,
            CpuBackend.Data<T>(output), output.offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForwardCore<T>(Dims d, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = d.G;
        if (d.Depthwise)
        {
            DepthwiseKernels.Forward(Plane(d), d.N * d.Cin, d.Cin, x, xo, w, wo, b, bo, y, yo);
            return;
        }
        if (Winograd.Applies<T>(d))
        {
            Winograd.Forward(d, x, xo, w, wo, b, bo, y, yo);
            return;
        }
        if (d.Batched)
        {
            ForwardBatched(d, x, xo, w, wo, b, bo, y, yo);
            return;
        }
        var dd = d;
        void Image(int n, int gi)
        {
            var colView = dd.Pointwise ? new MatrixView<T>(x, XPlane(dd, xo, n, gi), dd.OHW, 1) : VirtualColumns(dd, x, xo, gi, n, 1);
            long yBlock = YBlock(dd, yo, n, gi);
            PackedGemm.Run(dd.CoutG, dd.OHW, dd.ColRows, T.One, new MatrixView<T>(w, wo + (long)gi * dd.CoutG * dd.ColRows, dd.ColRows, 1),
                colView, T.Zero, y, yBlock, dd.OHW);
            if (b is not null)
                for (int co = 0; co < dd.CoutG; co++)
                    TensorPrimitives.Add(new ReadOnlySpan<T>(y, (int)(yBlock + (long)co * dd.OHW), dd.OHW), b[bo + gi * dd.CoutG + co],
                        new Span<T>(y, (int)(yBlock + (long)co * dd.OHW), dd.OHW));
        }
        if (ImagesInParallel(d)) IntraOpPool.For(d.N * g.Groups, i => Image(i / dd.G.Groups, i % dd.G.Groups));
        else
            for (int n = 0; n < d.N; n++)
                for (int gi = 0; gi < g.Groups; gi++) Image(n, gi);
    }

    /// <summary>
    /// A 1×1 layer's images (and groups) run side by side, one product per thread, when there are at least as many as
    /// threads and they divide evenly (or are many): each image's product is small (mobilenet_v2's 32→192 at 28×28 is
    /// [192 × 784] · K = 32), and one parallel region per image left a thread waiting at each join (a quarter of the
    /// layer's time).
    /// </summary>
    static bool ImagesInParallel(in Dims d)
    {
        int threads = IntraOpPool.Threads, units = d.N * d.G.Groups;
        return d.Pointwise && threads > 1 && units >= threads && (units % threads == 0 || units >= 4 * threads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static long XPlane(in Dims d, long xo, int n, int gi) => xo + ((long)n * d.Cin + gi * d.CinG) * d.H * d.W;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static long YBlock(in Dims d, long yo, int n, int gi) => yo + ((long)n * d.Cout + gi * d.CoutG) * d.OHW;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForwardBatched<T>(in Dims d, T[] x, long xo, T[] w, long wo, T[]? b, long bo, T[] y, long yo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = d.NB;
        var tmp = ArrayPool<T>.Shared.Rent(d.CoutG * nb);
        var col = ArrayPool<T>.Shared.Rent(d.ColRows * nb);
        try
        {
            for (int gi = 0; gi < d.G.Groups; gi++)
            {
                PackedGemm.Run(d.CoutG, nb, d.ColRows, T.One, new MatrixView<T>(w, wo + (long)gi * d.CoutG * d.ColRows, d.ColRows, 1),
                    StoredColumns(d, x, xo, gi, col), T.Zero, tmp, 0, nb);
                for (int n = 0; n < d.N; n++)
                    for (int co = 0; co < d.CoutG; co++)
                    {
                        var src = new ReadOnlySpan<T>(tmp, co * nb + n * d.OHW, d.OHW);
                        var dst = new Span<T>(y, (int)(YBlock(d, yo, n, gi) + (long)co * d.OHW), d.OHW);
                        if (b is null) src.CopyTo(dst);
                        else TensorPrimitives.Add(src, b[bo + gi * d.CoutG + co], dst);
                    }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(tmp);
            ArrayPool<T>.Shared.Return(col);
        }
    }

    /// <summary>Gathers one group's output gradient of every image into [CoutG, N·OH·OW].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void GatherBatched<T>(in Dims d, T[] gy, long gyo, int gi, T[] dst) where T : unmanaged
    {
        int nb = d.NB;
        for (int n = 0; n < d.N; n++)
            for (int co = 0; co < d.CoutG; co++)
                new ReadOnlySpan<T>(gy, (int)(YBlock(d, gyo, n, gi) + (long)co * d.OHW), d.OHW).CopyTo(new Span<T>(dst, co * nb + n * d.OHW, d.OHW));
    }

    /// <summary>Runs <paramref name="body"/> with a column buffer [ColRows, N·OH·OW] and a gradient buffer [CoutG, N·OH·OW].</summary>
    static void WithBatchedBuffers<T>(in Dims d, Action<T[], T[]> body)
    {
        var col = ArrayPool<T>.Shared.Rent(d.ColRows * d.NB);
        var gyb = ArrayPool<T>.Shared.Rent(d.CoutG * d.NB);
        try { body(col, gyb); }
        finally
        {
            ArrayPool<T>.Shared.Return(col);
            ArrayPool<T>.Shared.Return(gyb);
        }
    }

    static void BackwardInputBatched<T>(Dims d, T[] gy, long gyo, T[] w, long wo, T[] gx, long gxo) where T : unmanaged, IFloatingPointIeee754<T> =>
        WithBatchedBuffers<T>(d, (col, gyb) =>
        {
            int nb = d.NB;
            for (int gi = 0; gi < d.G.Groups; gi++)
            {
                GatherBatched(d, gy, gyo, gi, gyb);
                PackedGemm.Run(d.ColRows, nb, d.CoutG, T.One, new MatrixView<T>(w, wo + (long)gi * d.CoutG * d.ColRows, 1, d.ColRows),
                    new MatrixView<T>(gyb, 0, nb, 1), T.Zero, col, 0, nb);
                StoredColumnsAdjoint(d, col, gx, gxo, gi);
            }
        });

    static void BackwardWeightBatched<T>(in Dims d, T[] gy, long gyo, T[] x, long xo, T[] gw, long gwo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dd = d;
        WithBatchedBuffers<T>(d, (col, gyb) =>
        {
            for (int gi = 0; gi < dd.G.Groups; gi++)
            {
                GatherBatched(dd, gy, gyo, gi, gyb);
                var gyv = new MatrixView<T>(gyb, 0, dd.NB, 1);
                // The dot-product form unfolds its own K chunks: the column matrix (14 MB for 128 channels at 28×28, batch
                // 4) is then never written out.
                var virt = VirtualColumns(dd, x, xo, gi, 0, dd.N);
                var cols = UsesDotProducts(dd.NB, gyv, virt) ? virt : StoredColumns(dd, x, xo, gi, col);
                WeightGradient(dd, gyv, cols, dd.NB, T.Zero, gw, gwo + (long)gi * dd.CoutG * dd.ColRows);
            }
        });
    }

    /// <summary>Output columns [ow0, ow1) whose input column ow·stride + shift lies inside [0, width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ValidRange(int outW, int width, int stride, int shift, out int ow0, out int ow1)
    {
        ow0 = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        ow1 = width - shift <= 0 ? 0 : Math.Min(outW, (width - shift - 1) / stride + 1);
    }

    /// <summary>Adds the columns back into one group of one image's gradient (the adjoint of the unfolding, <see cref="Im2ColRows{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Col2Im<T>(in Dims d, T[] col, T[] gx, long gxOff, long colOff = 0, long ld = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ld < 0) ld = d.OHW;
        var dd = d;
        // Parallel over input channels: rows of different channels never write the same input element.
        StridedLoop.ParallelRange(d.CinG, (long)d.KH * d.KW * d.OHW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            var g = dd.G;
            for (long c = c0; c < c1; c++)
                for (int kh = 0; kh < dd.KH; kh++)
                    for (int kw = 0; kw < dd.KW; kw++)
                    {
                        long r = (c * dd.KH + kh) * dd.KW + kw;
                        int shift = kw * g.DilationW - g.PadW;
                        ValidRange(dd.OW, dd.W, g.StrideW, shift, out int ow0, out int ow1);
                        if (ow0 >= ow1) continue;
                        for (int oh = 0; oh < dd.OH; oh++)
                        {
                            int ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                            if ((uint)ih >= (uint)dd.H) continue;
                            long dst = gxOff + (c * dd.H + ih) * dd.W + shift;
                            long src = colOff + r * ld + (long)oh * dd.OW;
                            if (g.StrideW == 1 && ow1 - ow0 >= 16)
                            {
                                var s = new ReadOnlySpan<T>(col, (int)(src + ow0), ow1 - ow0);
                                var t = new Span<T>(gx, (int)(dst + ow0), ow1 - ow0);
                                TensorPrimitives.Add(s, t, t);
                            }
                            else for (int ow = ow0; ow < ow1; ow++) gx[dst + ow * g.StrideW] += col[src + ow];
                        }
                    }
        });
    }

    // ---------- gradient with respect to the input ----------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardInput<T>(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Shape(gradInput, weight, gradOutput, g);
        T[] gy = CpuBackend.Data<T>(gradOutput), w = CpuBackend.Data<T>(weight), gx = CpuBackend.Data<T>(gradInput);
        long gyo = gradOutput.offset, wo = weight.offset, gxo = gradInput.offset;
        // Large maps only (any batch): on small maps the column matrix is small and folding it back is cheap,
        // while flipping the kernel is not (9 MB for resnet18's 512-channel layer; 1.5× slower at 128 channels @ 8×8).
        // Also wherever the flipped forward convolution runs by Winograd's algorithm.
        if (!d.Depthwise && !d.Pointwise && g.StrideH == 1 && g.StrideW == 1
            && g.PadH <= g.DilationH * (d.KH - 1) && g.PadW <= g.DilationW * (d.KW - 1)
            && (d.OHW > 1024 || Winograd.Applies<T>(Flipped(d))))
        {
            BackwardInputAsForward(d, gy, gyo, w, wo, gx, gxo);
            return;
        }
        if (d.Depthwise)
        {
            // Writes every element of dx (no clearing pass: 7 MB for mobilenet_v2's 144-channel layer at 56×56, batch 4).
            DepthwiseKernels.BackwardInput(Plane(d), d.N * d.Cin, d.Cin, gy, gyo, w, wo, gx, gxo);
            return;
        }
        new Span<T>(gx, (int)gxo, d.N * d.Cin * d.H * d.W).Clear();
        if (d.Batched)
        {
            BackwardInputBatched(d, gy, gyo, w, wo, gx, gxo);
            return;
        }
        if (ImagesInParallel(d))
        {
            // W_gᵀ [ColRows × CoutG] · dY [CoutG × OHW] per image and group, side by side (1×1: dX is the product).
            var dd = d;
            IntraOpPool.For(d.N * g.Groups, i =>
            {
                int n = i / dd.G.Groups, gi = i % dd.G.Groups;
                PackedGemm.Run(dd.ColRows, dd.OHW, dd.CoutG, T.One, new MatrixView<T>(w, wo + (long)gi * dd.CoutG * dd.ColRows, 1, dd.ColRows),
                    new MatrixView<T>(gy, YBlock(dd, gyo, n, gi), dd.OHW, 1), T.Zero, gx, XPlane(dd, gxo, n, gi), dd.OHW);
            });
            return;
        }
        T[]? col = d.Pointwise ? null : ArrayPool<T>.Shared.Rent(d.ColRows * d.OHW);
        try
        {
            for (int n = 0; n < d.N; n++)
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    long gxPlane = XPlane(d, gxo, n, gi);
                    long gyBlock = YBlock(d, gyo, n, gi);
                    // W_gᵀ [ColRows × CoutG] · dY [CoutG × OHW]
                    var wT = new MatrixView<T>(w, wo + (long)gi * d.CoutG * d.ColRows, 1, d.ColRows);
                    var gyv = new MatrixView<T>(gy, gyBlock, d.OHW, 1);
                    if (col is null) PackedGemm.Run(d.ColRows, d.OHW, d.CoutG, T.One, wT, gyv, T.Zero, gx, gxPlane, d.OHW);
                    else
                    {
                        PackedGemm.Run(d.ColRows, d.OHW, d.CoutG, T.One, wT, gyv, T.Zero, col, 0, d.OHW);
                        Col2Im(d, col, gx, gxPlane);
                    }
                }
        }
        finally { if (col is not null) ArrayPool<T>.Shared.Return(col); }
    }

    /// <summary>
    /// Stride-1 input gradient as a forward convolution of dY with the flipped, in/out-swapped kernel and padding
    /// dilation·(k−1) − pad (what cuDNN and oneDNN do for backward-data): the same im2col + GEMM shape as the forward
    /// pass, instead of a K = Cout product that writes a [Cin·k·k, H·W] column matrix and scatters it back (col2im).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void BackwardInputAsForward<T>(in Dims d, T[] gy, long gyo, T[] w, long wo, T[] gx, long gxo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = d.G;
        var dT = Flipped(d);
        if (Winograd.Applies<T>(dT))
        {
            // The Winograd weight transform flips and swaps the kernel as it reads it.
            Winograd.Forward(dT, gy, gyo, w, wo, null, 0, gx, gxo, flip: true);
            return;
        }
        int kk = d.KH * d.KW, cinG = d.CinG, coutG = d.CoutG;
        var flipped = ArrayPool<T>.Shared.Rent(d.Cout * cinG * kk);
        try
        {
            // W'[g·CinG + ci, co, kh, kw] = W[g·CoutG + co, ci, KH−1−kh, KW−1−kw]: W' written in order, each thread a range of
            // its rows (g, ci), whose reads (kk elements, CinG·kk apart) share cache lines with the neighbouring rows'.
            // (The loop in W's order took 1.5 ms of resnet18's 512-channel 7×7 input gradient.)
            if (wo + (long)d.Cout * cinG * kk > w.Length) throw new ArgumentOutOfRangeException(nameof(w));
            StridedLoop.ParallelRange((long)g.Groups * cinG, (long)coutG * kk, (r0, r1) =>
            {
                fixed (T* pw = w, pf = flipped)
                    for (long r = r0; r < r1; r++)
                    {
                        long gi = r / cinG, ci = r % cinG;
                        T* dst = pf + r * coutG * kk;
                        T* src = pw + wo + (gi * coutG * cinG + ci) * kk + kk - 1;
                        for (int co = 0; co < coutG; co++, src += (long)cinG * kk)
                            for (int t = 0; t < kk; t++) *dst++ = src[-t];
                    }
            });
            ForwardCore<T>(dT, gy, gyo, flipped, 0, null, 0, gx, gxo);
        }
        finally { ArrayPool<T>.Shared.Return(flipped); }
    }

    /// <summary>The forward convolution <see cref="BackwardInputAsForward{T}"/> runs: dY in, dX out, padding dilation·(k−1) − pad.</summary>
    static Dims Flipped(in Dims d)
    {
        var g = d.G;
        var gT = new Conv2dGeometry(1, 1, g.DilationH * (d.KH - 1) - g.PadH, g.DilationW * (d.KW - 1) - g.PadW, g.DilationH, g.DilationW, g.Groups);
        return new Dims(d.N, d.Cout, d.OH, d.OW, d.Cin, d.KH, d.KW, d.H, d.W, gT);
    }

    // ---------- gradient with respect to the weight ----------

    /// <summary>
    /// dW_g [CoutG × ColRows] = dY [CoutG × K] · colᵀ [K × ColRows] + beta·dW_g. With a long K on AVX-512 the product runs
    /// as dot products (<see cref="DotGemm"/>): dY and the column matrix are both contiguous along K, so neither has to
    /// be transposed while packing (resnet18's conv1 weight gradient 11.3 → 7.4 ms, a 16→96 1×1 at 112×112 3.4 → 1.9 ms).
    /// Otherwise, when the column matrix is the larger
    /// operand (3×3 kernels: ColRows = 9·CinG) and K is long, the transpose dW_gᵀ = col · dYᵀ is computed instead,
    /// written through dW_g's transposed strides: the column matrix is then packed as a row-major A (rows side by side)
    /// and only dY is read transposed, where the direct form packs the whole column matrix through strided writes (2×
    /// slower for resnet18's 64→64 3×3 layer at 56×56). With a short K (the batched small-map path) the transposed
    /// write-back of dW_g costs more than the product saves (resnet18's 512-channel layer at 2×2, K = 16: twice as slow).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void WeightGradient<T>(in Dims d, MatrixView<T> gy, MatrixView<T> cols, int k, T beta, T[] gw, long gwOff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Both dY and the column matrix are contiguous along K: with a long K, dot products need neither transposed.
        if (UsesDotProducts(k, gy, cols)) DotGemm.Run(d.CoutG, d.ColRows, k, T.One, gy, cols, beta, gw, gwOff, d.ColRows);
        else if (d.ColRows > d.CoutG && k > 1024) PackedGemm.Run(d.ColRows, d.CoutG, k, T.One, cols, gy.Transposed(), beta, gw, gwOff, 1, d.ColRows);
        else PackedGemm.Run(d.CoutG, d.ColRows, k, T.One, gy, cols.Transposed(), beta, gw, gwOff, d.ColRows, 1);
    }

    /// <summary>Whether <see cref="WeightGradient{T}"/> takes the dot-product form (short K: the packed GEMM is faster).</summary>
    static bool UsesDotProducts<T>(int k, MatrixView<T> gy, MatrixView<T> cols) where T : unmanaged => k >= 1024 && DotGemm.Applies(gy, cols);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeight<T>(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Shape(input, gradWeight, gradOutput, g);
        T[] gy = CpuBackend.Data<T>(gradOutput), x = CpuBackend.Data<T>(input), gw = CpuBackend.Data<T>(gradWeight);
        long gyo = gradOutput.offset, xo = input.offset, gwo = gradWeight.offset;
        if (d.Depthwise)
        {
            DepthwiseKernels.BackwardWeight(Plane(d), d.N, d.Cin, gy, gyo, x, xo, gw, gwo);
            return;
        }
        if (Winograd.Applies<T>(d))
        {
            Winograd.WeightGradient(d, gy, gyo, x, xo, gw, gwo);
            return;
        }
        if (d.BatchedWeight)
        {
            BackwardWeightBatched(d, gy, gyo, x, xo, gw, gwo);
            return;
        }
        var dd = d;
        // dW_g [CoutG × ColRows] (+)= dY [CoutG × OHW] · colᵀ [OHW × ColRows] for images [n0, n1), into dst.
        void Images(int n0, int n1, T[] dst, long dstOff)
        {
            for (int n = n0; n < n1; n++)
                for (int gi = 0; gi < dd.G.Groups; gi++)
                {
                    var cols = dd.Pointwise ? new MatrixView<T>(x, XPlane(dd, xo, n, gi), dd.OHW, 1) : VirtualColumns(dd, x, xo, gi, n, 1);
                    WeightGradient(dd, new MatrixView<T>(gy, YBlock(dd, gyo, n, gi), dd.OHW, 1), cols, dd.OHW, n == n0 ? T.Zero : T.One,
                        dst, dstOff + (long)gi * dd.CoutG * dd.ColRows);
                }
        }
        int threads = IntraOpPool.Threads;
        if (!ImagesInParallel(d) || d.N < threads)
        {
            Images(0, d.N, gw, gwo);
            return;
        }
        // Each thread sums its images' products into its own copy (the first into dW), then the copies are added.
        int size = d.Cout * d.ColRows;
        var partial = ArrayPool<T>.Shared.Rent((threads - 1) * size);
        try
        {
            IntraOpPool.For(threads, t => Images(t * dd.N / threads, (t + 1) * dd.N / threads, t == 0 ? gw : partial, t == 0 ? gwo : (long)(t - 1) * size));
            var sum = new Span<T>(gw, (int)gwo, size);
            for (int t = 1; t < threads; t++) TensorPrimitives.Add(sum, new ReadOnlySpan<T>(partial, (t - 1) * size, size), sum);
        }
        finally { ArrayPool<T>.Shared.Return(partial); }
    }

}
