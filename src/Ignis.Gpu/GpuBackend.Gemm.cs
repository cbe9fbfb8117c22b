using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Batched matrix products and convolution (im2col/col2im + the GEMM template).
internal sealed partial class GpuBackend
{
    /// <summary>A GEMM operand: storage, element offset, batch stride and the two matrix strides.</summary>
    readonly record struct Operand(Storage Storage, long Offset, long BatchStride, long Stride1, long Stride2)
    {
        public GemmOperand OnDevice => new(GpuStorage.Of(Storage).Mem, Offset, BatchStride, Stride1, Stride2);
    }

    /// <summary>C[z] (+)= Σ_s A[z·S+s]·B[z·S+s] for z &lt; batches ([M,K]·[K,N]; C's column stride is 1).</summary>
    void Gemm(GpuDevice device, KernelType t, long batches, long sum, long m, long n, long k, Operand a, Operand b, Operand c, bool accumulate)
    {
        if (batches == 0 || m == 0 || n == 0) return;
        if (device.TryVendorGemm(t.DType, batches, sum, m, n, k, a.OnDevice, b.OnDevice, c.OnDevice, accumulate)) return;
        var args = new KernelArgs();
        args.Long(m); args.Long(n); args.Long(k); args.Long(sum); args.Int(accumulate ? 1 : 0);
        foreach (var o in new[] { a, b })
        {
            args.Buffer(o.Storage); args.Long(o.Offset); args.Long(o.BatchStride); args.Long(o.Stride1); args.Long(o.Stride2);
        }
        args.Buffer(c.Storage); args.Long(c.Offset); args.Long(c.BatchStride); args.Long(c.Stride1);
        if (device.IsCpu)
        {
            device.Launch(Kernel(device, $"gemm-simple {t.DType.Kind}", "gemm", () => GemmSimple.Source(t)), args, [n, m, batches]);
            return;
        }
        long groupsN = (n + Kernels.Gemm.Tile - 1) / Kernels.Gemm.Tile, groupsM = (m + Kernels.Gemm.Tile - 1) / Kernels.Gemm.Tile;
        device.Launch(Kernel(device, $"gemm {t.DType.Kind}", "gemm", () => Kernels.Gemm.Source(t)), args,
            [groupsN * Kernels.Gemm.Threads, groupsM * Kernels.Gemm.Threads, batches], [Kernels.Gemm.Threads, Kernels.Gemm.Threads, 1]);
    }

    bool FloatKernelsFor(GpuDevice device, params TensorView?[] views)
    {
        var dt = views[0]!.DType;
        foreach (var v in views)
            if (v is not null && (v.DType != dt || DeviceOf(v) != device)) return false;
        return dt.IsFloatingPoint() && !NeedsFp64(device, [KernelType.Of(dt)], null);
    }

    bool TryMatMul(TensorView a, TensorView b, TensorView dst)
    {
        var device = DeviceOf(dst);
        if (!FloatKernelsFor(device, dst, a, b) || a.Dim != 3 || b.Dim != 3 || !dst.IsContiguous) return false;
        long batches = dst.Shape[0], m = dst.Shape[1], n = dst.Shape[2], k = a.Shape[2];
        if (k == 0) { Fill(dst, 0); return true; }
        Gemm(device, KernelType.Of(dst.DType), batches, 1, m, n, k,
            new(a.Storage, a.Offset, a.Strides[0], a.Strides[1], a.Strides[2]),
            new(b.Storage, b.Offset, b.Strides[0], b.Strides[1], b.Strides[2]),
            new(dst.Storage, dst.Offset, m * n, n, 1), accumulate: false);
        GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(dst);
        return true;
    }

    /// <summary>Images per im2col chunk, so the column buffer stays under 32 Mi elements.</summary>
    static long ChunkImages(long images, long colPerImage) => Math.Clamp((32L << 20) / Math.Max(1, colPerImage), 1, Math.Max(1, images));

    void Im2Col(GpuDevice device, KernelType t, TensorView x, long n0, long nb, long cstart, long cg, Conv2dGeometry g, long kh, long kw, long oh, long ow, Storage col)
    {
        long c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var args = new KernelArgs();
        long total = nb * cg * kh * kw * oh * ow;
        args.Long(total); args.Buffer(x.Storage); args.Long(x.Offset + n0 * c * h * w); args.Long(cg); args.Long(h); args.Long(w); args.Long(cstart); args.Long(c);
        args.Buffer(col);
        WindowArgs(args, g, kh, kw, oh, ow);
        device.Launch(Kernel(device, $"conv {t.DType.Kind}", "im2col", () => ConvKernels.Source(t)), args, [total]);
    }

    /// <summary>The kernel window, stride, padding, dilation and output size, as im2col and col2im take them.</summary>
    static void WindowArgs(KernelArgs args, Conv2dGeometry g, long kh, long kw, long oh, long ow)
    {
        args.Int((int)kh); args.Int((int)kw); args.Int(g.StrideH); args.Int(g.StrideW); args.Int(g.PadH); args.Int(g.PadW);
        args.Int(g.DilationH); args.Int(g.DilationW); args.Long(oh); args.Long(ow);
    }

    /// <summary>One input channel per group (depthwise, any channel multiplier): the direct kernels, not a GEMM per group.</summary>
    static bool IsDepthwise(Conv2dGeometry g, long channelsPerGroup) => g.Groups > 1 && channelsPerGroup == 1;

    /// <summary>
    /// Launches a depthwise kernel: (total, a, b, out, GEOM), or with <paramref name="first"/> (the weight gradient's image
    /// count) in place of total; <paramref name="image"/> gives the input's H×W.
    /// </summary>
    void DepthwiseLaunch(GpuDevice device, KernelType t, string kernel, long total, TensorView a, TensorView b, TensorView output, long c, long m,
        TensorView image, Conv2dGeometry g, long kh, long kw, long oh, long ow, int local = 0, long first = -1)
    {
        var args = new KernelArgs();
        args.Long(first >= 0 ? first : total);
        args.Buffer(a.Storage); args.Long(a.Offset);
        args.Buffer(b.Storage); args.Long(b.Offset);
        args.Buffer(output.Storage); args.Long(output.Offset);
        args.Long(c); args.Long(m); args.Long(image.Shape[2]); args.Long(image.Shape[3]);
        WindowArgs(args, g, kh, kw, oh, ow);
        var k = Kernel(device, $"depthwise {t.DType.Kind}", kernel, () => ConvKernels.Depthwise(t));
        if (local > 0) device.Launch(k, args, [total], [local]);
        else device.Launch(k, args, [total]);
    }

    /// <summary>Offers a convolution pass to the device's vendor library (cuDNN); false when there is none or it declines.</summary>
    static bool VendorConv(GpuDevice device, ConvPass pass, TensorView x, TensorView w, TensorView y, Conv2dGeometry g)
    {
        if (x.Numel == 0 || y.Numel == 0 || x.Numel > int.MaxValue || y.Numel > int.MaxValue || w.Numel > int.MaxValue) return false;
        var shape = new ConvShape(x.DType, (int)x.Shape[0], (int)x.Shape[1], (int)x.Shape[2], (int)x.Shape[3],
            (int)w.Shape[0], (int)w.Shape[2], (int)w.Shape[3], (int)y.Shape[2], (int)y.Shape[3], g);
        return device.TryVendorConv2d(pass, shape, new ConvBuffers(GpuStorage.Of(x.Storage).Mem, x.Offset,
            GpuStorage.Of(w.Storage).Mem, w.Offset, GpuStorage.Of(y.Storage).Mem, y.Offset));
    }

    bool ConvShapesOk(GpuDevice device, TensorView input, TensorView weight, TensorView output) =>
        FloatKernelsFor(device, input, weight, output) && input.Dim == 4 && weight.Dim == 4 && output.Dim == 4
        && input.IsContiguous && weight.IsContiguous && output.IsContiguous;

    bool TryConv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output)
    {
        var device = DeviceOf(output);
        if (!ConvShapesOk(device, input, weight, output) || (bias is not null && !FloatKernelsFor(device, output, bias))) return false;
        var t = KernelType.Of(output.DType);
        long n = input.Shape[0], c = input.Shape[1], cout = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        long oh = output.Shape[2], ow = output.Shape[3], p = oh * ow;
        long cg = c / g.Groups, mg = cout / g.Groups, ckk = cg * kh * kw;
        if (VendorConv(device, ConvPass.Forward, input, weight, output, g)) { }
        else if (IsDepthwise(g, cg)) DepthwiseLaunch(device, t, "dw_fwd", output.Numel, input, weight, output, c, mg, input, g, kh, kw, oh, ow);
        else
        {
        long chunk = ChunkImages(n, ckk * p);
        using (var col = AllocateUninitialized(output.Device, output.DType, chunk * ckk * p))
        {
            for (long n0 = 0; n0 < n; n0 += chunk)
            {
                long nb = Math.Min(chunk, n - n0);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Im2Col(device, t, input, n0, nb, grp * cg, cg, g, kh, kw, oh, ow, col);
                    Gemm(device, t, nb, 1, mg, p, ckk,
                        new(weight.Storage, weight.Offset + grp * mg * ckk, 0, ckk, 1),
                        new(col, 0, ckk * p, p, 1),
                        new(output.Storage, output.Offset + (n0 * cout + grp * mg) * p, cout * p, p, 1), accumulate: false);
                }
            }
        }
        }
        if (bias is not null)
        {
            var o3 = new TensorView(output.Storage, [n, cout, p], [cout * p, p, 1], output.Offset);
            var b3 = new TensorView(bias.Storage, [n, cout, p], [0, bias.Strides[0], 0], bias.Offset);
            RunElementwise(o3, [o3, b3], "(x + y)");
        }
        GC.KeepAlive(input); GC.KeepAlive(weight); GC.KeepAlive(output);
        return true;
    }

    bool TryConv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput)
    {
        var device = DeviceOf(gradInput);
        if (!ConvShapesOk(device, gradInput, weight, gradOutput)) return false;
        var t = KernelType.Of(gradInput.DType);
        long n = gradInput.Shape[0], c = gradInput.Shape[1], h = gradInput.Shape[2], w = gradInput.Shape[3];
        long cout = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        long oh = gradOutput.Shape[2], ow = gradOutput.Shape[3], p = oh * ow;
        long cg = c / g.Groups, mg = cout / g.Groups, ckk = cg * kh * kw;
        if (VendorConv(device, ConvPass.BackwardData, gradInput, weight, gradOutput, g))
        {
            GC.KeepAlive(gradOutput); GC.KeepAlive(weight); GC.KeepAlive(gradInput);
            return true;
        }
        if (IsDepthwise(g, cg))
        {
            DepthwiseLaunch(device, t, "dw_bw_input", gradInput.Numel, gradOutput, weight, gradInput, c, mg, gradInput, g, kh, kw, oh, ow);
            GC.KeepAlive(gradOutput); GC.KeepAlive(weight); GC.KeepAlive(gradInput);
            return true;
        }
        long chunk = ChunkImages(n, ckk * p);
        using var col = AllocateUninitialized(gradInput.Device, gradInput.DType, chunk * ckk * p);
        for (long n0 = 0; n0 < n; n0 += chunk)
        {
            long nb = Math.Min(chunk, n - n0);
            for (int grp = 0; grp < g.Groups; grp++)
            {
                // Column gradients = Wᵍᵀ · gradOutᵍ, then folded back onto the input pixels.
                Gemm(device, t, nb, 1, ckk, p, mg,
                    new(weight.Storage, weight.Offset + grp * mg * ckk, 0, 1, ckk),
                    new(gradOutput.Storage, gradOutput.Offset + (n0 * cout + grp * mg) * p, cout * p, p, 1),
                    new(col, 0, ckk * p, p, 1), accumulate: false);
                var args = new KernelArgs();
                long total = nb * cg * h * w;
                args.Long(total); args.Buffer(col); args.Buffer(gradInput.Storage); args.Long(gradInput.Offset + n0 * c * h * w);
                args.Long(cg); args.Long(h); args.Long(w); args.Long(grp * cg); args.Long(c);
                WindowArgs(args, g, kh, kw, oh, ow);
                device.Launch(Kernel(device, $"conv {t.DType.Kind}", "col2im", () => ConvKernels.Source(t)), args, [total]);
            }
        }
        GC.KeepAlive(gradOutput); GC.KeepAlive(weight); GC.KeepAlive(gradInput);
        return true;
    }

    bool TryConv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight)
    {
        var device = DeviceOf(gradWeight);
        if (!ConvShapesOk(device, input, gradWeight, gradOutput)) return false;
        var t = KernelType.Of(gradWeight.DType);
        long n = input.Shape[0], c = input.Shape[1];
        long cout = gradWeight.Shape[0], kh = gradWeight.Shape[2], kw = gradWeight.Shape[3];
        long oh = gradOutput.Shape[2], ow = gradOutput.Shape[3], p = oh * ow;
        long cg = c / g.Groups, mg = cout / g.Groups, ckk = cg * kh * kw;
        if (n == 0) { Fill(gradWeight, 0); return true; }
        if (VendorConv(device, ConvPass.BackwardFilter, input, gradWeight, gradOutput, g))
        {
            GC.KeepAlive(gradOutput); GC.KeepAlive(input); GC.KeepAlive(gradWeight);
            return true;
        }
        if (IsDepthwise(g, cg))
        {
            DepthwiseLaunch(device, t, "dw_bw_weight", gradWeight.Numel * RowKernels.Group, gradOutput, input, gradWeight, c, mg, input, g, kh, kw, oh, ow,
                local: RowKernels.Group, first: n);
            GC.KeepAlive(gradOutput); GC.KeepAlive(input); GC.KeepAlive(gradWeight);
            return true;
        }
        long chunk = ChunkImages(n, ckk * p);
        using var col = AllocateUninitialized(gradWeight.Device, gradWeight.DType, chunk * ckk * p);
        for (long n0 = 0; n0 < n; n0 += chunk)
        {
            long nb = Math.Min(chunk, n - n0);
            for (int grp = 0; grp < g.Groups; grp++)
            {
                // gradWᵍ (+)= Σ over the chunk's images of gradOutᵍ · colᵀ: one launch sums the images (the GEMM's S).
                Im2Col(device, t, input, n0, nb, grp * cg, cg, g, kh, kw, oh, ow, col);
                Gemm(device, t, 1, nb, mg, ckk, p,
                    new(gradOutput.Storage, gradOutput.Offset + (n0 * cout + grp * mg) * p, cout * p, p, 1),
                    new(col, 0, ckk * p, 1, p),
                    new(gradWeight.Storage, gradWeight.Offset + grp * mg * ckk, 0, ckk, 1), accumulate: n0 > 0);
            }
        }
        GC.KeepAlive(gradOutput); GC.KeepAlive(input); GC.KeepAlive(gradWeight);
        return true;
    }
}
