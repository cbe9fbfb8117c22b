using System.CommandLine;
using Ignis.Cli;
using Ignis.Cli.Bench;
using Ignis.Cli.Demo;
using Ignis.Cli.Doctor;
using Ignis.Cli.Train;

return await Cli.Build().Parse(args).InvokeAsync();

namespace Ignis.Cli
{
    /// <summary>The <c>ignis</c> command tree (System.CommandLine): doctor, demo, bench, train.</summary>
    internal static class Cli
    {
        public static RootCommand Build(IDoctorProbes? probes = null, TextWriter? output = null)
        {
            var root = new RootCommand("Ignis: PyTorch-style deep learning in pure C#. Is this machine ready, and how fast is it?");

            var json = new Option<bool>("--json") { Description = "Print the report as JSON (schema: docs/doctor.schema.json)." };
            var noSmoke = new Option<bool>("--no-smoke") { Description = "Skip the per-device smoke tests." };
            var doctor = new Command("doctor", "What this machine can run (CPU SIMD path, NVIDIA driver and CUDA libraries, OpenCL devices, emulation), " +
                "one verdict per device with the exact fix, and a smoke test on each usable device.") { json, noSmoke };
            doctor.SetAction(p => Guard(output, () => DoctorCommand.Run(probes ?? new SystemProbes(), p.GetValue(json), !p.GetValue(noSmoke), output ?? Console.Out)));
            root.Subcommands.Add(doctor);

            var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
            var seed = new Option<long>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
            var outDir = new Option<string>("--out") { Description = "Where the trained model is saved.", DefaultValueFactory = _ => "ignis-demo" };
            var device = new Option<string>("--device") { Description = "cpu, opencl[:N], cuda[:N] or auto (the best usable device).", DefaultValueFactory = _ => "auto" };
            var demo = new Command("demo", "Trains the Keras quick-start MLP on the MNIST sample that ships with Ignis (no download), " +
                "with a live progress bar; prints test accuracy, a few digits drawn in ASCII with their predictions, and where the model was saved.")
                { epochs, seed, outDir, device };
            demo.SetAction(p => Guard(output, () => DemoCommand.Run(p.GetValue(epochs), p.GetValue(seed), p.GetValue(outDir)!, p.GetValue(device)!, output ?? Console.Out)));
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
            bench.SetAction(p => Guard(output, () => BenchCommand.Run(new BenchArgs(p.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                p.GetValue(imageSize), p.GetValue(images), p.GetValue(batch), p.GetValue(benchEpochs), p.GetValue(devices), p.GetValue(benchOut)!, p.GetValue(ops)),
                probes ?? new SystemProbes(), output ?? Console.Out)));
            root.Subcommands.Add(bench);
            var tModel = new Option<string>("--model") { Description = "mlp, cnn or a torchvision model (resnet18, mobilenet_v2, …).", DefaultValueFactory = _ => "mlp" };
            var tData = new Option<string>("--data") { Description = "mnist-sample, fashion-mnist, cifar10 (with --data-root) or a folder with train/ and val/ class folders.", DefaultValueFactory = _ => "mnist-sample" };
            var tRoot = new Option<string?>("--data-root") { Description = "Where the dataset's files are (default: the bundled sample, Debian's Fashion-MNIST)." };
            var tEpochs = new Option<int>("--epochs") { Description = "Total epochs (with --resume: up to this many).", DefaultValueFactory = _ => 5 };
            var tBatch = new Option<int>("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
            var tLr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
            var tOpt = new Option<string>("--optimizer") { Description = "adam, adamw or sgd (momentum 0.9).", DefaultValueFactory = _ => "adam" };
            var tDevice = new Option<string>("--device") { Description = "cpu, opencl[:N], cuda[:N] or auto.", DefaultValueFactory = _ => "auto" };
            var tOut = new Option<string>("--out") { Description = "Folder for checkpoint.pth and metrics.csv.", DefaultValueFactory = _ => "ignis-train" };
            var tSeed = new Option<long>("--seed") { Description = "Random seed (weights, dropout, data order).", DefaultValueFactory = _ => 0 };
            var tResume = new Option<bool>("--resume") { Description = "Continue from --out/checkpoint.pth exactly where it stopped." };
            var tSize = new Option<int>("--image-size") { Description = "Image side for torchvision models.", DefaultValueFactory = _ => 32 };
            var train = new Command("train", "Trains a model with progress bars, validation each epoch, an atomic checkpoint per epoch, a metrics CSV, " +
                "and --resume that continues bit-exactly. Ctrl-C stops cleanly.") { tModel, tData, tRoot, tEpochs, tBatch, tLr, tOpt, tDevice, tOut, tSeed, tResume, tSize };
            train.SetAction((p, token) => Task.FromResult(Guard(output, () => TrainCommand.Run(new TrainArgs(p.GetValue(tModel)!, p.GetValue(tData)!, p.GetValue(tRoot),
                p.GetValue(tEpochs), p.GetValue(tBatch), p.GetValue(tLr), p.GetValue(tOpt)!, p.GetValue(tDevice)!, p.GetValue(tOut)!, p.GetValue(tSeed),
                p.GetValue(tResume), p.GetValue(tSize)), output ?? Console.Out, token))));
            root.Subcommands.Add(train);
            return root;
        }

        /// <summary>
        /// Runs a command; a problem with the user's input, files or machine prints one clear line (exit code 1)
        /// instead of a stack trace. Bugs still surface as exceptions.
        /// </summary>
        static int Guard(TextWriter? output, Func<int> run)
        {
            try { return run(); }
            // IOException covers corrupt checkpoints (UnpicklingException); InvalidOperationException covers an unusable device.
            catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or IOException
                or UnauthorizedAccessException)
            {
                (output ?? Console.Error).WriteLine($"error: {e.Message}");
                return 1;
            }
        }
    }
}
