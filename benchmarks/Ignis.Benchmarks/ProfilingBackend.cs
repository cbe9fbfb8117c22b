using System.Diagnostics;
using Ignis.Backends;
using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>Wraps a backend and accumulates wall time per primitive (and per conv shape), for `profile` runs.</summary>
internal sealed class ProfilingBackend(IBackend inner) : IBackend
{
    readonly Dictionary<string, (double ms, int calls)> totals = new();

    T Time<T>(string key, Func<T> f)
    {
        var sw = Stopwatch.StartNew();
        try { return f(); }
        finally { Add(key, sw.Elapsed.TotalMilliseconds); }
    }

    void Time(string key, Action f)
    {
        var sw = Stopwatch.StartNew();
        try { f(); }
        finally { Add(key, sw.Elapsed.TotalMilliseconds); }
    }

    void Add(string key, double ms)
    {
        lock (totals)
        {
            totals.TryGetValue(key, out var t);
            totals[key] = (t.ms + ms, t.calls + 1);
        }
    }

    public void Reset() { lock (totals) totals.Clear(); }

    public void Print(int steps, int top = 25)
    {
        lock (totals)
            foreach (var (k, (ms, calls)) in totals.OrderByDescending(kv => kv.Value.ms).Take(top))
                Console.WriteLine($"  {ms / steps,8:F2} ms/step  {calls / steps,5} calls  {k}");
    }

    static string S(I.Tensor t) => "[" + string.Join(",", t.Shape) + "]";
    static string Conv(string op, I.Tensor a, I.Tensor w, Conv2dGeometry g) => $"{op} {S(a)} w{S(w)} s{g.StrideH} g{g.Groups}";

    public DeviceType DeviceType => inner.DeviceType;
    public bool IsAvailable => inner.IsAvailable;
    public Storage Allocate(Device device, DType dtype, long length) => Time("Allocate", () => inner.Allocate(device, dtype, length));
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => Time("AllocateUninitialized", () => inner.AllocateUninitialized(device, dtype, length));
    public Storage FromHost(Device device, Array data, DType dtype) => inner.FromHost(device, data, dtype);
    public Array ToHost(I.Tensor t) => Time("ToHost", () => inner.ToHost(t));
    public void Copy(I.Tensor src, I.Tensor dst) => Time("Copy", () => inner.Copy(src, dst));
    public void Fill(I.Tensor dst, double value) => Time("Fill", () => inner.Fill(dst, value));
    public void Unary(UnaryOp op, I.Tensor x, I.Tensor dst, double a = 0, double b = 0) => Time($"Unary {op}", () => inner.Unary(op, x, dst, a, b));
    public void Binary(BinaryOp op, I.Tensor a, I.Tensor b, I.Tensor dst) => Time($"Binary {op}", () => inner.Binary(op, a, b, dst));
    public void Where(I.Tensor cond, I.Tensor a, I.Tensor b, I.Tensor dst) => Time("Where", () => inner.Where(cond, a, b, dst));
    public void MaskedGrad(I.Tensor grad, I.Tensor x, double lo, double hi, bool lowerExclusive, I.Tensor dst) => Time("MaskedGrad", () => inner.MaskedGrad(grad, x, lo, hi, lowerExclusive, dst));
    public void Reduce(ReduceOp op, I.Tensor x, I.Tensor dst, I.Tensor? indices, double arg = 0) => Time($"Reduce {op}", () => inner.Reduce(op, x, dst, indices, arg));
    public void Cumsum(I.Tensor x, I.Tensor dst) => Time("Cumsum", () => inner.Cumsum(x, dst));
    public void Softmax(I.Tensor x, I.Tensor dst, bool log) => Time(log ? "LogSoftmax" : "Softmax", () => inner.Softmax(x, dst, log));
    public void SoftmaxBackward(I.Tensor y, I.Tensor gy, I.Tensor dst, bool log) => Time(log ? "LogSoftmaxBackward" : "SoftmaxBackward", () => inner.SoftmaxBackward(y, gy, dst, log));
    public void MatMul(I.Tensor a, I.Tensor b, I.Tensor dst) => Time($"MatMul {S(a)}x{S(b)}", () => inner.MatMul(a, b, dst));
    public void Gather(I.Tensor x, int dim, I.Tensor index, I.Tensor dst) => Time("Gather", () => inner.Gather(x, dim, index, dst));
    public void ScatterAdd(I.Tensor dst, int dim, I.Tensor index, I.Tensor src) => Time("ScatterAdd", () => inner.ScatterAdd(dst, dim, index, src));
    public void Conv2d(I.Tensor input, I.Tensor weight, I.Tensor? bias, Conv2dGeometry g, I.Tensor output) => Time(Conv("Conv fwd", input, weight, g), () => inner.Conv2d(input, weight, bias, g, output));
    public void Conv2dBackwardInput(I.Tensor gradOutput, I.Tensor weight, Conv2dGeometry g, I.Tensor gradInput) => Time(Conv("Conv bwd-in", gradInput, weight, g), () => inner.Conv2dBackwardInput(gradOutput, weight, g, gradInput));
    public void Conv2dBackwardWeight(I.Tensor gradOutput, I.Tensor input, Conv2dGeometry g, I.Tensor gradWeight) => Time(Conv("Conv bwd-w", input, gradWeight, g), () => inner.Conv2dBackwardWeight(gradOutput, input, g, gradWeight));
    public void MaxPool2d(I.Tensor input, Pool2dGeometry g, I.Tensor output, I.Tensor indices) => Time("MaxPool2d", () => inner.MaxPool2d(input, g, output, indices));
    public void MaxPool2dBackward(I.Tensor gradOutput, I.Tensor indices, I.Tensor gradInput) => Time("MaxPool2dBackward", () => inner.MaxPool2dBackward(gradOutput, indices, gradInput));
    public void AvgPool2d(I.Tensor input, Pool2dGeometry g, bool countIncludePad, bool adaptive, I.Tensor output) => Time("AvgPool2d", () => inner.AvgPool2d(input, g, countIncludePad, adaptive, output));
    public void AvgPool2dBackward(I.Tensor gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, I.Tensor gradInput) => Time("AvgPool2dBackward", () => inner.AvgPool2dBackward(gradOutput, g, countIncludePad, adaptive, gradInput));
    public void BatchNorm(I.Tensor input, I.Tensor? weight, I.Tensor? bias, I.Tensor? runningMean, I.Tensor? runningVar, bool training, double momentum, double eps, I.Tensor output, I.Tensor saveMean, I.Tensor saveInvStd) =>
        Time("BatchNorm", () => inner.BatchNorm(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd));
    public void BatchNormBackward(I.Tensor gradOutput, I.Tensor input, I.Tensor? weight, I.Tensor saveMean, I.Tensor saveInvStd, bool training, I.Tensor? gradInput, I.Tensor? gradWeight, I.Tensor? gradBias) =>
        Time("BatchNormBackward", () => inner.BatchNormBackward(gradOutput, input, weight, saveMean, saveInvStd, training, gradInput, gradWeight, gradBias));
    public void AdamStep(I.Tensor param, I.Tensor grad, I.Tensor expAvg, I.Tensor expAvgSq, I.Tensor? maxExpAvgSq, AdamHyper h) => Time("AdamStep", () => inner.AdamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, h));
}
