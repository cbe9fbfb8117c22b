using System.Diagnostics;
using Ignis.Cli.Demo;
using Ignis.Cli.Doctor;
using Ignis.Vision.Benchmarks;
using Spectre.Console;

namespace Ignis.Cli.Bench;

/// <summary>The options of <c>ignis bench</c>.</summary>
internal sealed record BenchArgs(string[] Models, int ImageSize, int Images, int BatchSize, int Epochs, string? Devices, string OutDir, bool Ops);

/// <summary>
/// <c>ignis bench</c>: the seed's CPU-vs-accelerator experiment (<see cref="DeviceBenchmark"/>) with live progress, the
/// table of mean epoch time and speed-up, and the results as JSON; without an accelerator it runs the CPU column and
/// prints the doctor's verdict for the devices it could not use. <c>--ops</c> times GEMM and convolution layers instead.
/// </summary>
internal static class BenchCommand
{
    public static int Run(BenchArgs a, IDoctorProbes probes, TextWriter output)
    {
        var console = Doctor.DoctorCommand.ConsoleFor(output);
        if (a.Ops) return Ops(console);

        IReadOnlyList<Device> devices = a.Devices is { } spec
            ? spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Device.Parse).ToArray()
            : DefaultDevices();
        if (devices.Count == 1)
        {
            var doctor = DoctorAnalysis.Run(probes, smoke: false);
            console.MarkupLine("[yellow]No accelerator to compare with: only the CPU column runs.[/] What `ignis doctor` found:");
            foreach (var d in doctor.Devices.Where(d => d.Device != "cpu"))
                console.MarkupLine($"  {Markup.Escape(d.Device)}: {Markup.Escape(d.Verdict)}" +
                    (d.Usable ? $" — not an accelerator; `--device cpu,{Markup.Escape(d.Device)}` times it anyway" : ""));
        }
        var options = new DeviceBenchmarkOptions
        {
            Models = a.Models, ImageSize = a.ImageSize, Images = a.Images, BatchSize = a.BatchSize, Epochs = a.Epochs, Devices = devices,
        };
        console.MarkupLine($"{a.Images} MNIST images at {a.ImageSize}×{a.ImageSize}, batch {a.BatchSize}, {a.Epochs} epoch(s) per model on " +
                           Markup.Escape(string.Join(", ", devices)));
        DeviceBenchmarkReport? report = null;
        if (console.Profile.Capabilities.Interactive)
        {
            // A live table in a terminal: one row per finished epoch.
            var table = new Table().Border(TableBorder.Rounded).AddColumn("finished epochs");
            console.Live(table).Start(ctx =>
            {
                report = DeviceBenchmark.Run(options, new Progress(line =>
                {
                    table.AddRow(Markup.Escape(line));
                    ctx.Refresh();
                }));
            });
        }
        else report = DeviceBenchmark.Run(options, new Progress(line => console.WriteLine(line)));

        var result = new Table().Border(TableBorder.Rounded).AddColumns("model", "device", "mean epoch s", "vs CPU", "last loss");
        foreach (var r in report!.Rows)
            result.AddRow(Markup.Escape(r.Model), Markup.Escape(r.Device), r.MeanEpochSeconds.ToString("F2"),
                r.SpeedupOverCpu is double s ? $"{s:F2}×" : "-", r.LastLoss.ToString("F4"));
        console.Write(result);
        Directory.CreateDirectory(a.OutDir);
        string json = Path.GetFullPath(Path.Combine(a.OutDir, "bench.json"));
        File.WriteAllText(json, report.ToJson());
        string png = Path.GetFullPath(Path.Combine(a.OutDir, "bench.png"));
        Charts.EpochTimes(report.Rows.Select(r => (r.Model, r.Device, r.MeanEpochSeconds)).ToArray(), png);
        console.MarkupLine($"results: [bold]{Markup.Escape(json)}[/], chart: [bold]{Markup.Escape(png)}[/]");
        return 0;
    }

    /// <summary>The CPU and every accelerator: CUDA devices and GPU OpenCL devices (a CPU OpenCL driver is not one).</summary>
    static IReadOnlyList<Device> DefaultDevices()
    {
        var list = new List<Device> { Device.Cpu };
        for (int i = 0; i < Torch.Cuda.DeviceCount(); i++) list.Add(new Device(DeviceType.Cuda, i));
        var gpu = DemoCommand.PickDevice("auto");
        if (gpu.Type == DeviceType.OpenCL) list.Add(gpu);
        return list;
    }

    sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    /// <summary>GEMM GFLOP/s by size and the training-step time of a few convolution layers, after warm-up.</summary>
    static int Ops(IAnsiConsole console)
    {
        console.MarkupLine($"CPU kernels: [bold]{Torch.Backends.Cpu.GetCpuCapability()}[/], {Environment.ProcessorCount} logical core(s); " +
                           "times are medians of 5 runs after 2 warm-ups");
        var gemm = new Table().Border(TableBorder.Rounded).AddColumns("SGEMM n×n×n", "ms", "GFLOP/s");
        foreach (int n in new[] { 256, 512, 1024 })
        {
            var x = Torch.Randn(n, n);
            var y = Torch.Randn(n, n);
            double ms = Median(() => x.MatMul(y));
            gemm.AddRow(n.ToString(), ms.ToString("F2"), (2.0 * n * n * n / (ms * 1e6)).ToString("F1"));
        }
        console.Write(gemm);
        var conv = new Table().Border(TableBorder.Rounded).AddColumns("conv layer (batch 4, fwd + bwd)", "ms");
        foreach (var (name, cin, cout, hw, k, stride, groups) in new[]
                 {
                     ("resnet18 3×3 64→64 @56", 64, 64, 56, 3, 1, 1),
                     ("resnet18 3×3 256→256 @14", 256, 256, 14, 3, 1, 1),
                     ("mobilenet_v2 depthwise 144 @56 s2", 144, 144, 56, 3, 2, 144),
                     ("mobilenet_v2 pointwise 32→192 @28", 32, 192, 28, 1, 1, 1),
                 })
        {
            var layer = new Ignis.Nn.Conv2d(cin, cout, k, stride: stride, padding: k / 2, groups: groups, bias: false);
            var input = Torch.Randn(4, cin, hw, hw);
            double ms = Median(() =>
            {
                layer.ZeroGrad();
                layer.Forward(input).Sum().Backward();
                return input;
            });
            conv.AddRow(name, ms.ToString("F2"));
        }
        console.Write(conv);
        return 0;
    }

    static double Median(Func<Tensor> f)
    {
        for (int i = 0; i < 2; i++) f();
        var times = new double[5];
        for (int i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            f();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[2];
    }
}
