using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Ignis.Vision.Tests;

/// <summary>Ignis.Vision.IO against torchvision.io.read_image (PNG, JPEG) and PIL (BMP, GIF, WebP): tools/fixtures/make_image_fixtures.py.</summary>
public class ImageIOTests(ITestOutputHelper output)
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "images");

    static readonly Lazy<List<JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "images.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToList();
    });

    public static TheoryData<string, string> AllCases()
    {
        var d = new TheoryData<string, string>();
        foreach (var c in Cases.Value) d.Add(c.GetProperty("file").GetString()!, c.GetProperty("mode").GetString()!);
        return d;
    }

    static ImageReadMode Mode(string m) => m switch
    {
        "unchanged" => ImageReadMode.Unchanged, "gray" => ImageReadMode.Gray, "gray_alpha" => ImageReadMode.GrayAlpha,
        "rgb" => ImageReadMode.Rgb, _ => ImageReadMode.RgbAlpha,
    };

    /// <summary>
    /// Tolerances: PNG, BMP, GIF and lossless WebP pixels are exact. Colour to gray differs by at most 1 level (BT.601
    /// weights in fixed point; torchvision's libpng path rounds a few pixels differently). JPEG is within the decoders'
    /// tolerance: libjpeg-turbo and ImageSharp differ in IDCT and 4:2:0 chroma upsampling, measured here at max 11,
    /// mean 2.8 levels for the colour image (bounds 12 and 3), and 1 level for the gray one; torchvision's JPEG gray is
    /// the decoder's Y plane, Ignis' the BT.601 luma of its decoded RGB.
    /// </summary>
    [Theory, MemberData(nameof(AllCases))]
    public void Read_image_matches_the_reference(string file, string mode)
    {
        var c = Cases.Value.Single(x => x.GetProperty("file").GetString() == file && x.GetProperty("mode").GetString() == mode);
        var t = IO.ReadImage(Path.Combine(Dir, file), Mode(mode));
        Assert.Equal(DType.UInt8, t.DType);
        Assert.Equal(c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), t.Shape);
        var want = c.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var got = t.ToArray<byte>();
        int maxDiff = 0; double sum = 0;
        for (int i = 0; i < want.Length; i++) { int d = Math.Abs(want[i] - got[i]); maxDiff = Math.Max(maxDiff, d); sum += d; }
        output.WriteLine($"{file} {mode}: max |diff| {maxDiff}, mean {sum / want.Length:F3}");
        bool jpeg = file.EndsWith(".jpg", StringComparison.Ordinal);
        bool toGray = mode is "gray" or "gray_alpha" && !file.StartsWith("gray", StringComparison.Ordinal);
        if (jpeg)
        {
            bool color = file == "rgb.jpg";
            Assert.True(maxDiff <= (color ? 12 : 1), $"{file} {mode}: max |diff| {maxDiff}");
            Assert.True(sum / want.Length <= (color ? 3.0 : 0.1), $"{file} {mode}: mean |diff| {sum / want.Length}");
        }
        else Assert.True(maxDiff <= (toGray ? 1 : 0), $"{file} {mode}: max |diff| {maxDiff}");
    }

    [Fact]
    public void Png_round_trips_exactly_and_jpeg_closely()
    {
        var rgb = IO.ReadImage(Path.Combine(Dir, "rgb.png"));
        var path = Path.Combine(Path.GetTempPath(), $"ignis-{Guid.NewGuid():N}.png");
        try
        {
            IO.WritePng(rgb, path);
            Assert.Equal(rgb.ToArray<byte>(), IO.ReadImage(path).ToArray<byte>());
            var gray = IO.ReadImage(Path.Combine(Dir, "gray.png"));
            IO.WritePng(gray, path, compressionLevel: 9);
            Assert.Equal(gray.ToArray<byte>(), IO.ReadImage(path).ToArray<byte>());
            // JPEG is lossy with 4:2:0 chroma (libjpeg's default, as torchvision's encode_jpeg): round-trip a smooth image.
            var col = Torch.Arange(64).Mul(4).Reshape(1, 64).Expand(48, 64);
            var row = Torch.Arange(48).Mul(5).Reshape(48, 1).Expand(48, 64);
            var smooth = Torch.Stack([col, row, Torch.Full([48, 64], 128L)]).To(DType.UInt8);
            var jpeg = IO.DecodeImage(IO.EncodeJpeg(smooth, quality: 95));
            Assert.Equal(smooth.Shape, jpeg.Shape);
            double mean = smooth.To(DType.Float32).Sub(jpeg.To(DType.Float32)).Abs().Mean().Item<float>();
            Assert.True(mean < 1.5, $"JPEG q95 round trip mean |diff| {mean}");
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("truncated.png")]
    [InlineData("not_an_image.png")]
    [InlineData("bomb.png")]
    public void Broken_files_raise_a_typed_error_naming_the_file(string file)
    {
        var path = Path.Combine(Dir, file);
        var e = Assert.Throws<ImageReadException>(() => IO.ReadImage(path));
        Assert.Contains(file, e.Message);
        if (file == "bomb.png") Assert.Contains("100000x100000", e.Message);
    }

    [Fact]
    public void Writer_errors_match_torchvision()
    {
        Assert.Equal("Input tensor dtype should be uint8", Assert.Throws<ArgumentException>(() => IO.EncodePng(Torch.Zeros(3, 4, 4))).Message);
        Assert.Equal("The number of channels should be 1 or 3, got: 4",
            Assert.Throws<ArgumentException>(() => IO.EncodePng(Torch.Zeros([4, 2, 2], DType.UInt8))).Message);
        Assert.Equal("Image quality should be a positive number between 1 and 100",
            Assert.Throws<ArgumentException>(() => IO.EncodeJpeg(Torch.Zeros([3, 2, 2], DType.UInt8), 0)).Message);
        Assert.Throws<FileNotFoundException>(() => IO.ReadImage(Path.Combine(Dir, "missing.png")));
    }
}
