using Ignis.Data;

namespace Ignis.Vision;

/// <summary>An image transform (<c>torchvision.transforms</c>). Images are uint8 [H, W] or [H, W, C] (what a PIL image holds) or tensors […, C, H, W].</summary>
public interface ITransform
{
    /// <summary>Transforms one image.</summary>
    Tensor Apply(Tensor image);
}

/// <summary>Runs transforms in order (<c>Compose</c>).</summary>
public sealed class Compose(params ITransform[] transforms) : ITransform
{
    /// <summary>The transforms.</summary>
    public IReadOnlyList<ITransform> Transforms { get; } = transforms;
    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        foreach (var t in Transforms) image = t.Apply(image);
        return image;
    }
}

/// <summary>A transform from a function (<c>Lambda</c>).</summary>
public sealed class Lambda(Func<Tensor, Tensor> fn) : ITransform
{
    /// <inheritdoc/>
    public Tensor Apply(Tensor image) => fn(image);
}

/// <summary>uint8 [H, W] or [H, W, C] → float32 [C, H, W] in [0, 1] (<c>ToTensor</c>).</summary>
public sealed class ToTensor : ITransform
{
    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        if (image.DType != DType.UInt8) throw new ArgumentException($"ToTensor expects a uint8 image (H×W or H×W×C), got {image.DType.TorchName()}");
        var chw = image.Dim switch
        {
            2 => image.Unsqueeze(0),
            3 => image.Permute(2, 0, 1),
            _ => throw new ArgumentException($"pic should be 2/3 dimensional. Got {image.Dim} dimensions."),
        };
        return chw.To(DType.Float32).Div(255.0);
    }
}

/// <summary>
/// Converts an image tensor's dtype, rescaling values (<c>ConvertImageDtype</c>): uint8 [C, H, W] → float in [0, 1]
/// (÷ 255), float → uint8 (× 255, truncated as torchvision does), float → float unchanged. The tensor path's
/// <c>ToTensor</c> for images from <c>IO.ReadImage</c> / <c>ImageFolder</c>, which are already [C, H, W].
/// </summary>
public sealed class ConvertImageDtype(DType dtype) : ITransform
{
    /// <summary>The target dtype.</summary>
    public DType DType { get; } = dtype;

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        bool srcFloat = image.DType.IsFloatingPoint(), dstFloat = DType.IsFloatingPoint();
        if (srcFloat && dstFloat) return image.To(DType);
        if (!srcFloat && dstFloat)
        {
            if (image.DType != DType.UInt8) throw new ArgumentException($"ConvertImageDtype supports uint8 integer images, got {image.DType.TorchName()}");
            return image.To(DType).Div(255.0);
        }
        if (srcFloat && DType == DType.UInt8) return image.Mul(255.0 + 1.0 - 1e-3).To(DType.UInt8);
        if (image.DType == DType) return image;
        throw new ArgumentException($"ConvertImageDtype from {image.DType.TorchName()} to {DType.TorchName()} is not supported");
    }
}

/// <summary>(x − mean[c]) / std[c] per channel of float [C, H, W] or [N, C, H, W] (<c>Normalize</c>).</summary>
public sealed class Normalize : ITransform
{
    readonly double[] mean, std;

    /// <summary>Per-channel mean and standard deviation (one value applies to every channel).</summary>
    public Normalize(double[] mean, double[] std)
    {
        if (std.Any(s => (float)s == 0)) throw new ArgumentException("std evaluated to zero after conversion to torch.float32, leading to division by zero.");
        this.mean = mean;
        this.std = std;
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        if (!image.DType.IsFloatingPoint()) throw new ArgumentException($"Input tensor should be a float tensor. Got {image.DType.TorchName()}.");
        if (image.Dim < 3) throw new ArgumentException($"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {Tensor.ShapeStr(image.Shape)}.");
        long c = image.Size(-3);
        Tensor Col(double[] v) => Torch.Tensor(Enumerable.Range(0, (int)c).Select(i => (float)v[v.Length == 1 ? 0 : i]).ToArray(), c, 1, 1).To(image.DType);
        if ((mean.Length != 1 && mean.Length != c) || (std.Length != 1 && std.Length != c))
            throw new ArgumentException($"mean and std need 1 or {c} values for a {c}-channel image");
        return image.Sub(Col(mean)).Div(Col(std));
    }
}

/// <summary>
/// Bilinear resize of the last two dims as torchvision 0.14 does for tensors (half-pixel centres, no antialias;
/// uint8 results rounded). An int size sets the shorter edge, keeping the aspect ratio (<c>Resize</c>).
/// </summary>
public sealed class Resize : ITransform
{
    readonly int[] size;

    /// <summary>
    /// Shorter edge to <paramref name="size"/> (<c>Resize(size, interpolation, max_size, antialias)</c>);
    /// <paramref name="interpolation"/> is "bilinear" (default), "bicubic" or "nearest"; <paramref name="antialias"/>
    /// applies torchvision's antialiasing filter when downscaling (bilinear and bicubic; off by default on tensors,
    /// as in torchvision 0.14).
    /// </summary>
    public Resize(int size, string interpolation = "bilinear", int? maxSize = null, bool antialias = false)
    {
        this.size = [size];
        Interpolation = CheckMode(interpolation);
        MaxSize = maxSize;
        Antialias = antialias;
    }

    /// <summary>Exactly <paramref name="height"/> × <paramref name="width"/>.</summary>
    public Resize(int height, int width, string interpolation = "bilinear", bool antialias = false)
    {
        size = [height, width];
        Interpolation = CheckMode(interpolation);
        Antialias = antialias;
    }

    static string CheckMode(string mode) => mode is "bilinear" or "bicubic" or "nearest" ? mode
        : throw new ArgumentException($"interpolation should be one of bilinear, bicubic, nearest; got {mode}");

    /// <summary>"bilinear", "bicubic" or "nearest".</summary>
    public string Interpolation { get; }
    /// <summary>Caps the longer edge when resizing by the shorter one (<c>max_size</c>).</summary>
    public int? MaxSize { get; }
    /// <summary>Whether downscaling is antialiased.</summary>
    public bool Antialias { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        if (image.Dim < 2) throw new ArgumentException("Resize expects an image with at least 2 dims (H, W)");
        int h = (int)image.Size(-2), w = (int)image.Size(-1);
        int oh, ow;
        if (size.Length == 2) (oh, ow) = (size[0], size[1]);
        else
        {
            // torchvision's _compute_resized_output_size: int(requested_short * long / short) in floating point.
            int shortSide = Math.Min(h, w), longSide = Math.Max(h, w);
            int ns = size[0], nl = (int)((double)ns * longSide / shortSide);
            if (MaxSize is int max)
            {
                if (max <= ns) throw new ArgumentException($"max_size = {max} must be strictly greater than the requested size for the smaller edge size = {ns}");
                if (nl > max) (ns, nl) = ((int)((double)max * ns / nl), max);
            }
            (oh, ow) = w <= h ? (nl, ns) : (ns, nl);
            if (oh == h && ow == w) return image;
        }
        return Interpolation switch
        {
            "nearest" => Vision.Interpolate.Nearest(image, oh, ow),
            "bicubic" => Antialias ? Vision.Interpolate.Antialiased(image, oh, ow, bicubic: true) : Vision.Interpolate.Bicubic(image, oh, ow),
            _ => Antialias ? Vision.Interpolate.Antialiased(image, oh, ow, bicubic: false) : Vision.Interpolate.Bilinear(image, oh, ow),
        };
    }
}

/// <summary>Image interpolation kernels.</summary>
public static class Interpolate
{
    /// <summary>
    /// Antialiased resampling of [*, H, W] (<c>F.interpolate(..., antialias=True)</c>, ATen's <c>_upsample_*_aa</c>,
    /// PIL's algorithm): each output pixel is a normalised weighted sum of the inputs under a triangle (bilinear) or
    /// Keys a = −0.5 (bicubic) filter stretched by the downscale factor; separable, width first, then height. Computed
    /// in float32 as two matrix products, so results may differ from ATen's loop in the last bit; integer images are
    /// rounded back (bicubic clamped first, as torchvision does).
    /// </summary>
    public static Tensor Antialiased(Tensor image, int outH, int outW, bool bicubic)
    {
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"Output size must be positive, got ({outH}, {outW})");
        var shape = image.Shape;
        int h = (int)shape[^2], w = (int)shape[^1];
        var x = image.To(DType.Float32);
        var rows = Torch.From(AaWeights(h, outH, bicubic), outH, h);          // [outH, H]
        var cols = Torch.From(AaWeights(w, outW, bicubic), outW, w).T;        // [W, outW]
        var r = rows.MatMul(x.MatMul(cols));
        return Finish(image, r, clamp: bicubic);
    }

    static Tensor Finish(Tensor image, Tensor r, bool clamp)
    {
        if (image.DType.IsFloatingPoint()) return r.To(image.DType);
        if (clamp && image.DType == DType.UInt8) r = r.Clamp(0, 255);
        return r.RoundHalfEven().To(image.DType);
    }

    /// <summary>The [out, in] weight matrix of one axis (ATen's <c>_compute_indices_weights_aa</c>).</summary>
    static float[] AaWeights(int inSize, int outSize, bool bicubic)
    {
        double scale = (double)inSize / outSize;
        double interp = bicubic ? 2.0 : 1.0;                       // half the filter's support in input pixels at scale 1
        double support = scale >= 1.0 ? interp * scale : interp;
        double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
        var m = new float[(long)outSize * inSize];
        var wts = new double[inSize];
        for (int i = 0; i < outSize; i++)
        {
            double center = scale * (i + 0.5);
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xsize = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            for (int j = 0; j < xsize; j++)
            {
                double t = (j + xmin - center + 0.5) * invscale;
                wts[j] = bicubic ? Cubic(t) : Math.Max(0.0, 1.0 - Math.Abs(t));
                total += wts[j];
            }
            for (int j = 0; j < xsize; j++) m[(long)i * inSize + xmin + j] = (float)(total != 0 ? wts[j] / total : wts[j]);
        }
        return m;
    }

    /// <summary>Keys' cubic with a = −0.5, PIL's and ATen's antialias filter.</summary>
    static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /// <summary>Bicubic resampling (<c>F.interpolate(mode="bicubic", align_corners=False)</c>, A = −0.75); uint8 is clamped and rounded, as torchvision's tensor path.</summary>
    public static Tensor Bicubic(Tensor image, int outH, int outW) =>
        Finish(image, Resample(image, outH, outW, "bicubic"), clamp: true);

    /// <summary>Nearest-neighbour resampling (<c>F.interpolate(mode="nearest")</c>: source index floor(i · in / out)).</summary>
    public static Tensor Nearest(Tensor image, int outH, int outW)
    {
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"Output size must be positive, got ({outH}, {outW})");
        var r = Resample(image, outH, outW, "nearest");
        return image.DType.IsFloatingPoint() ? r.To(image.DType) : r.RoundHalfEven().To(image.DType);
    }

    /// <summary>F.interpolate on [*, H, W] viewed as a batch of one-channel images, in float32.</summary>
    static Tensor Resample(Tensor image, int outH, int outW, string mode)
    {
        var shape = image.Shape;
        long h = shape[^2], w = shape[^1];
        var x = image.To(DType.Float32).Reshape(-1, 1, h, w);
        var r = Ignis.Nn.Functional.Interpolate(x, [outH, outW], mode: mode, alignCorners: mode == "nearest" ? null : false);
        return r.Reshape([.. shape[..^2], outH, outW]);
    }

    /// <summary>
    /// Bilinear resampling of [*, H, W] to [*, outH, outW] with align_corners=False (<c>F.interpolate(mode="bilinear")</c>,
    /// computed in float32 like ATen, which may differ in the last bit); integer inputs are rounded back, so a value within
    /// an ulp of .5 can round the other way than torchvision.
    /// </summary>
    public static Tensor Bilinear(Tensor image, int outH, int outW)
    {
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"Output size must be positive, got ({outH}, {outW})");
        var shape = image.Shape;
        int h = (int)shape[^2], w = (int)shape[^1];
        long planes = image.Numel / Math.Max(1L, (long)h * w);
        var src = image.Contiguous().To(DType.Float32).ToArray<float>();
        var dst = new float[planes * outH * outW];
        float sh = (float)h / outH, sw = (float)w / outW;
        var (wi, wp, wl) = Axis(w, outW, sw);
        for (int y = 0; y < outH; y++)
        {
            float hr = Math.Max(sh * (y + 0.5f) - 0.5f, 0f);
            int h1 = (int)hr, h1p = h1 < h - 1 ? 1 : 0;
            float h1l = hr - h1, h0l = 1f - h1l;
            for (long p = 0; p < planes; p++)
            {
                long b = p * h * w, o = (p * outH + y) * outW;
                for (int x = 0; x < outW; x++)
                {
                    int w1 = wi[x], w1p = wp[x];
                    float w1l = wl[x], w0l = 1f - w1l;
                    dst[o + x] = h0l * (w0l * src[b + h1 * w + w1] + w1l * src[b + h1 * w + w1 + w1p])
                               + h1l * (w0l * src[b + (h1 + h1p) * w + w1] + w1l * src[b + (h1 + h1p) * w + w1 + w1p]);
                }
            }
        }
        var outShape = shape[..^2].Concat(new long[] { outH, outW }).ToArray();
        var r = Torch.From(dst, outShape);
        if (image.DType.IsFloatingPoint()) return r.To(image.DType);
        return r.Add(0.0).Clamp(0, image.DType == DType.UInt8 ? 255 : double.MaxValue).RoundHalfEven().To(image.DType);
    }

    static (int[], int[], float[]) Axis(int inSize, int outSize, float scale)
    {
        var i0 = new int[outSize]; var ip = new int[outSize]; var l = new float[outSize];
        for (int x = 0; x < outSize; x++)
        {
            float r = Math.Max(scale * (x + 0.5f) - 0.5f, 0f);
            i0[x] = (int)r;
            ip[x] = i0[x] < inSize - 1 ? 1 : 0;
            l[x] = r - i0[x];
        }
        return (i0, ip, l);
    }

    internal static Tensor RoundHalfEven(this Tensor t)
    {
        var a = t.ToArray<float>();
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Round(a[i], MidpointRounding.ToEven);
        return Torch.From(a, t.Shape);
    }
}

/// <summary>RGB → luminance 0.2989 R + 0.587 G + 0.114 B (truncated for uint8, as torchvision 0.14), repeated to 1 or 3 channels (<c>Grayscale</c>).</summary>
public sealed class Grayscale : ITransform
{
    readonly int channels;
    /// <summary>Output channels: 1 or 3.</summary>
    public Grayscale(int numOutputChannels = 1)
    {
        if (numOutputChannels is not (1 or 3)) throw new ArgumentException("num_output_channels should be either 1 or 3");
        channels = numOutputChannels;
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var img = image.Dim == 2 ? image.Unsqueeze(0) : image;
        if (img.Dim < 3) throw new ArgumentException("Grayscale expects [..., C, H, W] or [H, W]");
        long c = img.Size(-3);
        Tensor l;
        if (c == 3)
        {
            var f = img.To(DType.Float32);
            var lum = f.Select(-3, 0).Mul(0.2989).Add(f.Select(-3, 1).Mul(0.587)).Add(f.Select(-3, 2).Mul(0.114));
            l = (img.DType.IsFloatingPoint() ? lum : lum.Floor()).To(img.DType).Unsqueeze(-3);
        }
        else if (c == 1) l = img.Clone();
        else throw new ArgumentException($"Input image tensor permitted channel values are [1, 3], but found {c}");
        if (channels == 3) l = l.Expand(l.Shape.Take(l.Dim - 3).Concat(new[] { 3L, l.Size(-2), l.Size(-1) }).ToArray()).Contiguous();
        return l;
    }
}

/// <summary>Flips the last dim with probability p (<c>RandomHorizontalFlip</c>), drawing <c>torch.rand(1)</c> from the batch's generator.</summary>
public sealed class RandomHorizontalFlip(double p = 0.5) : ITransform
{
    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var g = WorkerContext.Generator ?? Torch.DefaultGenerator;
        if (Torch.Rand([1], generator: g).Item<float>() < p)
            return image.IndexSelect(image.Dim - 1, Torch.Arange(image.Size(-1) - 1, -1, -1));
        return image;
    }
}

/// <summary>Cuts a random size×size (or h×w) window, after optional zero padding (<c>RandomCrop</c>).</summary>
public sealed class RandomCrop(int height, int width, int padding = 0, bool padIfNeeded = false, double fill = 0) : ITransform
{
    /// <summary>A square crop.</summary>
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var img = padding > 0 ? Crops.Pad(image, padding, padding, padding, padding, fill) : image;
        int h = (int)img.Size(-2), w = (int)img.Size(-1);
        if (padIfNeeded && w < width) { int d = width - w; img = Crops.Pad(img, d, 0, d, 0, fill); w = (int)img.Size(-1); }
        if (padIfNeeded && h < height) { int d = height - h; img = Crops.Pad(img, 0, d, 0, d, fill); h = (int)img.Size(-2); }
        if (h < height || w < width)
            throw new ArgumentException($"Required crop size ({height}, {width}) is larger than input image size ({h}, {w})");
        if (h == height && w == width) return img;
        var g = WorkerContext.Generator ?? Torch.DefaultGenerator;
        long i = Torch.Randint(0, h - height + 1, [1], generator: g).Item<long>();
        long j = Torch.Randint(0, w - width + 1, [1], generator: g).Item<long>();
        return img.Narrow(-2, i, height).Narrow(-1, j, width);
    }
}

/// <summary>Cuts the central window, padding with zeros first if the image is smaller (<c>CenterCrop</c>).</summary>
public sealed class CenterCrop(int height, int width) : ITransform
{
    /// <summary>A square crop.</summary>
    public CenterCrop(int size) : this(size, size) { }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        int h = (int)image.Size(-2), w = (int)image.Size(-1);
        if (width > w || height > h)
        {
            image = Crops.Pad(image, width > w ? (width - w) / 2 : 0, height > h ? (height - h) / 2 : 0,
                width > w ? (width - w + 1) / 2 : 0, height > h ? (height - h + 1) / 2 : 0, 0);
            h = (int)image.Size(-2); w = (int)image.Size(-1);
            if (w == width && h == height) return image;
        }
        int top = (int)Math.Round((h - height) / 2.0, MidpointRounding.ToEven), left = (int)Math.Round((w - width) / 2.0, MidpointRounding.ToEven);
        return image.Narrow(-2, top, height).Narrow(-1, left, width);
    }
}

internal static class Crops
{
    /// <summary>Constant padding of the last two dims: left, top, right, bottom.</summary>
    public static Tensor Pad(Tensor image, int left, int top, int right, int bottom, double fill)
    {
        var s = image.Shape;
        s[^2] += top + bottom;
        s[^1] += left + right;
        var r = Torch.Full(s, fill, image.DType);
        r.Narrow(-2, top, image.Size(-2)).Narrow(-1, left, image.Size(-1)).Copy_(image);
        return r;
    }
}
