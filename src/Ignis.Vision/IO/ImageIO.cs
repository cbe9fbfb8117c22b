using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Ignis.Vision;

/// <summary>How <see cref="IO.ReadImage"/> maps a file's colour channels (<c>torchvision.io.ImageReadMode</c>).</summary>
public enum ImageReadMode
{
    /// <summary>The file's own channels: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).</summary>
    Unchanged,
    /// <summary>One luminance channel.</summary>
    Gray,
    /// <summary>Luminance and alpha.</summary>
    GrayAlpha,
    /// <summary>Red, green, blue.</summary>
    Rgb,
    /// <summary>Red, green, blue, alpha.</summary>
    RgbAlpha,
}

/// <summary>A file that is not a readable image, or one too large to decode; the message names the file.</summary>
public sealed class ImageReadException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Image files as uint8 [C, H, W] tensors (<c>torchvision.io</c>): <see cref="ReadImage"/> reads JPEG, PNG, BMP, GIF
/// (first frame) and WebP; <see cref="WritePng"/> / <see cref="WriteJpeg"/> write. Decoding is SixLabors.ImageSharp's
/// (managed); dimensions are checked before any pixel memory is allocated.
/// </summary>
public static class IO
{
    /// <summary>
    /// The most pixels an image may have (PIL's decompression-bomb limit, 2 × 89,478,485): a file claiming more is refused
    /// before decoding, whatever its size on disk.
    /// </summary>
    public static long MaxImagePixels { get; set; } = 178_956_970;

    /// <summary>Reads an image file into a uint8 [C, H, W] tensor (<c>torchvision.io.read_image(path, mode)</c>).</summary>
    public static Tensor ReadImage(string path, ImageReadMode mode = ImageReadMode.Unchanged)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data;
        try { data = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"[Errno 2] No such file or directory: '{path}'", path); }
        return Decode(data, mode, path);
    }

    /// <summary>Decodes encoded image bytes (<c>torchvision.io.decode_image</c>).</summary>
    public static Tensor DecodeImage(byte[] data, ImageReadMode mode = ImageReadMode.Unchanged) => Decode(data, mode, "<bytes>");

    /// <summary>Decodes a uint8 1-D tensor of encoded bytes, as <c>torchvision.io.decode_image(read_file(path))</c>.</summary>
    public static Tensor DecodeImage(Tensor data, ImageReadMode mode = ImageReadMode.Unchanged)
    {
        if (data.DType != DType.UInt8 || data.Dim != 1) throw new ArgumentException("Expected a 1-D uint8 tensor of encoded image bytes");
        return Decode(data.Contiguous().ToArray<byte>(), mode, "<tensor>");
    }

    static Tensor Decode(byte[] data, ImageReadMode mode, string name)
    {
        try
        {
            var info = Image.Identify(data, out IImageFormat? format);
            if (info is null || format is null) throw new ImageReadException($"{name}: not an image in a supported format (JPEG, PNG, BMP, GIF, WebP)");
            if (info.Width <= 0 || info.Height <= 0) throw new ImageReadException($"{name}: image has no pixels ({info.Width}x{info.Height})");
            if ((long)info.Width * info.Height > MaxImagePixels)
                throw new ImageReadException($"{name}: image size ({info.Width}x{info.Height} pixels) exceeds the limit of {MaxImagePixels} pixels (IO.MaxImagePixels), could be a decompression bomb");
            if (mode == ImageReadMode.Unchanged) mode = NativeMode(info, format);
            return ToTensor(data, mode);
        }
        catch (ImageReadException) { throw; }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new ImageReadException($"{name}: cannot decode the image: {e.Message}", e);
        }
    }

    /// <summary>The channels torchvision's decoders give for ImageReadMode.UNCHANGED; formats torchvision lacks follow the pixel depth.</summary>
    static ImageReadMode NativeMode(IImageInfo info, IImageFormat format)
    {
        if (format == PngFormat.Instance)
        {
            var png = info.Metadata.GetPngMetadata();
            return png.ColorType switch
            {
                PngColorType.Grayscale => png.HasTransparency ? ImageReadMode.GrayAlpha : ImageReadMode.Gray,
                PngColorType.GrayscaleWithAlpha => ImageReadMode.GrayAlpha,
                PngColorType.RgbWithAlpha => ImageReadMode.RgbAlpha,
                PngColorType.Palette when png.HasTransparency => ImageReadMode.RgbAlpha,
                _ => ImageReadMode.Rgb,
            };
        }
        if (format == JpegFormat.Instance)
            return info.Metadata.GetJpegMetadata().ColorType == JpegColorType.Luminance ? ImageReadMode.Gray : ImageReadMode.Rgb;
        return info.PixelType.BitsPerPixel == 32 ? ImageReadMode.RgbAlpha : ImageReadMode.Rgb;
    }

    /// <summary>
    /// Decodes to RGBA and lays the requested channels out as [C, H, W]. Gray from colour uses fixed-point BT.601 weights
    /// truncated, as torchvision's decoders give (PNG within 1 level); pixels with R = G = B (gray sources) stay exact.
    /// </summary>
    static Tensor ToTensor(byte[] data, ImageReadMode mode)
    {
        int channels = mode switch { ImageReadMode.Gray => 1, ImageReadMode.GrayAlpha => 2, ImageReadMode.Rgb => 3, _ => 4 };
        using var image = Image.Load<Rgba32>(data);
        int h = image.Height, w = image.Width;
        long plane = (long)h * w;
        var chw = new byte[channels * plane];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    var p = row[x];
                    long at = (long)y * w + x;
                    switch (mode)
                    {
                        case ImageReadMode.Gray:
                            chw[at] = Gray(p);
                            break;
                        case ImageReadMode.GrayAlpha:
                            chw[at] = Gray(p);
                            chw[plane + at] = p.A;
                            break;
                        default:
                            chw[at] = p.R;
                            chw[plane + at] = p.G;
                            chw[2 * plane + at] = p.B;
                            if (channels == 4) chw[3 * plane + at] = p.A;
                            break;
                    }
                }
            }
        });
        return Torch.Tensor(chw, channels, h, w);
    }

    static byte Gray(Rgba32 p) => p.R == p.G && p.G == p.B ? p.R : (byte)((19595 * p.R + 38470 * p.G + 7471 * p.B) >> 16);

    // ---------- writing ----------

    /// <summary>
    /// Writes a uint8 [C, H, W] tensor (C = 1 or 3) as PNG (<c>torchvision.io.write_png(input, filename, compression_level=6)</c>).
    /// </summary>
    public static void WritePng(Tensor input, string path, int compressionLevel = 6) =>
        File.WriteAllBytes(path, EncodePng(input, compressionLevel).ToArray<byte>());

    /// <summary>Encodes a uint8 [C, H, W] tensor (C = 1 or 3) as PNG bytes in a uint8 1-D tensor (<c>torchvision.io.encode_png</c>).</summary>
    public static Tensor EncodePng(Tensor input, int compressionLevel = 6)
    {
        if (compressionLevel < 0 || compressionLevel > 9) throw new ArgumentException("Compression level should be between 0 and 9");
        var encoder = new PngEncoder { CompressionLevel = (PngCompressionLevel)compressionLevel };
        return Encode(input, encoder);
    }

    /// <summary>
    /// Writes a uint8 [C, H, W] tensor (C = 1 or 3) as JPEG (<c>torchvision.io.write_jpeg(input, filename, quality=75)</c>).
    /// </summary>
    public static void WriteJpeg(Tensor input, string path, int quality = 75) =>
        File.WriteAllBytes(path, EncodeJpeg(input, quality).ToArray<byte>());

    /// <summary>Encodes a uint8 [C, H, W] tensor (C = 1 or 3) as JPEG bytes in a uint8 1-D tensor (<c>torchvision.io.encode_jpeg</c>).</summary>
    public static Tensor EncodeJpeg(Tensor input, int quality = 75)
    {
        if (quality < 1 || quality > 100) throw new ArgumentException("Image quality should be a positive number between 1 and 100");
        var encoder = new JpegEncoder { Quality = quality, ColorType = input.Dim == 3 && input.Shape[0] == 1 ? JpegColorType.Luminance : JpegColorType.YCbCrRatio420 };
        return Encode(input, encoder);
    }

    static Tensor Encode(Tensor input, IImageEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.UInt8) throw new ArgumentException("Input tensor dtype should be uint8");
        if (input.Dim != 3) throw new ArgumentException("Input data should be a 3-dimensional tensor");
        long c = input.Shape[0];
        if (c != 1 && c != 3) throw new ArgumentException($"The number of channels should be 1 or 3, got: {c}");
        int h = checked((int)input.Shape[1]), w = checked((int)input.Shape[2]);
        var src = input.Contiguous().ToArray<byte>();
        long plane = (long)h * w;
        using var ms = new MemoryStream();
        if (c == 1)
        {
            using var img = new Image<L8>(w, h);
            img.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < h; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < w; x++) row[x] = new L8(src[(long)y * w + x]);
                }
            });
            img.Save(ms, encoder);
        }
        else
        {
            using var img = new Image<Rgb24>(w, h);
            img.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < h; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < w; x++)
                    {
                        long at = (long)y * w + x;
                        row[x] = new Rgb24(src[at], src[plane + at], src[2 * plane + at]);
                    }
                }
            });
            img.Save(ms, encoder);
        }
        var bytes = ms.ToArray();
        return Torch.Tensor(bytes, bytes.Length);
    }
}
