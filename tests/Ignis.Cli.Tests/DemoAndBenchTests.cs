using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ignis.Cli.Demo;
using Xunit;

namespace Ignis.Cli.Tests;

/// <summary><c>ignis demo</c> and <c>ignis bench</c> run end to end on this machine (small settings for the benchmark).</summary>
[Collection("trains")]
public class DemoAndBenchTests
{

    [Fact]
    public void The_demo_trains_the_shipped_mnist_sample_past_94_percent_and_saves_a_model_pytorch_can_load()
    {
        using var dirFolder = new TempFolder();
        string dir = dirFolder;
        var output = new StringWriter();
        Assert.Equal(0, Cli.Build(output: output).Parse(["demo", "--out", dir, "--device", "cpu"]).Invoke());
        string text = output.ToString();
        var m = Regex.Match(text, @"test accuracy: (0\.[0-9]+)");
        Assert.True(m.Success, text);
        double accuracy = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.94, $"test accuracy {accuracy} < 0.94\n{text}");
        Assert.Matches(@"digit 1: label \d, predicted \d", text);
        Assert.Contains("@", text);                               // drawn in ASCII
        string path = Path.Combine(dir, "mnist-mlp.pth");
        Assert.Contains(path, text);
        var state = Torch.Load<OrderedDictionary<string, Tensor>>(path);
        Assert.Equal(["1.weight", "1.bias", "4.weight", "4.bias"], state.Keys);
    }

    [Fact]
    public void Ascii_digits_use_darker_characters_for_darker_pixels()
    {
        var img = new byte[784];
        img[0] = 255;
        img[28 * 2 + 3] = 128;
        var lines = DemoCommand.Ascii(img).ToArray();
        Assert.Equal(14, lines.Length);
        Assert.Equal("@", lines[0]);
        Assert.Equal("   =", lines[1]);   // 128/255 of the ramp " .:-=+*#%@"
    }

    [Fact]
    public void Bench_prints_the_table_and_writes_json()
    {
        using var dirFolder = new TempFolder();
        string dir = dirFolder;
        var output = new StringWriter();
        Assert.Equal(0, Cli.Build(output: output).Parse(["bench", "--image-size", "64", "--images", "16", "--models", "resnet18,mobilenet_v2", "--out", dir]).Invoke());
        string text = output.ToString();
        Assert.Contains("resnet18", text);
        Assert.Contains("mean epoch s", text);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "bench.json")))!;
        var results = json["results"]!.AsArray();
        Assert.Equal(["resnet18", "mobilenet_v2"], results.Where(r => (string)r!["device"]! == "cpu").Select(r => (string)r!["model"]!));
        Assert.All(results, r => Assert.True((double)r!["mean_epoch_seconds"]! > 0));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(dir, "bench.png"))[..4]);
        if (!Torch.Cuda.IsAvailable()) Assert.Contains("only the CPU column runs", text);
    }

    [Fact]
    public void Bench_ops_reports_gemm_and_convolution_layers()
    {
        var output = new StringWriter();
        Assert.Equal(0, Cli.Build(output: output).Parse(["bench", "--ops"]).Invoke());
        string text = output.ToString();
        Assert.Contains("GFLOP/s", text);
        Assert.Contains("resnet18 3×3 64→64 @56", text);
    }
}
