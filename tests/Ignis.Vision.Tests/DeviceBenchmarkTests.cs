using System.Text.Json;
using Ignis.Vision.Benchmarks;
using Xunit;

namespace Ignis.Vision.Tests;

/// <summary>The seed's device benchmark, shrunk: it trains, times, and reports as a table and as JSON.</summary>
public class DeviceBenchmarkTests
{
    static string SampleRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "data", "mnist-sample"))) return Path.Combine(d.FullName, "data", "mnist-sample");
        throw new DirectoryNotFoundException("data/mnist-sample not found above the test folder");
    }

    [Fact]
    public void Runs_models_on_the_cpu_and_reports_table_and_json()
    {
        var options = new DeviceBenchmarkOptions
        {
            ImageSize = 32, Images = 24, BatchSize = 8, Epochs = 2, Workers = 2,
            Models = ["resnet18", "mobilenet_v2"], Devices = [Device.Cpu], DataRoot = SampleRoot(),
        };
        var lines = new List<string>();
        var report = DeviceBenchmark.Run(options, new SyncProgress(lines.Add));
        Assert.Equal(2, report.Rows.Count);
        Assert.Equal(4, lines.Count);
        foreach (var r in report.Rows)
        {
            Assert.Equal("cpu", r.Device);
            Assert.Equal(2, r.EpochSeconds.Count);
            Assert.True(r.MeanEpochSeconds > 0);
            Assert.True(double.IsFinite(r.LastLoss) && r.LastLoss > 0, $"loss {r.LastLoss}");
            Assert.Equal(1.0, r.SpeedupOverCpu);
        }
        Assert.Contains("resnet18", report.ToTable());
        using var json = JsonDocument.Parse(report.ToJson());
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal("mobilenet_v2", results[1].GetProperty("model").GetString());
        Assert.Equal(32, json.RootElement.GetProperty("options").GetProperty("image_size").GetInt32());
    }

    [Fact]
    public void Bad_settings_are_refused_before_any_work()
    {
        Assert.Contains("Unknown model vgg17", Assert.Throws<ArgumentException>(() =>
            DeviceBenchmark.Run(new DeviceBenchmarkOptions { Models = ["vgg17"], DataRoot = SampleRoot() })).Message);
        Assert.Contains("asked for 20000 images", Assert.Throws<ArgumentException>(() =>
            DeviceBenchmark.Run(new DeviceBenchmarkOptions { Images = 20000, DataRoot = SampleRoot(), Devices = [Device.Cpu] })).Message);
    }

    sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
