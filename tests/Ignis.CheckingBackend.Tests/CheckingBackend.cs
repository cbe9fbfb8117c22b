using Ignis;
using Ignis.Backends;

namespace Ignis.CheckingBackend.Tests;

/// <summary>Storage of the checking device: a CPU storage plus the device it pretends to live on.</summary>
public sealed class CheckedStorage(Storage inner, Device device) : Storage(device, inner.DType, inner.Length)
{
    /// <summary>The CPU storage holding the elements.</summary>
    public Storage Inner { get; } = inner;
}

/// <summary>Thrown when a primitive gives different results on a re-laid-out copy of its operands.</summary>
public sealed class LayoutMismatchException(string message) : Exception(message);

/// <summary>
/// A backend for the device <c>privateuseone</c> that proves the backend seam: written against Ignis' public types only,
/// it forwards every primitive to the CPU backend. Primitives that accept any strides run twice — on the operands as
/// given and on copies laid out with random strides, offsets and padding — and the results must agree, so a backend that
/// ignores strides, offsets or broadcasting is caught by the whole op/nn fixture suite.
/// </summary>
public sealed class CheckingBackend : IBackend
{
    readonly IBackend cpu;
    readonly Random random = new(12345);
    readonly object gate = new();

    /// <summary>The device this backend serves.</summary>
    public static readonly Device Device = new(DeviceType.PrivateUse1, 0);

    /// <summary>Wraps <paramref name="inner"/>, by default the CPU backend currently registered.</summary>
    public CheckingBackend(IBackend? inner = null) => cpu = inner ?? BackendRegistry.Get(Ignis.Device.Cpu);

    /// <summary>Primitive calls checked on a re-laid-out copy.</summary>
    public long CheckedCalls;

    /// <inheritdoc/>
    public DeviceType DeviceType => DeviceType.PrivateUse1;

    /// <inheritdoc/>
    public bool IsAvailable => true;

    /// <inheritdoc/>
    public DeviceProperties GetDeviceProperties(int index) => new("Ignis checking backend (CPU)", 0, 1);

    static Storage Inner(Storage s) => s is CheckedStorage c ? c.Inner
        : throw new InvalidOperationException($"checking backend received a storage on {s.Device}");

    static TensorView? In(TensorView? v) => v is null ? null : new TensorView(Inner(v.Storage), v.Shape, v.Strides, v.Offset);

    Storage Wrap(Storage s) => new CheckedStorage(s, Device);

    /// <inheritdoc/>
    public Storage Allocate(Device device, DType dtype, long length) => Wrap(cpu.Allocate(Ignis.Device.Cpu, dtype, length));

    /// <inheritdoc/>
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => Wrap(cpu.AllocateUninitialized(Ignis.Device.Cpu, dtype, length));

    /// <inheritdoc/>
    public Storage FromHost(Device device, Array data, DType dtype) => Wrap(cpu.FromHost(Ignis.Device.Cpu, data, dtype));

    /// <inheritdoc/>
    public Array ToHost(TensorView t) => cpu.ToHost(In(t)!);

    /// <inheritdoc/>
    public void CopyAcrossDevices(TensorView src, TensorView dst) => Copy(src, dst);

    /// <inheritdoc/>
    public void Copy(TensorView src, TensorView dst) => Checked("Copy", [src, dst], [1], v => cpu.Copy(v[0]!, v[1]!), relayout: [0, 1]);

    /// <inheritdoc/>
    public void Fill(TensorView dst, double value) => Checked("Fill", [dst], [0], v => cpu.Fill(v[0]!, value), relayout: [0]);

    /// <inheritdoc/>
    public void Unary(UnaryOp op, TensorView x, TensorView dst, double a = 0, double b = 0) =>
        Checked($"Unary {op}", [x, dst], [1], v => cpu.Unary(op, v[0]!, v[1]!, a, b), relayout: [0, 1]);

    /// <inheritdoc/>
    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView dst) =>
        Checked($"Binary {op}", [a, b, dst], [2], v => cpu.Binary(op, v[0]!, v[1]!, v[2]!), relayout: [0, 1, 2]);

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOp op, TensorView a, Scalar s, TensorView dst, bool scalarFirst) =>
        Checked($"BinaryScalar {op}", [a, dst], [1], v => cpu.BinaryScalar(op, v[0]!, s, v[1]!, scalarFirst), relayout: [0, 1]);

    /// <inheritdoc/>
    public void MaskedGrad(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst) =>
        Checked("MaskedGrad", [grad, x, dst], [2], v => cpu.MaskedGrad(v[0]!, v[1]!, lo, hi, lowerExclusive, v[2]!), relayout: [0, 1, 2]);

    /// <inheritdoc/>
    public void Where(TensorView cond, TensorView a, TensorView b, TensorView dst) =>
        Checked("Where", [cond, a, b, dst], [3], v => cpu.Where(v[0]!, v[1]!, v[2]!, v[3]!), relayout: [0, 1, 2, 3]);

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg = 0) =>
        Checked($"Reduce {op}", [x, dst, indices], [1, 2], v => cpu.Reduce(op, v[0]!, v[1]!, v[2], arg), relayout: []);

    /// <inheritdoc/>
    public void Softmax(TensorView x, TensorView dst, bool log) => Checked("Softmax", [x, dst], [1], v => cpu.Softmax(v[0]!, v[1]!, log), relayout: []);

    /// <inheritdoc/>
    public void SoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log) =>
        Checked("SoftmaxBackward", [y, gy, dst], [2], v => cpu.SoftmaxBackward(v[0]!, v[1]!, v[2]!, log), relayout: []);

    /// <inheritdoc/>
    public void Cumsum(TensorView x, TensorView dst) => Checked("Cumsum", [x, dst], [1], v => cpu.Cumsum(v[0]!, v[1]!), relayout: []);

    /// <inheritdoc/>
    public void Sort(TensorView x, TensorView values, TensorView indices, bool descending) =>
        Checked("Sort", [x, values, indices], [1, 2], v => cpu.Sort(v[0]!, v[1]!, v[2]!, descending), relayout: []);

    /// <inheritdoc/>
    public void TopK(TensorView x, int k, bool largest, TensorView values, TensorView indices) =>
        Checked("TopK", [x, values, indices], [1, 2], v => cpu.TopK(v[0]!, k, largest, v[1]!, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void MatMul(TensorView a, TensorView b, TensorView dst) =>
        Checked("MatMul", [a, b, dst], [2], v => cpu.MatMul(v[0]!, v[1]!, v[2]!), relayout: [0, 1]);

    /// <inheritdoc/>
    public void Gather(TensorView x, int dim, TensorView index, TensorView dst) =>
        Checked("Gather", [x, index, dst], [2], v => cpu.Gather(v[0]!, dim, v[1]!, v[2]!), relayout: [0, 1]);

    /// <inheritdoc/>
    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src) =>
        Checked("ScatterAdd", [dst, index, src], [0], v => cpu.ScatterAdd(v[0]!, dim, v[1]!, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void Scatter(TensorView dst, int dim, TensorView index, TensorView src) =>
        Checked("Scatter", [dst, index, src], [0], v => cpu.Scatter(v[0]!, dim, v[1]!, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void Conv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output) =>
        Checked("Conv2d", [input, weight, bias, output], [3], v => cpu.Conv2d(v[0]!, v[1]!, v[2], g, v[3]!), relayout: []);

    /// <inheritdoc/>
    public void Conv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput) =>
        Checked("Conv2dBackwardInput", [gradOutput, weight, gradInput], [2], v => cpu.Conv2dBackwardInput(v[0]!, v[1]!, g, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight) =>
        Checked("Conv2dBackwardWeight", [gradOutput, input, gradWeight], [2], v => cpu.Conv2dBackwardWeight(v[0]!, v[1]!, g, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void MaxPool2d(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices) =>
        Checked("MaxPool2d", [input, output, indices], [1, 2], v => cpu.MaxPool2d(v[0]!, g, v[1]!, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void MaxPool2dBackward(TensorView gradOutput, TensorView indices, Pool2dGeometry g, TensorView gradInput) =>
        Checked("MaxPool2dBackward", [gradOutput, indices, gradInput], [2], v => cpu.MaxPool2dBackward(v[0]!, v[1]!, g, v[2]!), relayout: []);

    /// <inheritdoc/>
    public void AvgPool2d(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output) =>
        Checked("AvgPool2d", [input, output], [1], v => cpu.AvgPool2d(v[0]!, g, countIncludePad, adaptive, v[1]!), relayout: []);

    /// <inheritdoc/>
    public void AvgPool2dBackward(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput) =>
        Checked("AvgPool2dBackward", [gradOutput, gradInput], [1], v => cpu.AvgPool2dBackward(v[0]!, g, countIncludePad, adaptive, v[1]!), relayout: []);

    /// <inheritdoc/>
    public void BatchNorm(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd) =>
        Checked("BatchNorm", [input, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd], [3, 4, 5, 6, 7],
            v => cpu.BatchNorm(v[0]!, v[1], v[2], v[3], v[4], training, momentum, eps, v[5]!, v[6]!, v[7]!), relayout: []);

    /// <inheritdoc/>
    public void BatchNormBackward(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training, double eps,
        TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias) =>
        Checked("BatchNormBackward", [gradOutput, input, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias], [5, 6, 7],
            v => cpu.BatchNormBackward(v[0]!, v[1]!, v[2], v[3]!, v[4]!, training, eps, v[5], v[6], v[7]), relayout: []);

    /// <inheritdoc/>
    public void AdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h) =>
        Checked("AdamStep", [param, grad, expAvg, expAvgSq, maxExpAvgSq], [0, 2, 3, 4], v => cpu.AdamStep(v[0]!, v[1]!, v[2]!, v[3]!, v[4], h), relayout: []);

    /// <inheritdoc/>
    public void RandomFill(TensorView dst, RandomDistribution distribution, double a, double b, Generator generator) =>
        cpu.RandomFill(In(dst)!, distribution, a, b, generator);

    /// <summary>
    /// Runs <paramref name="primitive"/> on the CPU views of the operands; when some operands may have any layout
    /// (<paramref name="relayout"/>), runs it again on copies of every operand — those re-laid-out with random strides,
    /// offsets and padding — and requires the written operands (<paramref name="written"/>) to agree.
    /// </summary>
    void Checked(string name, TensorView?[] ops, int[] written, Action<TensorView?[]> primitive, int[] relayout)
    {
        var inner = ops.Select(In).ToArray();
        if (relayout.Length == 0 || ops.Any(o => o is not null && o.Numel == 0))
        {
            primitive(inner);
            return;
        }
        // The copy runs first, from the operands' values before the primitive writes anything.
        var copies = new TensorView?[inner.Length];
        for (int i = 0; i < inner.Length; i++)
            if (inner[i] is { } v) copies[i] = relayout.Contains(i) ? Relaid(v) : Dense(v);
        primitive(copies);
        primitive(inner);
        Interlocked.Increment(ref CheckedCalls);
        foreach (int i in written)
            if (inner[i] is { } v) Compare(name, i, v, copies[i]!);
        foreach (var c in copies) c?.Storage.Dispose();
    }

    /// <summary>A contiguous copy (for operands whose layout the contract fixes).</summary>
    TensorView Dense(TensorView v)
    {
        var d = TensorView.Contiguous(cpu.AllocateUninitialized(Ignis.Device.Cpu, v.DType, v.Numel), v.Shape);
        cpu.Copy(v, d);
        return d;
    }

    /// <summary>
    /// A copy with a random layout: dimensions in a random memory order, padding between them and a random offset;
    /// broadcast (stride-0) dimensions stay broadcast.
    /// </summary>
    TensorView Relaid(TensorView v)
    {
        int nd = v.Dim;
        int[] order;
        int[] pad = new int[nd];
        long offset;
        lock (gate)
        {
            order = Enumerable.Range(0, nd).OrderBy(_ => random.Next()).ToArray();
            for (int d = 0; d < nd; d++) pad[d] = random.Next(3);
            offset = random.Next(5);
        }
        var strides = new long[nd];
        long step = 1;
        foreach (int d in order.Reverse())
        {
            if (v.Strides[d] == 0 && v.Shape[d] > 1) { strides[d] = 0; continue; }
            strides[d] = step;
            step *= v.Shape[d] + pad[d];
        }
        var storage = cpu.Allocate(Ignis.Device.Cpu, v.DType, offset + step);
        var r = new TensorView(storage, v.Shape, strides, offset);
        // Broadcast dimensions are filled from their first element (the copy reads v's own zero strides).
        var broadcastSource = new TensorView(v.Storage, v.Shape, v.Strides, v.Offset);
        if (strides.Any(s => s == 0)) cpu.Copy(Collapsed(broadcastSource, strides), Collapsed(r, strides));
        else cpu.Copy(broadcastSource, r);
        return r;
    }

    /// <summary>The view with every stride-0 dimension narrowed to size 1 (so a copy writes each element once).</summary>
    static TensorView Collapsed(TensorView v, long[] pattern)
    {
        var shape = v.Shape.ToArray();
        for (int d = 0; d < shape.Length; d++)
            if (pattern[d] == 0) shape[d] = 1;
        return new TensorView(v.Storage, shape, v.Strides, v.Offset);
    }

    void Compare(string name, int operand, TensorView expected, TensorView actual)
    {
        var e = ToDoubles(expected);
        var a = ToDoubles(actual);
        // Vectorised and strided paths may round transcendental functions differently: ULP-level slack for floats.
        double rtol = expected.DType == DType.Float64 ? 1e-12 : expected.DType.IsFloatingPoint() ? 2e-6 : 0;
        double atol = expected.DType == DType.Float64 ? 1e-14 : expected.DType.IsFloatingPoint() ? 1e-6 : 0;
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i]) : e[i] == a[i] || Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]);
            if (!ok)
                throw new LayoutMismatchException($"{name}: operand {operand} element {i} is {a[i]:R} on a re-laid-out copy but {e[i]:R} on {expected}");
        }
    }

    double[] ToDoubles(TensorView v)
    {
        var d = TensorView.Contiguous(cpu.AllocateUninitialized(Ignis.Device.Cpu, DType.Float64, v.Numel), v.Shape);
        cpu.Copy(v, d);
        var values = (double[])cpu.ToHost(d);
        d.Storage.Dispose();
        return values;
    }
}
