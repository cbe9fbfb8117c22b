using System.IO.Compression;
using Ignis;
using Ignis.Data;
using Ignis.Vision;
using Xunit;

namespace Ignis.Tests;

/// <summary>Transforms against torchvision 0.14, the IDX reader on real and crafted files, and the shipped MNIST sample.</summary>
public class VisionTests
{
    static readonly string SampleRoot = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");

    public static IEnumerable<object[]> TransformCases => Fixture.Cases("vision").EnumerateArray()
        .Where(c => c.TryGetProperty("output", out _)).Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(TransformCases))]
    public void Transforms_match_torchvision(string name)
    {
        var c = Fixture.Case("vision", name);
        var input = Fixture.ToTensor(c.GetProperty("input"));
        var seed = System.Text.RegularExpressions.Regex.Match(name, "seed([0-9]+)$");
        if (seed.Success) Torch.ManualSeed(long.Parse(seed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        ITransform t = name switch
        {
            "resize_up_float" => new Resize(11, 8),
            "resize_down_float" => new Resize(4, 3),
            "resize_short_edge_u8" => new Resize(5),
            "grayscale_u8" => new Grayscale(),
            "grayscale3_float" => new Grayscale(3),
            "center_crop" => new CenterCrop(4),
            "center_crop_pad" => new CenterCrop(9, 12),
            "normalize" => new Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.4]),
            "to_tensor_gray" or "to_tensor_hwc" => new ToTensor(),
            "random_crop_pad_seed3" => new RandomCrop(6, 2),
            "resize_aa_down_float" => new Resize(5, 6, antialias: true),
            "resize_aa_down_u8" => new Resize(4, 7, antialias: true),
            "resize_aa_short_edge_u8" => new Resize(6, antialias: true),
            "resize_aa_bicubic_down_float" => new Resize(5, 6, "bicubic", antialias: true),
            "resize_aa_bicubic_down_u8" => new Resize(6, 5, "bicubic", antialias: true),
            "resize_aa_up_float" => new Resize(19, 23, antialias: true),
            "resize_bicubic_float" => new Resize(7, 9, "bicubic"),
            "resize_bicubic_up_u8" => new Resize(20, 25, "bicubic"),
            "resize_nearest_u8" => new Resize(5, 8, "nearest"),
            "brightness_u8" or "brightness_float" => new Lambda(x => ImageFunctional.AdjustBrightness(x, 1.3)),
            "contrast_u8" or "contrast_float" => new Lambda(x => ImageFunctional.AdjustContrast(x, 0.6)),
            "saturation_u8" or "saturation_float" => new Lambda(x => ImageFunctional.AdjustSaturation(x, 1.7)),
            "hue_u8" or "hue_float" => new Lambda(x => ImageFunctional.AdjustHue(x, 0.2)),
            "hue_neg_u8" or "hue_neg_float" => new Lambda(x => ImageFunctional.AdjustHue(x, -0.45)),
            "random_resized_crop_seed31" or "random_resized_crop_seed32" or "random_resized_crop_seed33" => new RandomResizedCrop(8),
            "random_resized_crop_scale_seed34" => new RandomResizedCrop(6, 9, scale: (0.5, 1.0), ratio: (0.5, 2.0)),
            "random_resized_crop_fallback_seed35" => new RandomResizedCrop(5, scale: (2.0, 3.0)),
            "color_jitter_seed36" or "color_jitter_seed37" => new ColorJitter(0.4, 0.4, 0.4, 0.1),
            "color_jitter_float_seed38" => new ColorJitter(0.5, 0.3, 0.6, 0.2),
            "random_rotation_seed39" or "random_rotation_seed40" => new RandomRotation(40),
            "random_rotation_bilinear_fill_seed41" => new RandomRotation(10, 80, "bilinear", fill: 0.5),
            "rotate_90_float" => new Lambda(x => RandomRotation.Rotate(x, 90.0)),
            _ => throw new InvalidOperationException(name),
        };
        // uint8 resize rounds float results: a value within an ulp of .5 may land on the other integer.
        // uint8 results of float arithmetic: a value within an ulp of an integer boundary may land one level off.
        bool u8Resize = (name.StartsWith("resize", StringComparison.Ordinal) && name.EndsWith("u8", StringComparison.Ordinal))
                        || (input.DType == DType.UInt8 && (name.Contains("jitter") || name.Contains("hue") || name.Contains("crop_seed") || name.Contains("rotation") || name.Contains("contrast") || name.Contains("saturation") || name.Contains("brightness")));
        var expected = Fixture.ToTensor(c.GetProperty("output"));
        var actual = t.Apply(input);
        Fixture.AssertClose(expected, actual, name, 1e-5, u8Resize ? 1 : 1e-5);
        if (u8Resize)
        {
            // The one-level slack is for rare boundary cases, not a blanket tolerance: at most 2 % of pixels may use it.
            long off = expected.To(DType.Int32).Ne(actual.To(DType.Int32)).Sum().Item<long>();
            Assert.True(off <= Math.Max(3, expected.Numel / 50), $"{name}: {off} of {expected.Numel} uint8 values differ by one level");
        }
    }

    [Fact]
    public void Random_flip_draws_like_torchvision()
    {
        var expected = Fixture.Case("vision", "flip_draws_seed5").GetProperty("flips").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        Torch.ManualSeed(5);
        var img = Torch.Rand(3, 6, 5);
        Torch.ManualSeed(5);
        var flip = new RandomHorizontalFlip();
        var flipped = img.IndexSelect(2, Torch.Arange(4, -1, -1));
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(_ => flip.Apply(img).Equal(flipped)).ToArray());
    }

    [Fact]
    public void Shipped_mnist_sample_loads()
    {
        var train = new MNIST(SampleRoot);
        var test = new MNIST(SampleRoot, train: false, transform: new Compose(new ToTensor(), new Normalize([0.1307], [0.3081])));
        Assert.Equal(8000, train.Count);
        Assert.Equal(2000, test.Count);
        Assert.Equal([8000L, 28, 28], train.Data.Shape);
        Assert.Equal(DType.UInt8, train.Data.DType);
        var counts = Enumerable.Range(0, 10).Select(k => train.Targets.Eq((long)k).Sum().Item<long>()).ToArray();
        Assert.All(counts, n => Assert.InRange(n, 600, 1000)); // every digit present in realistic numbers
        var (img, label) = test[0];
        Assert.Equal([1L, 28, 28], img.Shape);
        Assert.InRange(label, 0, 9);
    }

    [Fact]
    public void Fashion_mnist_names_the_install_when_missing()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var ex = Assert.Throws<FileNotFoundException>(() => new FashionMNIST(dir));
        Assert.Contains("train-images-idx3-ubyte", ex.Message);
        Assert.Contains(dir, ex.Message);
    }

    static string Write(byte[] content, bool gzip, string name = "x-idx")
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, name);
        if (!gzip) { File.WriteAllBytes(path, content); return path; }
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(content);
        return path;
    }

    static byte[] Header(uint magic, params int[] dims)
    {
        var b = new List<byte>();
        foreach (var v in new[] { (int)magic }.Concat(dims))
            b.AddRange(BitConverter.GetBytes(v).Reverse());
        return b.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_reader_reads_valid_files(bool gzip)
    {
        var content = Header(0x803, 2, 2, 3).Concat(Enumerable.Range(0, 12).Select(i => (byte)i)).ToArray();
        var (dims, data) = Idx.Read(Write(content, gzip), 3);
        Assert.Equal([2, 2, 3], dims);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)i), data);
    }

    [Theory]
    [InlineData(false, "bad magic", new byte[] { 0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1 })]
    [InlineData(true, "bad magic", new byte[] { 0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1 })]
    [InlineData(false, "has 1 dimensions; expected 3", new byte[] { 0, 0, 0x08, 0x01, 0, 0, 0, 1, 7 })]
    [InlineData(false, "unsupported IDX element type 0x0D", new byte[] { 0, 0, 0x0D, 0x03 })]
    [InlineData(false, "header is truncated", new byte[] { 0, 0, 0x08, 0x03, 0, 0, 0, 1 })]
    [InlineData(false, "file ends after 2 bytes", new byte[] { 0, 0 })]
    public void Idx_reader_rejects_corrupt_files(bool gzip, string message, byte[] content)
    {
        var path = Write(content, gzip);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.Read(path, 3));
        Assert.Contains(message, ex.Message);
        Assert.Equal(path, ex.FilePath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_reader_rejects_truncated_and_oversized_data(bool gzip)
    {
        var truncated = Header(0x803, 10, 28, 28).Concat(new byte[100]).ToArray();
        Assert.Contains("data is truncated: header [10, 28, 28] needs 7840 bytes", Assert.Throws<IdxFormatException>(() => Idx.Read(Write(truncated, gzip), 3)).Message);
        var trailing = Header(0x803, 1, 2, 2).Concat(new byte[5]).ToArray();
        Assert.Contains("has data after the 4 bytes", Assert.Throws<IdxFormatException>(() => Idx.Read(Write(trailing, gzip), 3)).Message);
        // A header claiming ~2 GB over a few bytes of data fails without allocating it.
        var liar = Header(0x803, 46000, 216, 216).Concat(new byte[16]).ToArray();
        Assert.Contains("truncated", Assert.Throws<IdxFormatException>(() => Idx.Read(Write(liar, gzip), 3)).Message);
        var huge = Header(0x803, int.MaxValue, 28, 28);
        Assert.Contains("describe more than", Assert.Throws<IdxFormatException>(() => Idx.Read(Write(huge, gzip), 3)).Message);
    }

    [Fact]
    public void Corrupt_gzip_streams_raise_typed_errors()
    {
        var content = Header(0x803, 1, 28, 28).Concat(new byte[784]).ToArray();
        var path = Write(content, gzip: true);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); // cut mid-stream
        Assert.IsType<IdxFormatException>(Record.Exception(() => Idx.Read(path, 3)));
        for (int i = 10; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A; // scramble the deflate data
        File.WriteAllBytes(path, bytes);
        Assert.IsType<IdxFormatException>(Record.Exception(() => Idx.Read(path, 3)));
    }

    [Fact]
    public void Mnist_reports_inconsistent_files()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), Header(0x803, 2, 28, 28).Concat(new byte[2 * 784]).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), Header(0x801, 3).Concat(new byte[] { 1, 2, 3 }).ToArray());
        var ex = Assert.Throws<IdxFormatException>(() => new MNIST(dir));
        Assert.Contains("holds 3 labels but train-images-idx3-ubyte holds 2 images", ex.Message);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), Header(0x801, 2).Concat(new byte[] { 1, 12 }).ToArray());
        Assert.Contains("label 12 is not a class index", Assert.Throws<IdxFormatException>(() => new MNIST(dir)).Message);
    }
}

/// <summary>The weights' eval presets (<c>weights.transforms()</c>) against torchvision's tensor path.</summary>
public class WeightsPresetTests
{
    [Theory]
    [InlineData("resnet18")]
    [InlineData("efficientnet_b3")]
    public void Preset_matches_torchvision(string model)
    {
        var c = Fixture.Case("vision", "preset_" + model);
        var img = Torch.Arange(3L * 251 * 263).Mul(37).Remainder(Torch.Scalar(256L)).To(DType.UInt8).Reshape(3, 251, 263);
        var t = PretrainedWeights.Get(model).Transforms().Apply(img).Double();
        Assert.Equal(c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), t.Shape);
        var flat = t.Reshape(-1);
        // float32 rounding of ~150k values: relative 1e-5 on the sums; each sampled value to 1e-5.
        double sum = c.GetProperty("sum").GetDouble(), sumsq = c.GetProperty("sumsq").GetDouble();
        Assert.Equal(sum, flat.Sum().Item<double>(), 1e-5 * Math.Abs(sum));
        Assert.Equal(sumsq, flat.Mul(flat).Sum().Item<double>(), 1e-5 * sumsq);
        var at = new long[] { 0, 1234, 40000, 77777, flat.Numel - 1 };
        var samples = c.GetProperty("samples").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < at.Length; i++) Assert.Equal(samples[i], flat[at[i]].Item<double>(), 1e-5);
    }
}
