using System.Globalization;

namespace Ignis.Optim;

/// <summary>Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay (<c>torch.optim.SGD</c>).</summary>
public sealed class SGD : Optimizer
{
    /// <summary>Creates SGD over one parameter group.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)) { }

    /// <summary>Creates SGD over several groups; group options override these defaults.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)) { }

    static Dictionary<string, object> Defaults(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        Check(lr >= 0, $"Invalid learning rate: {Py.Repr(lr)}");
        Check(momentum >= 0, $"Invalid momentum value: {Py.Repr(momentum)}");
        Check(weightDecay >= 0, $"Invalid weight_decay value: {Py.Repr(weightDecay)}");
        Check(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening");
        return new() { ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay, ["nesterov"] = nesterov, ["maximize"] = maximize };
    }

    /// <inheritdoc/>
    protected override void StepGroup(ParamGroup g)
    {
        double lr = g.Lr, momentum = g.Double("momentum"), dampening = g.Double("dampening"), wd = g.Double("weight_decay");
        bool nesterov = g.Bool("nesterov"), maximize = g.Bool("maximize");
        foreach (var p in g.Params)
        {
            if (p.Grad is not { } grad) continue;
            if (Fused(p, grad, lr, momentum, dampening, wd, nesterov, maximize)) continue;
            var d = maximize ? grad.Neg() : grad;
            if (wd != 0) d = d.Add(p, wd);
            if (momentum != 0)
            {
                var state = StateOf(p);
                if (!state.TryGetValue("momentum_buffer", out var b)) state["momentum_buffer"] = b = d.Clone().DetachFromDisposeScope();
                else ((Tensor)b).Mul_(momentum).Add_(d, 1 - dampening);
                var buf = (Tensor)b;
                d = nesterov ? d.Add(buf, momentum) : buf;
            }
            p.Add_(d, -lr);
        }
    }

    // One kernel per parameter where the backend has a fused update (the GPU backends); it rounds as the ops above do.
    bool Fused(Tensor p, Tensor grad, double lr, double momentum, double dampening, double wd, bool nesterov, bool maximize)
    {
        if (p.DType.Kind is not (ScalarType.Float32 or ScalarType.Float64) || grad.DType != p.DType || grad.Device != p.Device || !p.IsContiguous
            || !grad.IsContiguous || !grad.Shape.SequenceEqual(p.Shape))
            return false;
        Tensor? buf = null;
        bool first = false;
        var state = momentum != 0 ? StateOf(p) : null;
        if (state is not null)
        {
            if (state.TryGetValue("momentum_buffer", out var b)) buf = (Tensor)b;
            else { first = true; buf = Torch.EmptyLike(p).DetachFromDisposeScope(); }
            if (!buf.IsContiguous || buf.DType != p.DType) return false;
        }
        if (!p.Backend.TrySgdStep(p, grad, buf, new Backends.SgdHyper(lr, momentum, dampening, wd, nesterov, maximize, first)))
        {
            if (first) buf!.Dispose();
            return false;
        }
        if (first) state!["momentum_buffer"] = buf!;
        p.storage.BumpVersion();
        return true;
    }
}

/// <summary>Adam (<c>torch.optim.Adam</c>), through the fused single-pass update kernel.</summary>
public class Adam : Optimizer
{
    /// <summary>Creates Adam over one parameter group.</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Creates Adam over several groups; group options override these defaults.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, Defaults(lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize)) { }

    private protected virtual bool Decoupled => false;

    private protected static Dictionary<string, object> Defaults(double lr, (double, double) betas, double eps, double weightDecay, bool amsgrad, bool maximize)
    {
        Check(lr >= 0, $"Invalid learning rate: {Py.Repr(lr)}");
        Check(eps >= 0, $"Invalid epsilon value: {Py.Repr(eps)}");
        Check(betas.Item1 >= 0 && betas.Item1 < 1, $"Invalid beta parameter at index 0: {Py.Repr(betas.Item1)}");
        Check(betas.Item2 >= 0 && betas.Item2 < 1, $"Invalid beta parameter at index 1: {Py.Repr(betas.Item2)}");
        Check(weightDecay >= 0, $"Invalid weight_decay value: {Py.Repr(weightDecay)}");
        return new() { ["lr"] = lr, ["betas"] = betas, ["eps"] = eps, ["weight_decay"] = weightDecay, ["amsgrad"] = amsgrad, ["maximize"] = maximize };
    }

    /// <inheritdoc/>
    protected override void StepGroup(ParamGroup g)
    {
        var (b1, b2) = g.Betas;
        bool amsgrad = g.Bool("amsgrad"), maximize = g.Bool("maximize");
        foreach (var p in g.Params)
        {
            if (p.Grad is not { } grad) continue;
            var state = StateOf(p);
            if (!state.ContainsKey("exp_avg"))
            {
                using var outlivesStep = DisposeScope.Suspend(); // optimizer state outlives any step's dispose scope
                state["exp_avg"] = Torch.ZerosLike(p);
                state["exp_avg_sq"] = Torch.ZerosLike(p);
                if (amsgrad) state["max_exp_avg_sq"] = Torch.ZerosLike(p);
            }
            long step = IncrementStep(state);
            Functional.AdamStep(p, maximize ? grad.Neg() : grad, (Tensor)state["exp_avg"], (Tensor)state["exp_avg_sq"], step,
                g.Lr, b1, b2, g.Double("eps"), g.Double("weight_decay"), Decoupled,
                amsgrad ? (Tensor)state["max_exp_avg_sq"] : null);
        }
    }
}

/// <summary>Adam with decoupled weight decay (<c>torch.optim.AdamW</c>; weight decay 0.01 by default).</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW over one parameter group.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Creates AdamW over several groups.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, maximize) { }

    private protected override bool Decoupled => true;
}

/// <summary>RMSprop (<c>torch.optim.RMSprop</c>): lr 0.01, alpha 0.99, eps 1e-8, optional momentum and centring.</summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates RMSprop over one parameter group.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)) { }

    /// <summary>Creates RMSprop over several groups.</summary>
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)) { }

    static Dictionary<string, object> Defaults(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
    {
        Check(lr >= 0, $"Invalid learning rate: {Py.Repr(lr)}");
        Check(eps >= 0, $"Invalid epsilon value: {Py.Repr(eps)}");
        Check(momentum >= 0, $"Invalid momentum value: {Py.Repr(momentum)}");
        Check(weightDecay >= 0, $"Invalid weight_decay value: {Py.Repr(weightDecay)}");
        Check(alpha >= 0, $"Invalid alpha value: {Py.Repr(alpha)}");
        return new() { ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum"] = momentum, ["centered"] = centered, ["maximize"] = maximize };
    }

    /// <inheritdoc/>
    protected override void StepGroup(ParamGroup g)
    {
        double lr = g.Lr, alpha = g.Double("alpha"), eps = g.Double("eps"), wd = g.Double("weight_decay"), momentum = g.Double("momentum");
        bool centered = g.Bool("centered"), maximize = g.Bool("maximize");
        foreach (var p in g.Params)
        {
            if (p.Grad is not { } grad) continue;
            if (maximize) grad = grad.Neg();
            var state = StateOf(p);
            if (!state.ContainsKey("square_avg"))
            {
                using var outlivesStep = DisposeScope.Suspend(); // optimizer state outlives any step's dispose scope
                state["square_avg"] = Torch.ZerosLike(p);
                if (momentum > 0) state["momentum_buffer"] = Torch.ZerosLike(p);
                if (centered) state["grad_avg"] = Torch.ZerosLike(p);
            }
            IncrementStep(state);
            if (wd != 0) grad = grad.Add(p, wd);
            var squareAvg = (Tensor)state["square_avg"];
            squareAvg.Mul_(alpha).Add_(grad.Mul(grad), 1 - alpha);
            Tensor avg;
            if (centered)
            {
                var gradAvg = (Tensor)state["grad_avg"];
                gradAvg.Mul_(alpha).Add_(grad, 1 - alpha);
                avg = squareAvg.Sub(gradAvg.Mul(gradAvg)).Sqrt().Add(eps);
            }
            else avg = squareAvg.Sqrt().Add(eps);
            if (momentum > 0)
            {
                var buf = (Tensor)state["momentum_buffer"];
                buf.Mul_(momentum).Add_(grad.Div(avg));
                p.Add_(buf, -lr);
            }
            else p.Add_(grad.Div(avg), -lr);
        }
    }
}
