namespace Ignis.Nn;

// Op family: resampling (F.interpolate). Each spatial dim is resampled in turn by gathering source rows with
// index_select and blending them with ATen's weights (upsample_*: source index, lambdas, cubic convolution with
// A = -0.75), so forward values follow ATen's formulas and the gradient is the composition's (index_select's
// scatter-add), reported under the grad_fn names of the vec overloads F.interpolate calls (…Backward1).
public static partial class Functional
{
    /// <summary>
    /// Resizes the spatial dims (all but the first two) of a batched input (<c>F.interpolate(input, size=None,
    /// scale_factor=None, mode="nearest", align_corners=None)</c>). Give either <paramref name="size"/> (one per spatial
    /// dim) or <paramref name="scaleFactor"/> (one per spatial dim; the output is floor(size·factor) and the kernel uses
    /// 1/factor, as PyTorch with recompute_scale_factor unset). Modes: "nearest" and "nearest-exact" (3-D/4-D/5-D
    /// input), "linear" (3-D), "bilinear", "bicubic" (4-D), "trilinear" (5-D), "area" (3-D to 5-D); <paramref name="alignCorners"/>
    /// (default false) only for the interpolating ones.
    /// </summary>
    public static Tensor Interpolate(Tensor input, long[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (mode is not ("nearest" or "nearest-exact" or "linear" or "bilinear" or "bicubic" or "trilinear" or "area"))
            throw new NotSupportedException($"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.Dim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})");
        if (mode is "nearest" or "nearest-exact" or "area" && alignCorners is not null)
            throw new ArgumentException("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
        int spatial = input.Dim - 2;
        if (spatial < 1) throw new ArgumentException($"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.Dim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})");
        int need = mode switch { "linear" => 1, "bilinear" or "bicubic" => 2, "trilinear" => 3, _ => spatial };
        if (spatial != need || spatial > 3)
            throw new NotSupportedException($"Got {input.Dim}D input, but {mode} mode needs {need + 2}D input");
        if (size is not null && scaleFactor is not null) throw new ArgumentException("only one of size or scale_factor should be defined");
        if (size is null && scaleFactor is null) throw new ArgumentException("either size or scale_factor should be defined");
        var inShape = input.Shape;
        var inSpatial = inShape[2..];
        if ((size?.Length ?? scaleFactor!.Length) != spatial)
        {
            string what = size is not null ? $"output size of [{string.Join(", ", size)}]" : $"scale_factor of [{string.Join(", ", scaleFactor!)}]";
            throw new ArgumentException($"Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [{string.Join(", ", inSpatial)}] and {what}. " +
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.");
        }
        var outSpatial = size ?? inSpatial.Select((s, i) => (long)Math.Floor(s * scaleFactor![i])).ToArray();
        bool corners = alignCorners ?? false;
        // "area" is adaptive average pooling to the output size, as F.interpolate implements it.
        if (mode == "area") return spatial == 2 ? Torch.AdaptiveAvgPool2d(input, [(int)outSpatial[0], (int)outSpatial[1]]) : AreaSeparable(input, outSpatial);
        var x = input.DType.IsFloatingPoint() || mode is "nearest" or "nearest-exact" ? input : throw new UnsupportedDTypeException($"upsample_{mode}", input.DType);
        // Last spatial dim first, as ATen's separable loops read them; each step is exact in its own right.
        for (int i = spatial - 1; i >= 0; i--)
            x = Resample(x, 2 + i, inSpatial[i], outSpatial[i], scaleFactor?[i], mode, corners);
        string name = mode switch
        {
            "nearest" => $"UpsampleNearest{spatial}DBackward1",
            "nearest-exact" => $"UpsampleNearestExact{spatial}DBackward1",
            "trilinear" => "UpsampleTrilinear3DBackward1",
            "linear" => "UpsampleLinear1DBackward1",
            "bilinear" => "UpsampleBilinear2DBackward1",
            _ => "UpsampleBicubic2DBackward1",
        };
        return x.NamedAs(name);
    }

    /// <summary>
    /// <see cref="Interpolate(Tensor, long[], double[], string, bool?)"/> with one scale factor for every spatial dim
    /// (<c>F.interpolate(x, scale_factor=2)</c>).
    /// </summary>
    public static Tensor Interpolate(Tensor input, double scaleFactor, string mode = "nearest", bool? alignCorners = null) =>
        Interpolate(input, null, Enumerable.Repeat(scaleFactor, Math.Max(0, input.Dim - 2)).ToArray(), mode, alignCorners);

    /// <summary>
    /// "area" for 1-D and 3-D inputs: adaptive average pooling is separable (a box average is the average, per axis, of
    /// averages over that axis' window), so each spatial axis is pooled in turn by the 2-D kernel on a [rows, 1, 1, L] view.
    /// </summary>
    static Tensor AreaSeparable(Tensor input, long[] outSpatial)
    {
        var x = input;
        for (int i = outSpatial.Length - 1; i >= 0; i--)
        {
            int d = 2 + i;
            var moved = x.Transpose(d, x.Dim - 1);
            var movedShape = moved.Shape;
            long len = movedShape[^1];
            var pooled = Torch.AdaptiveAvgPool2d(moved.Reshape(-1, 1, 1, len), [1, (int)outSpatial[i]]);
            var back = movedShape.ToArray();
            back[^1] = outSpatial[i];
            x = pooled.Reshape(back).Transpose(d, x.Dim - 1);
        }
        return x.Contiguous();
    }

    static Tensor Resample(Tensor x, int d, long inSize, long outSize, double? scaleFactor, string mode, bool alignCorners)
    {
        var dev = x.Device;
        Tensor Gather(long[] idx) => x.IndexSelect(d, Torch.Tensor(idx).To(dev));
        // A [outSize] weight vector shaped to broadcast along dim d.
        Tensor Weight(double[] w)
        {
            var shape = Enumerable.Repeat(1L, x.Dim).ToArray();
            shape[d] = outSize;
            return Torch.Tensor(w).To(x.DType).To(dev).Reshape(shape);
        }
        if (mode == "nearest")
        {
            // ATen's nearest_idx: floorf(dst · scale) in float, clamped; scale = 1/factor when a factor was given.
            float scale = scaleFactor is double f && f > 0 ? (float)(1.0 / f) : (float)inSize / outSize;
            var idx = new long[outSize];
            for (long j = 0; j < outSize; j++)
                idx[j] = outSize == inSize ? j : outSize == 2 * inSize ? j >> 1 : Math.Min((long)MathF.Floor(j * scale), inSize - 1);
            return Gather(idx);
        }
        if (mode == "nearest-exact")
        {
            // ATen's nearest_neighbor_exact_compute_source_index: floorf((dst + 0.5) · scale), clamped.
            float scale = scaleFactor is double f && f > 0 ? (float)(1.0 / f) : (float)inSize / outSize;
            var idx = new long[outSize];
            for (long j = 0; j < outSize; j++) idx[j] = Math.Min((long)MathF.Floor((j + 0.5f) * scale), inSize - 1);
            return Gather(idx);
        }
        // area_pixel_compute_scale / compute_source_index.
        double s = alignCorners ? (outSize > 1 ? (double)(inSize - 1) / (outSize - 1) : 0)
            : scaleFactor is double sf && sf > 0 ? 1.0 / sf : (double)inSize / outSize;
        double Source(long j, bool cubic)
        {
            if (alignCorners) return s * j;
            double v = s * (j + 0.5) - 0.5;
            return !cubic && v < 0 ? 0 : v;
        }
        if (mode is "linear" or "bilinear" or "trilinear")
        {
            long[] i0 = new long[outSize], i1 = new long[outSize];
            double[] w0 = new double[outSize], w1 = new double[outSize];
            for (long j = 0; j < outSize; j++)
            {
                double src = Source(j, false);
                long lo = Math.Min((long)src, inSize - 1);
                i0[j] = lo;
                i1[j] = lo < inSize - 1 ? lo + 1 : lo;
                w1[j] = Math.Min(Math.Max(src - lo, 0), 1);
                w0[j] = 1 - w1[j];
            }
            return Gather(i0).Mul(Weight(w0)).Add(Gather(i1).Mul(Weight(w1)));
        }
        // bicubic: taps at floor(src) − 1 … + 2, clamped to the edge; weights from cubic convolution with A = −0.75.
        var taps = new long[4][];
        var ws = new double[4][];
        for (int t = 0; t < 4; t++) { taps[t] = new long[outSize]; ws[t] = new double[outSize]; }
        const double A = -0.75;
        static double Near(double x) => ((A + 2) * x - (A + 3)) * x * x + 1;             // |x| ≤ 1
        static double Far(double x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;       // 1 < |x| < 2
        for (long j = 0; j < outSize; j++)
        {
            double src = Source(j, true);
            long fl = (long)Math.Floor(src);
            double tt = src - fl;
            double[] w = [Far(tt + 1), Near(tt), Near(1 - tt), Far(2 - tt)];
            for (int t = 0; t < 4; t++)
            {
                taps[t][j] = Math.Clamp(fl - 1 + t, 0, inSize - 1);
                ws[t][j] = w[t];
            }
        }
        var r = Gather(taps[0]).Mul(Weight(ws[0]));
        for (int t = 1; t < 4; t++) r = r.Add(Gather(taps[t]).Mul(Weight(ws[t])));
        return r;
    }
}
