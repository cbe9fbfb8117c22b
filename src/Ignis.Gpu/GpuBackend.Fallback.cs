using System.Collections.Concurrent;
using Ignis.Backends;

namespace Ignis.Gpu;

// The host path: a primitive without a device kernel (yet, or for a dtype the device cannot compute) downloads its
// operands' storages, runs the CPU backend's kernel on them and uploads the storages it wrote. It is correct for any
// layout and aliasing (whole storages travel, so views keep their offsets and strides), slow, and always counted.
internal sealed partial class GpuBackend
{
    readonly ConcurrentDictionary<string, long> fallbacks = new();

    /// <summary>
    /// How often each primitive ran on the host instead of the device since start (or <see cref="ResetHostFallbacks"/>),
    /// keyed like <c>"Binary Remainder"</c>. Empty when every primitive ran on the device.
    /// </summary>
    public IReadOnlyDictionary<string, long> HostFallbacks => new Dictionary<string, long>(fallbacks);

    /// <summary>Clears <see cref="HostFallbacks"/>.</summary>
    public void ResetHostFallbacks() => fallbacks.Clear();

    void Fallback(string name, TensorView?[] ops, int[] written, Action<TensorView?[]> run)
    {
        fallbacks.AddOrUpdate(name, 1, (_, n) => n + 1);
        var hostOf = new Dictionary<Storage, Storage>(ReferenceEqualityComparer.Instance);
        var host = new TensorView?[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i] is not { } v) continue;
            if (!hostOf.TryGetValue(v.Storage, out var hs))
                hostOf[v.Storage] = hs = cpu.FromHost(Device.Cpu, ReadStorage(v.Storage), v.DType);
            host[i] = new TensorView(hs, v.Shape, v.Strides, v.Offset);
        }
        run(host);
        var uploaded = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        foreach (int i in written)
            if (ops[i] is { } v && uploaded.Add(v.Storage))
                WriteStorage(v.Storage, cpu.ToHost(TensorView.Contiguous(hostOf[v.Storage], [v.Storage.Length])));
        foreach (var hs in hostOf.Values) hs.Dispose();
        GC.KeepAlive(ops);
    }

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg = 0)
    {
        if (!TryReduce(op, x, dst, indices, arg))
            Fallback($"Reduce {op}", [x, dst, indices], [1, 2], v => cpu.Reduce(op, v[0]!, v[1]!, v[2], arg));
    }

    /// <inheritdoc/>
    public void Softmax(TensorView x, TensorView dst, bool log)
    {
        if (!TrySoftmax(x, dst, log)) Fallback("Softmax", [x, dst], [1], v => cpu.Softmax(v[0]!, v[1]!, log));
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log)
    {
        if (!TrySoftmaxBackward(y, gy, dst, log))
            Fallback("SoftmaxBackward", [y, gy, dst], [2], v => cpu.SoftmaxBackward(v[0]!, v[1]!, v[2]!, log));
    }

    /// <inheritdoc/>
    public void Cumsum(TensorView x, TensorView dst)
    {
        if (!TryCumsum(x, dst)) Fallback("Cumsum", [x, dst], [1], v => cpu.Cumsum(v[0]!, v[1]!));
    }

    /// <inheritdoc/>
    public void Sort(TensorView x, TensorView values, TensorView indices, bool descending)
    {
        if (!TryRankSort(x, x.Dim == 2 ? x.Shape[1] : 0, descending, values, indices))
            Fallback("Sort", [x, values, indices], [1, 2], v => cpu.Sort(v[0]!, v[1]!, v[2]!, descending));
    }

    /// <inheritdoc/>
    public void TopK(TensorView x, int k, bool largest, TensorView values, TensorView indices)
    {
        if (!TryRankSort(x, k, largest, values, indices))
            Fallback("TopK", [x, values, indices], [1, 2], v => cpu.TopK(v[0]!, k, largest, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void MatMul(TensorView a, TensorView b, TensorView dst)
    {
        if (!TryMatMul(a, b, dst)) Fallback("MatMul", [a, b, dst], [2], v => cpu.MatMul(v[0]!, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void Gather(TensorView x, int dim, TensorView index, TensorView dst)
    {
        if (!TryGather(x, dim, index, dst)) Fallback("Gather", [x, index, dst], [2], v => cpu.Gather(v[0]!, dim, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src)
    {
        if (dst.DType.IsReducedFloat() && InFloat32([dst, index, src], [0], v => ScatterAdd(v[0]!, dim, v[1]!, v[2]!))) return;
        if (!TryScatter(dst, dim, index, src, add: true))
            Fallback("ScatterAdd", [dst, index, src], [0], v => cpu.ScatterAdd(v[0]!, dim, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void Scatter(TensorView dst, int dim, TensorView index, TensorView src)
    {
        if (!TryScatter(dst, dim, index, src, add: false))
            Fallback("Scatter", [dst, index, src], [0], v => cpu.Scatter(v[0]!, dim, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void Conv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output)
    {
        if (!TryConv2d(input, weight, bias, g, output))
            Fallback("Conv2d", [input, weight, bias, output], [3], v => cpu.Conv2d(v[0]!, v[1]!, v[2], g, v[3]!));
    }

    /// <inheritdoc/>
    public void Conv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput)
    {
        if (!TryConv2dBackwardInput(gradOutput, weight, g, gradInput))
            Fallback("Conv2dBackwardInput", [gradOutput, weight, gradInput], [2], v => cpu.Conv2dBackwardInput(v[0]!, v[1]!, g, v[2]!));
    }

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight)
    {
        if (!TryConv2dBackwardWeight(gradOutput, input, g, gradWeight))
            Fallback("Conv2dBackwardWeight", [gradOutput, input, gradWeight], [2], v => cpu.Conv2dBackwardWeight(v[0]!, v[1]!, g, v[2]!));
    }

    /// <inheritdoc/>
    public void AdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h)
    {
        if (InFloat32([param, grad, expAvg, expAvgSq, maxExpAvgSq], [0, 2, 3, 4], v => AdamStep(v[0]!, v[1]!, v[2]!, v[3]!, v[4], h))) return;
        if (!TryAdamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, h))
            Fallback("AdamStep", [param, grad, expAvg, expAvgSq, maxExpAvgSq], [0, 2, 3, 4], v => cpu.AdamStep(v[0]!, v[1]!, v[2]!, v[3]!, v[4], h));
    }
}
