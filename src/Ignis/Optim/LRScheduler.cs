namespace Ignis.Optim;

/// <summary>
/// Base class of epoch-based learning-rate schedules (<c>torch.optim.lr_scheduler.LRScheduler</c>): construction records
/// each group's <c>initial_lr</c> and applies step 0; each <see cref="Step"/> advances one epoch with PyTorch's
/// recursive ("chainable") formulas, so schedules compose with other changes to the rates.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/>; <paramref name="lastEpoch"/> −1 starts fresh.</summary>
    protected LRScheduler(Optimizer optimizer, int lastEpoch = -1)
    {
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups)
        {
            if (lastEpoch == -1) g.Options.TryAdd("initial_lr", g.Lr);
            else if (!g.Options.ContainsKey("initial_lr"))
                throw new KeyNotFoundException("param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer");
        }
        BaseLrs = optimizer.ParamGroups.Select(g => g.Double("initial_lr")).ToArray();
        LastEpoch = lastEpoch;
    }

    /// <summary>Call at the end of a derived constructor: PyTorch's initial step to epoch 0.</summary>
    protected void InitialStep() => Step();

    /// <summary>The scheduled optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's starting rate (<c>base_lrs</c>).</summary>
    public double[] BaseLrs { get; }

    /// <summary>Index of the current epoch (<c>last_epoch</c>); 0 after construction.</summary>
    public int LastEpoch { get; protected set; }

    /// <summary>The rates set by the latest step (<c>get_last_lr()</c>).</summary>
    public double[] GetLastLr() => lastLr.ToArray();
    double[] lastLr = [];

    /// <summary>Advances one epoch and sets each group's rate.</summary>
    public void Step()
    {
        LastEpoch++;
        var values = ComputeLr();
        for (int i = 0; i < values.Length; i++) Optimizer.ParamGroups[i].Lr = values[i];
        lastLr = values;
    }

    /// <summary>The rates for <see cref="LastEpoch"/>, from the groups' current rates (<c>get_lr</c>).</summary>
    protected abstract double[] ComputeLr();

    /// <summary>Current rate of each group.</summary>
    protected double[] GroupLrs => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();
}

/// <summary>Multiplies the rate by gamma every stepSize epochs (<c>StepLR</c>).</summary>
public sealed class StepLR : LRScheduler
{
    readonly int stepSize; readonly double gamma;
    /// <summary>Creates the schedule.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    { this.stepSize = stepSize; this.gamma = gamma; InitialStep(); }
    /// <inheritdoc/>
    protected override double[] ComputeLr() =>
        LastEpoch == 0 || LastEpoch % stepSize != 0 ? GroupLrs : GroupLrs.Select(l => l * gamma).ToArray();
}

/// <summary>Multiplies the rate by gamma at each milestone epoch (<c>MultiStepLR</c>).</summary>
public sealed class MultiStepLR : LRScheduler
{
    readonly int[] milestones; readonly double gamma;
    /// <summary>Creates the schedule.</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    { this.milestones = milestones.ToArray(); this.gamma = gamma; InitialStep(); }
    /// <inheritdoc/>
    protected override double[] ComputeLr()
    {
        int count = milestones.Count(m => m == LastEpoch);
        return count == 0 ? GroupLrs : GroupLrs.Select(l => l * Math.Pow(gamma, count)).ToArray();
    }
}

/// <summary>Multiplies the rate by gamma every epoch (<c>ExponentialLR</c>).</summary>
public sealed class ExponentialLR : LRScheduler
{
    readonly double gamma;
    /// <summary>Creates the schedule.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1) : base(optimizer, lastEpoch) { this.gamma = gamma; InitialStep(); }
    /// <inheritdoc/>
    protected override double[] ComputeLr() => LastEpoch == 0 ? GroupLrs : GroupLrs.Select(l => l * gamma).ToArray();
}

/// <summary>Cosine annealing from the base rate to etaMin over tMax epochs (<c>CosineAnnealingLR</c>, recursive form).</summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    readonly int tMax; readonly double etaMin;
    /// <summary>Creates the schedule.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, int lastEpoch = -1) : base(optimizer, lastEpoch)
    { this.tMax = tMax; this.etaMin = etaMin; InitialStep(); }
    /// <inheritdoc/>
    protected override double[] ComputeLr()
    {
        var lrs = GroupLrs;
        if (LastEpoch == 0) return lrs;
        if ((LastEpoch - 1 - tMax) % (2 * tMax) == 0)
            return lrs.Select((l, i) => l + (BaseLrs[i] - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2).ToArray();
        return lrs.Select(l => (1 + Math.Cos(Math.PI * LastEpoch / tMax)) / (1 + Math.Cos(Math.PI * (LastEpoch - 1) / tMax)) * (l - etaMin) + etaMin).ToArray();
    }
}

/// <summary>Scales the rate linearly from startFactor to endFactor over totalIters epochs (<c>LinearLR</c>).</summary>
public sealed class LinearLR : LRScheduler
{
    readonly double start, end; readonly int totalIters;
    /// <summary>Creates the schedule.</summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (startFactor > 1 || startFactor <= 0) throw new ArgumentException("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        if (endFactor > 1 || endFactor < 0) throw new ArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        start = startFactor; end = endFactor; this.totalIters = totalIters; InitialStep();
    }
    /// <inheritdoc/>
    protected override double[] ComputeLr()
    {
        if (LastEpoch == 0) return GroupLrs.Select(l => l * start).ToArray();
        if (LastEpoch > totalIters) return GroupLrs;
        return GroupLrs.Select(l => l * (1 + (end - start) / (totalIters * start + (LastEpoch - 1) * (end - start)))).ToArray();
    }
}

/// <summary>
/// The one-cycle policy (<c>OneCycleLR</c>): warm up from max_lr/divFactor to max_lr, then anneal to
/// initial/finalDivFactor, cycling momentum (or Adam's β1) inversely. Step it once per batch.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    readonly (double End, string Lr0, string Lr1, string M0, string M1)[] phases;
    readonly int totalSteps;
    readonly bool cos, cycleMomentum, useBeta1;

    /// <summary>Creates the schedule over <paramref name="totalSteps"/> steps (or epochs × stepsPerEpoch).</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false, int lastEpoch = -1)
        : base(Prepare(optimizer, maxLr, divFactor, finalDivFactor, cycleMomentum, baseMomentum, maxMomentum, lastEpoch), lastEpoch)
    {
        if (totalSteps is int t)
        {
            if (t <= 0) throw new ArgumentException($"Expected positive integer total_steps, but got {t}");
            this.totalSteps = t;
        }
        else if (epochs is int e && stepsPerEpoch is int s)
        {
            if (e <= 0) throw new ArgumentException($"Expected positive integer epochs, but got {e}");
            if (s <= 0) throw new ArgumentException($"Expected positive integer steps_per_epoch, but got {s}");
            this.totalSteps = e * s;
        }
        else throw new ArgumentException("You must define either total_steps OR (epochs AND steps_per_epoch)");
        if (pctStart < 0 || pctStart > 1) throw new ArgumentException($"Expected float between 0 and 1 pct_start, but got {Py.Repr(pctStart)}");
        if (annealStrategy is not ("cos" or "linear")) throw new ArgumentException($"anneal_strategy must by one of 'cos' or 'linear', instead got {annealStrategy}");
        cos = annealStrategy == "cos";
        this.cycleMomentum = cycleMomentum;
        useBeta1 = optimizer.ParamGroups[0].Options.ContainsKey("betas");
        double n = this.totalSteps;
        phases = threePhase
            ? [(pctStart * n - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
               (2 * pctStart * n - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
               (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
            : [(pctStart * n - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
               (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")];
        InitialStep();
    }

    static Optimizer Prepare(Optimizer optimizer, double maxLr, double divFactor, double finalDivFactor, bool cycleMomentum,
        double baseMomentum, double maxMomentum, int lastEpoch)
    {
        foreach (var g in optimizer.ParamGroups)
        {
            if (lastEpoch == -1)
            {
                double initial = maxLr / divFactor;
                g.Options["initial_lr"] = initial;
                g.Options["max_lr"] = maxLr;
                g.Options["min_lr"] = initial / finalDivFactor;
            }
            if (!cycleMomentum) continue;
            bool beta = g.Options.ContainsKey("betas");
            if (!beta && !g.Options.ContainsKey("momentum"))
                throw new ArgumentException("optimizer must support momentum with `cycle_momentum` option enabled");
            if (lastEpoch == -1)
            {
                if (beta) g.Betas = (maxMomentum, g.Betas.Item2); else g.Options["momentum"] = maxMomentum;
                g.Options["max_momentum"] = maxMomentum;
                g.Options["base_momentum"] = baseMomentum;
            }
        }
        return optimizer;
    }

    double Anneal(double start, double end, double pct) =>
        cos ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;

    /// <inheritdoc/>
    protected override double[] ComputeLr()
    {
        int step = LastEpoch;
        if (step > totalSteps)
            throw new InvalidOperationException($"Tried to step {step} times. The specified number of total steps is {totalSteps}");
        var lrs = new double[Optimizer.ParamGroups.Count];
        for (int gi = 0; gi < lrs.Length; gi++)
        {
            var g = Optimizer.ParamGroups[gi];
            double startStep = 0, lr = 0, mom = 0;
            for (int i = 0; i < phases.Length; i++)
            {
                var ph = phases[i];
                if (step <= ph.End || i == phases.Length - 1)
                {
                    double pct = (step - startStep) / (ph.End - startStep);
                    lr = Anneal(g.Double(ph.Lr0), g.Double(ph.Lr1), pct);
                    if (cycleMomentum) mom = Anneal(g.Double(ph.M0), g.Double(ph.M1), pct);
                    break;
                }
                startStep = ph.End;
            }
            lrs[gi] = lr;
            if (cycleMomentum)
            {
                if (useBeta1) g.Betas = (mom, g.Betas.Item2); else g.Options["momentum"] = mom;
            }
        }
        return lrs;
    }
}

/// <summary>Cuts the rate by factor when a metric stops improving for patience epochs (<c>ReduceLROnPlateau</c>).</summary>
public sealed class ReduceLROnPlateau
{
    readonly Optimizer optimizer;
    readonly string mode, thresholdMode;
    readonly double factor, threshold, eps;
    readonly int patience, cooldown;
    readonly double[] minLrs;
    int cooldownCounter, numBadEpochs;

    /// <summary>Creates the scheduler; mode "min" or "max", thresholdMode "rel" or "abs".</summary>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        if (factor >= 1.0) throw new ArgumentException("Factor should be < 1.0.");
        if (mode is not ("min" or "max")) throw new ArgumentException($"mode {mode} is unknown!");
        if (thresholdMode is not ("rel" or "abs")) throw new ArgumentException($"threshold mode {thresholdMode} is unknown!");
        this.optimizer = optimizer; this.mode = mode; this.factor = factor; this.patience = patience; this.threshold = threshold;
        this.thresholdMode = thresholdMode; this.cooldown = cooldown; this.eps = eps;
        minLrs = Enumerable.Repeat(minLr, optimizer.ParamGroups.Count).ToArray();
        Best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Best metric seen.</summary>
    public double Best { get; private set; }

    /// <summary>Epochs counted so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Current rate of each group.</summary>
    public double[] GetLastLr() => optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Records the epoch's <paramref name="metric"/> and reduces the rates when it has plateaued.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric)) { Best = metric; numBadEpochs = 0; }
        else numBadEpochs++;
        if (cooldownCounter > 0) { cooldownCounter--; numBadEpochs = 0; }
        if (numBadEpochs > patience)
        {
            for (int i = 0; i < optimizer.ParamGroups.Count; i++)
            {
                var g = optimizer.ParamGroups[i];
                double old = g.Lr, lr = Math.Max(old * factor, minLrs[i]);
                if (old - lr > eps) g.Lr = lr;
            }
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
    }

    bool IsBetter(double a) => (mode, thresholdMode) switch
    {
        ("min", "rel") => a < Best * (1 - threshold),
        ("min", _) => a < Best - threshold,
        ("max", "rel") => a > Best * (threshold + 1),
        _ => a > Best + threshold,
    };
}
