using System.Diagnostics;
using Ignis.Backends;
using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>
/// Wraps a backend and accumulates wall time and managed allocation (all threads) per primitive (and per conv shape),
/// for `profile` runs.
/// </summary>
internal sealed class ProfilingBackend(IBackend inner) : IBackend
{
    readonly Dictionary<string, (double ms, int calls, long bytes)> totals = new();

    T Time<T>(string key, Func<T> f)
    {
        long b0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        try { return f(); }
        finally { Add(key, sw.Elapsed.TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true) - b0); }
    }

    void Time(string key, Action f)
    {
        long b0 = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        try { f(); }
        finally { Add(key, sw.Elapsed.TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true) - b0); }
    }

    void Add(string key, double ms, long bytes)
    {
        lock (totals)
        {
            totals.TryGetValue(key, out var t);
            totals[key] = (t.ms + ms, t.calls + 1, t.bytes + bytes);
        }
    }

    public void Reset() { lock (totals) totals.Clear(); }

    public void Print(int steps, int top = 25)
    {
        lock (totals)
        {
            foreach (var (k, (ms, calls, bytes)) in totals.OrderByDescending(kv => kv.Value.ms).Take(top))
                Console.WriteLine($"  {ms / steps,8:F2} ms/step  {calls / steps,5} calls  {bytes / steps / 1e6,8:F1} MB/step  {k}");
            foreach (var (k, (ms, calls, bytes)) in totals.Where(kv => kv.Value.bytes / steps > 1_000_000).OrderByDescending(kv => kv.Value.bytes).Take(10))
                Console.WriteLine($"  allocating: {bytes / steps / 1e6,8:F1} MB/step  {calls / steps,5} calls  {k}");
        }
    }

    static string S(TensorView t) => "[" + string.Join(",", t.Shape.ToArray()) + "]";
    static string Conv(string op, TensorView a, TensorView w, Conv2dGeometry g) => $"{op} {S(a)} w{S(w)} s{g.StrideH} g{g.Groups}";

    public DeviceType DeviceType => inner.DeviceType;
    public bool IsAvailable => inner.IsAvailable;
    public Storage Allocate(Device device, DType dtype, long length) => Time("Allocate", () => inner.Allocate(device, dtype, length));
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => Time("AllocateUninitialized", () => inner.AllocateUninitialized(device, dtype, length));
    public Storage FromHost(Device device, Array data, DType dtype) => inner.FromHost(device, data, dtype);
    public Array ToHost(TensorView t) => Time("ToHost", () => inner.ToHost(t));
    public void Copy(TensorView src, TensorView dst) => Time(src.Numel >= 1 << 20 ? $"Copy {S(src)} strides [{string.Join(",", src.Strides.ToArray())}]" : "Copy", () => inner.Copy(src, dst));
    public void Fill(TensorView dst, double value) => Time("Fill", () => inner.Fill(dst, value));
    public void Unary(UnaryOp op, TensorView x, TensorView dst, double a = 0, double b = 0) => Time($"Unary {op}", () => inner.Unary(op, x, dst, a, b));
    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView dst) => Time(dst.Numel >= 1 << 20 ? $"Binary {op} {S(a)}{S(b)}" : $"Binary {op}", () => inner.Binary(op, a, b, dst));
    public void Where(TensorView cond, TensorView a, TensorView b, TensorView dst) => Time("Where", () => inner.Where(cond, a, b, dst));
    public void MaskedGrad(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst) => Time("MaskedGrad", () => inner.MaskedGrad(grad, x, lo, hi, lowerExclusive, dst));
    public void Reduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg = 0) => Time($"Reduce {op}", () => inner.Reduce(op, x, dst, indices, arg));
    public void Cumsum(TensorView x, TensorView dst) => Time("Cumsum", () => inner.Cumsum(x, dst));
    public void Sort(TensorView x, TensorView values, TensorView indices, bool descending) => Time("Sort", () => inner.Sort(x, values, indices, descending));
    public void TopK(TensorView x, int k, bool largest, TensorView values, TensorView indices) => Time("TopK", () => inner.TopK(x, k, largest, values, indices));
    public void Softmax(TensorView x, TensorView dst, bool log) => Time(log ? "LogSoftmax" : "Softmax", () => inner.Softmax(x, dst, log));
    public void SoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log) => Time(log ? "LogSoftmaxBackward" : "SoftmaxBackward", () => inner.SoftmaxBackward(y, gy, dst, log));
    public void MatMul(TensorView a, TensorView b, TensorView dst) => Time($"MatMul {S(a)}x{S(b)}", () => inner.MatMul(a, b, dst));
    public void Gather(TensorView x, int dim, TensorView index, TensorView dst) => Time("Gather", () => inner.Gather(x, dim, index, dst));
    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src) => Time("ScatterAdd", () => inner.ScatterAdd(dst, dim, index, src));
    public void Scatter(TensorView dst, int dim, TensorView index, TensorView src) => Time("Scatter", () => inner.Scatter(dst, dim, index, src));
    public void Conv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output) => Time(Conv("Conv fwd", input, weight, g), () => inner.Conv2d(input, weight, bias, g, output));
    public void Conv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput) => Time(Conv("Conv bwd-in", gradInput, weight, g), () => inner.Conv2dBackwardInput(gradOutput, weight, g, gradInput));
    public void Conv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight) => Time(Conv("Conv bwd-w", input, gradWeight, g), () => inner.Conv2dBackwardWeight(gradOutput, input, g, gradWeight));
    public void MaxPool2d(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices) => Time("MaxPool2d", () => inner.MaxPool2d(input, g, output, indices));
    public void MaxPool2dBackward(TensorView gradOutput, TensorView indices, Pool2dGeometry g, TensorView gradInput) => Time("MaxPool2dBackward", () => inner.MaxPool2dBackward(gradOutput, indices, g, gradInput));
    public void AvgPool2d(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output) => Time("AvgPool2d", () => inner.AvgPool2d(input, g, countIncludePad, adaptive, output));
    public void AvgPool2dBackward(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput) => Time("AvgPool2dBackward", () => inner.AvgPool2dBackward(gradOutput, g, countIncludePad, adaptive, gradInput));
    public void BatchNorm(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training, double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd) =>
        Time("BatchNorm", () => inner.BatchNorm(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd));
    public void BatchNormBackward(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training, double eps, TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias) =>
        Time("BatchNormBackward", () => inner.BatchNormBackward(gradOutput, input, weight, saveMean, saveInvStd, training, eps, gradInput, gradWeight, gradBias));
    public void AdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h) => Time("AdamStep", () => inner.AdamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, h));
}
