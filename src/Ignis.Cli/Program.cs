using System.CommandLine;
using Ignis.Cli;
using Ignis.Cli.Bench;
using Ignis.Cli.Demo;
using Ignis.Cli.Doctor;

return Cli.Build().Parse(args).Invoke();

namespace Ignis.Cli
{
    /// <summary>The <c>ignis</c> command tree (System.CommandLine): doctor, demo, bench.</summary>
    internal static class Cli
    {
        public static RootCommand Build(IDoctorProbes? probes = null, TextWriter? output = null)
        {
            var root = new RootCommand("Ignis: PyTorch-style deep learning in pure C#. Is this machine ready, and how fast is it?");

            var json = new Option<bool>("--json") { Description = "Print the report as JSON (schema: docs/doctor.schema.json)." };
            var noSmoke = new Option<bool>("--no-smoke") { Description = "Skip the per-device smoke tests." };
            var doctor = new Command("doctor", "What this machine can run (CPU SIMD path, NVIDIA driver and CUDA libraries, OpenCL devices, emulation), " +
                "one verdict per device with the exact fix, and a smoke test on each usable device.") { json, noSmoke };
            doctor.SetAction(p => DoctorCommand.Run(probes ?? new SystemProbes(), p.GetValue(json), !p.GetValue(noSmoke), output ?? Console.Out));
            root.Subcommands.Add(doctor);

            var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
            var seed = new Option<long>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
            var outDir = new Option<string>("--out") { Description = "Where the trained model is saved.", DefaultValueFactory = _ => "ignis-demo" };
            var device = new Option<string>("--device") { Description = "cpu, opencl[:N], cuda[:N] or auto (the best usable device).", DefaultValueFactory = _ => "auto" };
            var demo = new Command("demo", "Trains the Keras quick-start MLP on the MNIST sample that ships with Ignis (no download), " +
                "with a live progress bar; prints test accuracy, a few digits drawn in ASCII with their predictions, and where the model was saved.")
                { epochs, seed, outDir, device };
            demo.SetAction(p => DemoCommand.Run(p.GetValue(epochs), p.GetValue(seed), p.GetValue(outDir)!, p.GetValue(device)!, output ?? Console.Out));
            root.Subcommands.Add(demo);

            var models = new Option<string>("--models") { Description = "Comma-separated zoo models.", DefaultValueFactory = _ => string.Join(',', Ignis.Vision.Benchmarks.DeviceBenchmarkOptions.SeedModels) };
            var imageSize = new Option<int>("--image-size") { Description = "Image side in pixels.", DefaultValueFactory = _ => 224 };
            var images = new Option<int>("--images") { Description = "Synthetic images per epoch.", DefaultValueFactory = _ => 1000 };
            var batch = new Option<int>("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => 4 };
            var benchEpochs = new Option<int>("--epochs") { Description = "Epochs per model and device.", DefaultValueFactory = _ => 1 };
            var devices = new Option<string?>("--device") { Description = "Comma-separated devices (default: the CPU and every usable accelerator)." };
            var benchOut = new Option<string>("--out") { Description = "Folder for the JSON results.", DefaultValueFactory = _ => "ignis-bench" };
            var ops = new Option<bool>("--ops") { Description = "Instead: GEMM GFLOP/s and convolution-layer times on this machine." };
            var bench = new Command("bench", "The seed's CPU-vs-accelerator experiment: one training epoch per torchvision model and device, " +
                "mean epoch time and speed-up.") { models, imageSize, images, batch, benchEpochs, devices, benchOut, ops };
            bench.SetAction(p => BenchCommand.Run(new BenchArgs(p.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                p.GetValue(imageSize), p.GetValue(images), p.GetValue(batch), p.GetValue(benchEpochs), p.GetValue(devices), p.GetValue(benchOut)!, p.GetValue(ops)),
                probes ?? new SystemProbes(), output ?? Console.Out));
            root.Subcommands.Add(bench);
            return root;
        }
    }
}
