using System.Globalization;
using Ignis;
using Ignis.Cuda;
using Ignis.GpuCheck;
using Ignis.OpenCL;

// gpucheck [--device cuda:0|opencl:N] [--no-conformance] [--no-timing] [--models resnet18,mobilenet_v2]
//          [--image-size 224] [--batch 64] [--warmup 3] [--steps 10] [--seed-benchmark] [--compare-batchnorm] [--log FILE]
// Prints the device, the conformance suite's result (exit code 1 when a case fails) and one line per timed model,
// `step MODEL SIZE BATCH MEDIAN_MS MIN_MS`, the format tools/gpucheck/torch_steps.py prints for PyTorch.
// --compare-batchnorm (CUDA) times each model again with batch norm on Ignis' kernels instead of cuDNN's and prints
// `batchnorm MODEL cudnn MS ignis MS`, the measurement CudaBackend.CudnnBatchNorm's default should follow.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CudaBackend.Register();
OpenCLBackend.Register();

string? Option(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
bool Flag(string name) => args.Contains(name);
int Number(string name, int fallback) => Option(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

Device device;
if (Option("--device") is { } d) device = Device.Parse(d);
else if (Torch.Cuda.IsAvailable()) device = new Device(DeviceType.Cuda, 0);
else
{
    Console.WriteLine($"no CUDA device: {Torch.Cuda.UnavailableReason()}");
    Console.WriteLine(CudaBackend.Diagnose());
    Console.WriteLine("(pass --device opencl:0 to check an OpenCL device instead)");
    return 2;
}

var api = device.Type == DeviceType.Cuda ? Torch.Cuda : Torch.OpenCL;
if (!api.IsAvailable())
{
    Console.WriteLine($"{device} is not available: {api.UnavailableReason()}");
    if (device.Type == DeviceType.Cuda) Console.WriteLine(CudaBackend.Diagnose());
    return 2;
}
int index = device.Index ?? 0;
var props = api.GetDeviceProperties(index);
Console.WriteLine($"device {device}: {props.Name}, {props.TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, {props.ComputeUnits} compute units");
if (device.Type == DeviceType.Cuda) Console.WriteLine(CudaBackend.Diagnose());

int status = 0;
if (!Flag("--no-conformance"))
{
    Func<IDisposable> cpuNumbers = device.Type == DeviceType.Cuda ? CudaBackend.HostSampling : OpenCLBackend.HostSampling;
    foreach (var r in Conformance.Run(device, cpuNumbers, Console.Out))
    {
        Console.WriteLine($"conformance {r.Suite}: {r.Passed}/{r.Cases} cases match PyTorch 1.13 (forward and gradients), {r.Cases - r.Passed} failed, {r.Seconds:F1} s");
        if (r.Passed != r.Cases) status = 1;
        if (Option("--log") is { } log) File.AppendAllLines(log, r.Failures.Select(f => "FAIL " + f));
    }
    ReportFallbacks(device, "conformance");
}

if (!Flag("--no-timing"))
{
    int size = Number("--image-size", 224), batch = Number("--batch", 64), warmup = Number("--warmup", 3), steps = Number("--steps", 10);
    foreach (var model in (Option("--models") ?? "resnet18,mobilenet_v2").Split(','))
    {
        try
        {
            var row = StepTiming.Time(model, device, size, batch, warmup, steps, () => api.Synchronize(index));
            Console.WriteLine($"step {row.Model} {row.ImageSize} {row.Batch} {row.MedianMs:F2} {row.MinMs:F2} (Ignis on {device}, {row.Parameters} parameters, median of {steps} after {warmup} warm-up, last loss {row.LastLoss:F4})");
            if (Flag("--compare-batchnorm") && device.Type == DeviceType.Cuda)
            {
                CudaBackend.CudnnBatchNorm = false;
                try
                {
                    var own = StepTiming.Time(model, device, size, batch, warmup, steps, () => api.Synchronize(index));
                    Console.WriteLine($"batchnorm {model} cudnn {row.MedianMs:F2} ignis {own.MedianMs:F2} (median ms per training step; faster: {(own.MedianMs < row.MedianMs ? "Ignis' kernels" : "cuDNN")})");
                }
                finally
                {
                    CudaBackend.CudnnBatchNorm = true;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One model failing (a kernel the compiler refused, say) must not cost the device session the others.
            Console.WriteLine($"failed {model}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            if (Option("--log") is { } log) File.AppendAllText(log, $"failed {model}: {e}\n");
            status = 1;
        }
    }
    ReportFallbacks(device, "timing");
}

if (Flag("--seed-benchmark"))
{
    var report = Ignis.Vision.Benchmarks.DeviceBenchmark.Run(new() { Devices = [device], Workers = 0 },
        new Progress<string>(Console.WriteLine));
    Console.WriteLine(report.ToTable());
}
return status;

static void ReportFallbacks(Device device, string phase)
{
    var fallbacks = device.Type == DeviceType.Cuda ? CudaBackend.HostFallbacks : OpenCLBackend.HostFallbacks;
    Console.WriteLine(fallbacks.Count == 0 ? $"host fallbacks during {phase}: none"
        : $"host fallbacks during {phase}: {string.Join(", ", fallbacks.OrderByDescending(f => f.Value).Select(f => $"{f.Key} ×{f.Value}"))}");
    if (device.Type == DeviceType.Cuda) CudaBackend.ResetHostFallbacks();
    else OpenCLBackend.ResetHostFallbacks();
}
