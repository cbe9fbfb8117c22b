using Ignis.Backends;

namespace Ignis.Optim;

/// <summary>Functional optimizer updates (<c>torch.optim._functional</c>): the fused kernels optimizer classes call.</summary>
public static class Functional
{
    /// <summary>
    /// One Adam (or, with <paramref name="decoupledWeightDecay"/>, AdamW) update of <paramref name="param"/> in place,
    /// with PyTorch 1.13's arithmetic. <paramref name="step"/> is the 1-based step count after this update.
    /// </summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step, double lr = 1e-3,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool decoupledWeightDecay = false,
        Tensor? maxExpAvgSq = null)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), "step counts from 1");
        foreach (var (t, name) in new[] { (grad, "grad"), (expAvg, "exp_avg"), (expAvgSq, "exp_avg_sq"), (maxExpAvgSq, "max_exp_avg_sq") })
        {
            if (t is null) continue;
            if (!t.Shape.SequenceEqual(param.Shape)) throw new ArgumentException($"{name} has shape {Tensor.ShapeStr(t.Shape)} but the parameter has {Tensor.ShapeStr(param.Shape)}");
            if (t.DType != param.DType) throw new ArgumentException($"{name} is {t.DType.TorchName()} but the parameter is {param.DType.TorchName()}");
            if (t.Device != param.Device) throw new ArgumentException($"{name} is on {t.Device} but the parameter is on {param.Device}");
        }
        if (!param.IsContiguous || !expAvg.IsContiguous || !expAvgSq.IsContiguous || maxExpAvgSq is { IsContiguous: false })
            throw new ArgumentException("Adam state and parameters must be contiguous");
        param.Backend.AdamStep(param, grad.ContiguousRaw(), expAvg, expAvgSq, maxExpAvgSq,
            new AdamHyper(lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, maxExpAvgSq is not null, step));
        // One in-place update, as torch.optim's addcdiv_ on the parameter: a graph that saved it sees the new version.
        param.storage.BumpVersion();
    }
}
