using Ignis.Data;

namespace Ignis.Vision;

/// <summary>
/// torchvision.transforms.functional's tensor-path colour and crop functions on [..., C, H, W] images (uint8 or float
/// in [0, 1]), with torchvision's arithmetic (float32 blends, truncation back to uint8).
/// </summary>
public static class ImageFunctional
{
    static double Bound(Tensor img) => img.DType.IsFloatingPoint() ? 1.0 : 255.0;

    /// <summary>torchvision's <c>_blend</c>: ratio·a + (1 − ratio)·b, clamped to the dtype's range, cast back (uint8 truncates).</summary>
    static Tensor Blend(Tensor a, Tensor b, double ratio)
    {
        var fa = a.DType.IsFloatingPoint() ? a : a.To(DType.Float32);
        var fb = b.DType.IsFloatingPoint() ? b : b.To(DType.Float32);
        return fa.Mul(ratio).Add(fb.Mul(1.0 - ratio)).Clamp(0, Bound(a)).To(a.DType);
    }

    static void CheckFactor(double f, string name)
    {
        if (f < 0) throw new ArgumentException($"{name} ({Py.Repr(f)}) is not non-negative.");
    }

    /// <summary>0.2989 R + 0.587 G + 0.114 B, cast back to the image's dtype (<c>rgb_to_grayscale</c>), keeping a channel dim of 1.</summary>
    public static Tensor RgbToGrayscale(Tensor img)
    {
        if (img.Size(-3) == 1) return img;
        if (img.Size(-3) != 3) throw new ArgumentException($"Input image tensor permitted channel values are [1, 3], but found {img.Size(-3)}");
        var f = img.DType.IsFloatingPoint() ? img : img.To(DType.Float32);
        var l = f.Select(-3, 0).Mul(0.2989).Add(f.Select(-3, 1).Mul(0.587)).Add(f.Select(-3, 2).Mul(0.114));
        return l.To(img.DType).Unsqueeze(-3);
    }

    /// <summary>Scales intensities by <paramref name="factor"/> (<c>adjust_brightness</c>).</summary>
    public static Tensor AdjustBrightness(Tensor img, double factor)
    {
        CheckFactor(factor, "brightness_factor");
        return Blend(img, Torch.ZerosLike(img), factor);
    }

    /// <summary>Blends with the mean gray level (<c>adjust_contrast</c>).</summary>
    public static Tensor AdjustContrast(Tensor img, double factor)
    {
        CheckFactor(factor, "contrast_factor");
        var dtype = img.DType.IsFloatingPoint() ? img.DType : DType.Float32;
        var gray = img.Size(-3) == 3 ? RgbToGrayscale(img) : img;
        var mean = gray.To(dtype).Mean([-3, -2, -1], keepDim: true);
        return Blend(img, mean, factor);
    }

    /// <summary>Blends with the grayscale image (<c>adjust_saturation</c>); single-channel images are returned as they are.</summary>
    public static Tensor AdjustSaturation(Tensor img, double factor)
    {
        CheckFactor(factor, "saturation_factor");
        if (img.Size(-3) == 1) return img;
        return Blend(img, RgbToGrayscale(img), factor);
    }

    /// <summary>Rotates the hue by <paramref name="factor"/> ∈ [−0.5, 0.5] turns through HSV (<c>adjust_hue</c>).</summary>
    public static Tensor AdjustHue(Tensor img, double factor)
    {
        if (factor < -0.5 || factor > 0.5) throw new ArgumentException($"hue_factor ({Py.Repr(factor)}) is not in [-0.5, 0.5].");
        if (img.Size(-3) == 1) return img;
        var orig = img.DType;
        var f = orig == DType.UInt8 ? img.To(DType.Float32).Div(255.0) : img;
        var hsv = RgbToHsv(f);
        var h = hsv.Select(-3, 0).Add(factor).Remainder(Torch.Scalar(1.0, f.DType));
        var rgb = HsvToRgb(Torch.Stack([h, hsv.Select(-3, 1), hsv.Select(-3, 2)], -3));
        return orig == DType.UInt8 ? rgb.Mul(255.0).To(orig) : rgb;
    }

    /// <summary>torchvision's <c>_rgb2hsv</c> on float [..., 3, H, W].</summary>
    static Tensor RgbToHsv(Tensor img)
    {
        var r = img.Select(-3, 0); var g = img.Select(-3, 1); var b = img.Select(-3, 2);
        var maxc = img.Max(-3).Values;
        var minc = img.Min(-3).Values;
        var eqc = maxc.Eq(minc);
        var cr = maxc.Sub(minc);
        var ones = Torch.OnesLike(maxc);
        var s = cr.Div(Torch.Where(eqc, ones, maxc));
        var crDivisor = Torch.Where(eqc, ones, cr);
        var rc = maxc.Sub(r).Div(crDivisor);
        var gc = maxc.Sub(g).Div(crDivisor);
        var bc = maxc.Sub(b).Div(crDivisor);
        var isR = maxc.Eq(r); var isG = maxc.Eq(g);
        var hr = isR.To(img.DType).Mul(bc.Sub(gc));
        var hg = isG.LogicalAnd(isR.LogicalNot()).To(img.DType).Mul(rc.Sub(bc).Add(2.0));
        var hb = isG.LogicalNot().LogicalAnd(isR.LogicalNot()).To(img.DType).Mul(gc.Sub(rc).Add(4.0));
        var h = hr.Add(hg).Add(hb);
        h = h.Div(6.0).Add(1.0).Remainder(Torch.Scalar(1.0, img.DType));   // fmod of a positive value
        return Torch.Stack([h, s, maxc], -3);
    }

    /// <summary>torchvision's <c>_hsv2rgb</c>: picks (v, q, p, p, t, v), … per sextant i.</summary>
    static Tensor HsvToRgb(Tensor img)
    {
        var h = img.Select(-3, 0); var s = img.Select(-3, 1); var v = img.Select(-3, 2);
        var i = h.Mul(6.0).Floor();
        var f = h.Mul(6.0).Sub(i);
        var sextant = i.To(DType.Int32).Remainder(Torch.Scalar(6L, DType.Int32));
        var p = v.Mul(s.Neg().Add(1.0)).Clamp(0.0, 1.0);
        var q = v.Mul(s.Mul(f).Neg().Add(1.0)).Clamp(0.0, 1.0);
        var t = v.Mul(s.Mul(f.Neg().Add(1.0)).Neg().Add(1.0)).Clamp(0.0, 1.0);
        Tensor[][] table = [[v, q, p, p, t, v], [t, v, v, q, p, p], [p, p, t, v, v, q]];
        var channels = new Tensor[3];
        for (int c = 0; c < 3; c++)
        {
            Tensor acc = Torch.ZerosLike(v);
            for (int k = 0; k < 6; k++) acc = acc.Add(sextant.Eq(Torch.Scalar(k, DType.Int32)).To(img.DType).Mul(table[c][k]));
            channels[c] = acc;
        }
        return Torch.Stack(channels, -3);
    }

    /// <summary>Crops the box at (top, left) of size height × width, then resizes it to <paramref name="size"/> (<c>resized_crop</c>).</summary>
    public static Tensor ResizedCrop(Tensor img, int top, int left, int height, int width, int[] size, string interpolation = "bilinear", bool antialias = false)
    {
        var crop = img.Narrow(-2, top, height).Narrow(-1, left, width);
        var resize = size.Length == 1 ? new Resize(size[0], interpolation, antialias: antialias) : new Resize(size[0], size[1], interpolation, antialias);
        return resize.Apply(crop);
    }
}

/// <summary>
/// A random crop of random area and aspect ratio, resized to <c>size</c> (<c>RandomResizedCrop</c>): draws as
/// torchvision's <c>get_params</c> (ten tries, then a central crop) from the batch's generator.
/// </summary>
public sealed class RandomResizedCrop : ITransform
{
    readonly int[] size;

    /// <summary>Creates the transform; <paramref name="scale"/> bounds the crop's area fraction and <paramref name="ratio"/> its aspect ratio.</summary>
    public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        string interpolation = "bilinear", bool antialias = false)
    {
        size = [height, width];
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        if (Scale.Min > Scale.Max || Ratio.Min > Ratio.Max) throw new ArgumentException("Scale and ratio should be of kind (min, max)");
        Interpolation = interpolation;
        Antialias = antialias;
    }

    /// <summary>A square output.</summary>
    public RandomResizedCrop(int size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, string interpolation = "bilinear", bool antialias = false)
        : this(size, size, scale, ratio, interpolation, antialias) { }

    /// <summary>Area fraction range.</summary>
    public (double Min, double Max) Scale { get; }
    /// <summary>Aspect ratio range.</summary>
    public (double Min, double Max) Ratio { get; }
    /// <summary>Resize interpolation.</summary>
    public string Interpolation { get; }
    /// <summary>Whether the resize is antialiased.</summary>
    public bool Antialias { get; }

    /// <summary>torchvision's <c>get_params</c>: (top, left, height, width).</summary>
    public (int Top, int Left, int Height, int Width) GetParams(Tensor img, Generator? generator = null)
    {
        var g = generator ?? WorkerContext.Generator ?? Torch.DefaultGenerator;
        int height = (int)img.Size(-2), width = (int)img.Size(-1);
        double area = (double)height * width;
        // torch.log(torch.tensor(ratio)): float32.
        var logRatio = Torch.Tensor([(float)Ratio.Min, (float)Ratio.Max]).Log().ToArray<float>();
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * Torch.Empty([1]).Uniform_(Scale.Min, Scale.Max, g).Item<float>();
            double aspect = Torch.Empty([1]).Uniform_(logRatio[0], logRatio[1], g).Exp().Item<float>();
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int i = (int)Torch.Randint(0, height - h + 1, [1], generator: g).Item<long>();
                int j = (int)Torch.Randint(0, width - w + 1, [1], generator: g).Item<long>();
                return (i, j, h, w);
            }
        }
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < Math.Min(Ratio.Min, Ratio.Max)) { cw = width; ch = (int)Math.Round(cw / Math.Min(Ratio.Min, Ratio.Max), MidpointRounding.ToEven); }
        else if (inRatio > Math.Max(Ratio.Min, Ratio.Max)) { ch = height; cw = (int)Math.Round(ch * Math.Max(Ratio.Min, Ratio.Max), MidpointRounding.ToEven); }
        else { cw = width; ch = height; }
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var (i, j, h, w) = GetParams(image);
        return ImageFunctional.ResizedCrop(image, i, j, h, w, size, Interpolation, Antialias);
    }
}

/// <summary>
/// Random brightness, contrast, saturation and hue changes in a random order (<c>ColorJitter</c>): draws
/// <c>randperm(4)</c> and the factors as torchvision's <c>get_params</c>, from the batch's generator.
/// </summary>
public sealed class ColorJitter : ITransform
{
    /// <summary>
    /// Creates the transform: brightness, contrast and saturation <c>x</c> mean factors in [max(0, 1 − x), 1 + x]; hue
    /// <c>x</c> ∈ [0, 0.5] means a shift in [−x, x]. 0 disables that adjustment.
    /// </summary>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0)
    {
        Brightness = Range(brightness, "brightness");
        Contrast = Range(contrast, "contrast");
        Saturation = Range(saturation, "saturation");
        if (hue < 0 || hue > 0.5) throw new ArgumentException($"hue values should be between (-0.5, 0.5), but got {Py.Repr(hue)}");
        Hue = hue == 0 ? null : (-hue, hue);
    }

    static (double, double)? Range(double v, string name)
    {
        if (v < 0) throw new ArgumentException($"If {name} is a single number, it must be non negative.");
        return v == 0 ? null : (Math.Max(0, 1 - v), 1 + v);
    }

    /// <summary>Brightness factor range, or null.</summary>
    public (double Min, double Max)? Brightness { get; }
    /// <summary>Contrast factor range, or null.</summary>
    public (double Min, double Max)? Contrast { get; }
    /// <summary>Saturation factor range, or null.</summary>
    public (double Min, double Max)? Saturation { get; }
    /// <summary>Hue shift range, or null.</summary>
    public (double Min, double Max)? Hue { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var g = WorkerContext.Generator ?? Torch.DefaultGenerator;
        var order = Torch.Randperm(4, generator: g).ToArray<long>();
        double? Draw((double Min, double Max)? r) => r is { } v ? Torch.Empty([1]).Uniform_(v.Min, v.Max, g).Item<float>() : null;
        double? b = Draw(Brightness), c = Draw(Contrast), s = Draw(Saturation), h = Draw(Hue);
        foreach (var fn in order)
        {
            if (fn == 0 && b is double bf) image = ImageFunctional.AdjustBrightness(image, bf);
            else if (fn == 1 && c is double cf) image = ImageFunctional.AdjustContrast(image, cf);
            else if (fn == 2 && s is double sf) image = ImageFunctional.AdjustSaturation(image, sf);
            else if (fn == 3 && h is double hf) image = ImageFunctional.AdjustHue(image, hf);
        }
        return image;
    }
}

/// <summary>
/// Rotates by an angle drawn uniformly from [min, max] degrees, counter-clockwise about the centre, keeping the size
/// (<c>RandomRotation(degrees, interpolation, expand=False, center=None, fill)</c>): torchvision's tensor path
/// (inverse affine matrix, normalised sampling grid, <c>grid_sample</c> with align_corners=False), nearest or bilinear;
/// pixels from outside the image are <c>fill</c>.
/// </summary>
public sealed class RandomRotation : ITransform
{
    /// <summary>Creates the transform for angles in [−degrees, degrees].</summary>
    public RandomRotation(double degrees, string interpolation = "nearest", double fill = 0)
        : this(-degrees, degrees, interpolation, fill)
    {
        if (degrees < 0) throw new ArgumentException("If degrees is a single number, it must be positive.");
    }

    /// <summary>Creates the transform for angles in [min, max].</summary>
    public RandomRotation(double min, double max, string interpolation = "nearest", double fill = 0)
    {
        if (interpolation is not ("nearest" or "bilinear")) throw new ArgumentException($"interpolation should be nearest or bilinear, got {interpolation}");
        Degrees = (min, max);
        Interpolation = interpolation;
        Fill = fill;
    }

    /// <summary>The angle range in degrees.</summary>
    public (double Min, double Max) Degrees { get; }
    /// <summary>"nearest" or "bilinear".</summary>
    public string Interpolation { get; }
    /// <summary>The value of pixels that come from outside the image.</summary>
    public double Fill { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image)
    {
        var g = WorkerContext.Generator ?? Torch.DefaultGenerator;
        double angle = Torch.Empty([1]).Uniform_(Degrees.Min, Degrees.Max, g).Item<float>();
        return Rotate(image, angle, Interpolation, Fill);
    }

    /// <summary>Rotates [..., C, H, W] by <paramref name="angle"/> degrees counter-clockwise (<c>F.rotate</c>, expand=False, centre).</summary>
    public static Tensor Rotate(Tensor image, double angle, string interpolation = "nearest", double fill = 0)
    {
        int h = (int)image.Size(-2), w = (int)image.Size(-1);
        // _get_inverse_affine_matrix(center=0, -angle, no translation, scale 1, no shear) = [cos, sin, 0, -sin, cos, 0].
        double rot = -angle * Math.PI / 180.0;
        float m0 = (float)Math.Cos(rot), m1 = (float)-(-Math.Sin(rot)), m3 = (float)-Math.Sin(rot), m4 = (float)Math.Cos(rot);
        // rescaled_theta = theta^T / [w/2, h/2]; grid = [x, y, 1] @ rescaled_theta (float32, like torchvision).
        float hw = 0.5f * w, hh = 0.5f * h;
        float r00 = m0 / hw, r10 = m1 / hw, r01 = m3 / hh, r11 = m4 / hh;
        var xs = Torch.Linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, w).ToArray<float>();
        var ys = Torch.Linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, h).ToArray<float>();
        var shape = image.Shape;
        long planes = image.Numel / ((long)h * w);
        var src = image.Contiguous().To(DType.Float32).ToArray<float>();
        var dst = new float[src.Length];
        for (int oy = 0; oy < h; oy++)
            for (int ox = 0; ox < w; ox++)
            {
                float gx = xs[ox] * r00 + ys[oy] * r10, gy = xs[ox] * r01 + ys[oy] * r11;
                // grid_sample, align_corners=False: pixel = ((g + 1) · size − 1) / 2.
                float ix = ((gx + 1f) * w - 1f) / 2f, iy = ((gy + 1f) * h - 1f) / 2f;
                for (long p = 0; p < planes; p++)
                {
                    long b = p * h * w;
                    float v;
                    if (interpolation == "nearest")
                    {
                        int nx = (int)MathF.Round(ix, MidpointRounding.ToEven), ny = (int)MathF.Round(iy, MidpointRounding.ToEven);
                        v = nx >= 0 && nx < w && ny >= 0 && ny < h ? src[b + (long)ny * w + nx] : (float)fill;
                    }
                    else
                    {
                        int x0 = (int)MathF.Floor(ix), y0 = (int)MathF.Floor(iy);
                        float fx = ix - x0, fy = iy - y0;
                        float At(int yy, int xx) => xx >= 0 && xx < w && yy >= 0 && yy < h ? src[b + (long)yy * w + xx] : 0f;
                        float In(int yy, int xx) => xx >= 0 && xx < w && yy >= 0 && yy < h ? 1f : 0f;
                        float val = At(y0, x0) * (1 - fx) * (1 - fy) + At(y0, x0 + 1) * fx * (1 - fy) + At(y0 + 1, x0) * (1 - fx) * fy + At(y0 + 1, x0 + 1) * fx * fy;
                        // torchvision samples a ones channel alongside (the validity mask) and returns
                        // img · mask + (1 − mask) · fill, with img the zero-padded sample.
                        float mask = In(y0, x0) * (1 - fx) * (1 - fy) + In(y0, x0 + 1) * fx * (1 - fy) + In(y0 + 1, x0) * (1 - fx) * fy + In(y0 + 1, x0 + 1) * fx * fy;
                        v = val * mask + (1 - mask) * (float)fill;
                    }
                    dst[b + (long)oy * w + ox] = v;
                }
            }
        var r = Torch.From(dst, shape);
        return image.DType.IsFloatingPoint() ? r.To(image.DType) : r.RoundHalfEven().To(image.DType);
    }
}
