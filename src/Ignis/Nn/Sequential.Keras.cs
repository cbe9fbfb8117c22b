using System.Diagnostics;
using Ignis.Data;
using Ignis.Keras;
using Ignis.Optim;

namespace Ignis.Nn;

public partial class Sequential
{
    Optimizer? optimizer;
    Func<Tensor, Tensor, Tensor>? lossFn;
    string[] metrics = [];
    string lossKind = "";
    bool fromLogits;

    /// <summary>The optimizer set by <see cref="Compile(string, string, string[], bool)"/>.</summary>
    public Optimizer? Optimizer => optimizer;

    /// <summary>
    /// Configures training by name (<c>model.compile</c>): optimizer "adam", "adamw", "sgd" or "rmsprop" (torch.optim
    /// defaults; sgd and rmsprop at Keras's 0.01/0.001); loss "sparse_categorical_crossentropy",
    /// "categorical_crossentropy", "binary_crossentropy" (each honouring <paramref name="fromLogits"/>), "mse" or "mae";
    /// metrics "accuracy", "mse", "mae".
    /// </summary>
    public Sequential Compile(string optimizer, string loss, string[]? metrics = null, bool fromLogits = false) =>
        Compile(MakeOptimizer(optimizer), loss, metrics, fromLogits);

    /// <summary>Configures training with an optimizer object and a loss by name.</summary>
    public Sequential Compile(Optimizer optimizer, string loss, string[]? metrics = null, bool fromLogits = false)
    {
        this.fromLogits = fromLogits;
        lossKind = loss switch
        {
            "sparse_categorical_crossentropy" or "categorical_crossentropy" or "binary_crossentropy" => loss,
            "mse" or "mean_squared_error" => "mse",
            "mae" or "mean_absolute_error" => "mae",
            _ => throw new ArgumentException($"Unknown loss function: '{loss}'. Known: sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mse, mae"),
        };
        Func<Tensor, Tensor, Tensor> fn = lossKind switch
        {
            "sparse_categorical_crossentropy" => fromLogits ? (o, y) => Functional.CrossEntropy(o, y) : (o, y) => Functional.NllLoss(o.Clamp(1e-7, 1).Log(), y),
            "categorical_crossentropy" => fromLogits ? (o, y) => Functional.CrossEntropy(o, y) : (o, y) => o.Clamp(1e-7, 1).Log().Mul(y).Sum(1).Neg().Mean(),
            "binary_crossentropy" => fromLogits ? (o, y) => Functional.BinaryCrossEntropyWithLogits(o, y) : (o, y) => Functional.BinaryCrossEntropy(o.Clamp(1e-7, 1 - 1e-7), y),
            "mse" => (o, y) => Functional.MseLoss(o, y),
            _ => (o, y) => Functional.L1Loss(o, y),
        };
        return Compile(optimizer, fn, metrics, lossKind);
    }

    /// <summary>Configures training with an optimizer and any loss function (<c>loss(output, target)</c>).</summary>
    public Sequential Compile(Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss, string[]? metrics = null) => Compile(optimizer, loss, metrics, "custom");

    Sequential Compile(Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss, string[]? metrics, string kind)
    {
        foreach (var m in metrics ?? [])
            if (m is not ("accuracy" or "acc" or "mse" or "mae")) throw new ArgumentException($"Unknown metric function: '{m}'. Known: accuracy, mse, mae");
        this.optimizer = optimizer;
        lossFn = loss;
        lossKind = kind;
        this.metrics = (metrics ?? []).Select(m => m == "acc" ? "accuracy" : m).ToArray();
        return this;
    }

    Optim.Optimizer MakeOptimizer(string name) => name.ToLowerInvariant() switch
    {
        "adam" => new Adam(Parameters()),
        "adamw" => new AdamW(Parameters()),
        "sgd" => new SGD(Parameters(), lr: 0.01),
        "rmsprop" => new RMSprop(Parameters(), lr: 1e-3),
        _ => throw new ArgumentException($"Unknown optimizer: '{name}'. Known: adam, adamw, sgd, rmsprop"),
    };

    /// <summary>
    /// Trains on tensors (<c>model.fit</c>): <paramref name="x"/> [N, …] and targets <paramref name="y"/> [N, …], shuffled each
    /// epoch with the default generator. Returns the per-epoch history of loss and metrics (val_… with validation data).
    /// </summary>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, (Tensor X, Tensor Y)? validationData = null,
        bool shuffle = true, IEnumerable<Callback>? callbacks = null, int verbose = 0, bool terminateOnNaN = true)
    {
        var loader = new DataLoader<Tensor[]>(new TensorDataset(x, y), batchSize, shuffle);
        return Fit(loader, epochs, validationData is var (vx, vy) ? new DataLoader<Tensor[]>(new TensorDataset(vx, vy), batchSize) : null, callbacks, verbose, terminateOnNaN);
    }

    /// <summary>
    /// Trains on batches of [inputs, targets] from a data loader (or any re-enumerable batch source). Unless
    /// <paramref name="terminateOnNaN"/> is false, training stops at the first batch whose loss is NaN or infinite
    /// (a <see cref="TerminateOnNaN"/> callback, as Keras offers; the epoch's logs still reach the callbacks).
    /// </summary>
    public History Fit(IEnumerable<Tensor[]> batches, int epochs = 1, IEnumerable<Tensor[]>? validationData = null,
        IEnumerable<Callback>? callbacks = null, int verbose = 0, bool terminateOnNaN = true)
    {
        if (optimizer is null || lossFn is null) throw new InvalidOperationException("You must call `Compile()` before using the model.");
        var cbs = (callbacks ?? []).ToList();
        if (terminateOnNaN && !cbs.OfType<TerminateOnNaN>().Any()) cbs.Add(new TerminateOnNaN());
        if (verbose > 0) cbs.Add(new ProgressCallback(new ConsoleProgress()));
        foreach (var c in cbs) c.Model = this;
        int steps = batches is DataLoader<Tensor[]> dl ? dl.Count : batches.TryGetNonEnumeratedCount(out var n) ? n : -1;
        foreach (var c in cbs) c.OnTrainBegin(epochs, steps);
        var history = new History();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var c in cbs) c.OnEpochBegin(epoch);
            Train();
            var acc = new MetricSums(metrics);
            var clock = Stopwatch.StartNew();
            int batch = 0;
            foreach (var batchOnHost in batches)
            {
                var b = OnModelDevice(batchOnHost);
                optimizer.ZeroGrad();
                var output = Forward(b[0]);
                var loss = lossFn(output, b[1]);
                loss.Backward();
                optimizer.Step();
                acc.Add(loss, output, b[1], this);
                double rate = acc.Samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                foreach (var c in cbs) c.OnBatchEnd(batch, acc.Logs(""), rate);
                batch++;
                if (cbs.Any(c => c.StopTraining)) break;
            }
            var logs = acc.Logs("");
            if (validationData is not null)
                foreach (var (k, v) in EvaluateBatches(validationData)) logs["val_" + k] = v;
            history.Add(logs);
            foreach (var c in cbs) c.OnEpochEnd(epoch, logs);
            if (cbs.Any(c => c.StopTraining)) break;
        }
        foreach (var c in cbs) c.OnTrainEnd(history);
        return history;
    }

    /// <summary>Loss and metrics on held-out tensors in evaluation mode (<c>model.evaluate</c>).</summary>
    public Dictionary<string, double> Evaluate(Tensor x, Tensor y, int batchSize = 32) =>
        EvaluateBatches(new DataLoader<Tensor[]>(new TensorDataset(x, y), batchSize));

    /// <summary>Loss and metrics over batches of [inputs, targets].</summary>
    public Dictionary<string, double> EvaluateBatches(IEnumerable<Tensor[]> batches)
    {
        if (lossFn is null) throw new InvalidOperationException("You must call `Compile()` before using the model.");
        bool wasTraining = Training;
        Eval();
        try
        {
            using var _ = Torch.NoGrad();
            var acc = new MetricSums(metrics);
            foreach (var batchOnHost in batches)
            {
                var b = OnModelDevice(batchOnHost);
                var output = Forward(b[0]);
                acc.Add(lossFn(output, b[1]), output, b[1], this);
            }
            return acc.Logs("");
        }
        finally { Train(wasTraining); }
    }

    /// <summary>Outputs for <paramref name="x"/> in evaluation mode, batch by batch (<c>model.predict</c>).</summary>
    public Tensor Predict(Tensor x, int batchSize = 32)
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var _ = Torch.NoGrad();
            var parts = new List<Tensor>();
            for (long i = 0; i < x.Size(0); i += batchSize) parts.Add(Forward(OnModelDevice([x.Narrow(0, i, Math.Min(batchSize, x.Size(0) - i))])[0]));
            return Torch.Cat(parts);
        }
        finally { Train(wasTraining); }
    }

    /// <summary>Running sums of loss and metrics weighted by batch size.</summary>
    /// <summary>
    /// The batch on the device of the model's parameters (Keras places data where the model runs): after
    /// <c>model.To("opencl")</c>, host data trains on the device without a change to the Fit call.
    /// </summary>
    Tensor[] OnModelDevice(Tensor[] batch)
    {
        if (Parameters().FirstOrDefault() is not { } p) return batch;
        var device = p.Device;
        if (batch.All(t => t.Device.SameAs(device))) return batch;
        return batch.Select(t => t.Device.SameAs(device) ? t : t.To(device)).ToArray();
    }

    sealed class MetricSums(string[] metrics)
    {
        double loss;
        readonly double[] sums = new double[metrics.Length];
        public long Samples { get; private set; }

        public void Add(Tensor lossValue, Tensor output, Tensor target, Sequential model)
        {
            long n = output.Size(0);
            Samples += n;
            loss += lossValue.Item<float>() * n;
            using var _ = Torch.NoGrad();
            for (int i = 0; i < metrics.Length; i++)
                sums[i] += metrics[i] switch
                {
                    "accuracy" => model.Accuracy(output, target),
                    "mse" => output.Sub(target).Square().Mean().Item<float>() * n,
                    _ => output.Sub(target).Abs().Mean().Item<float>() * n,
                };
        }

        public Dictionary<string, double> Logs(string prefix)
        {
            var d = new Dictionary<string, double> { [prefix + "loss"] = loss / Math.Max(Samples, 1) };
            for (int i = 0; i < metrics.Length; i++) d[prefix + metrics[i]] = sums[i] / Math.Max(Samples, 1);
            return d;
        }
    }

    /// <summary>Number of correct predictions in a batch: class index targets, one-hot targets or binary outputs.</summary>
    double Accuracy(Tensor output, Tensor target)
    {
        if (target.DType == DType.Int64 && output.Dim == target.Dim + 1)
            return output.Argmax(1).Eq(target).Sum().Item<long>();
        if (output.Dim == 2 && output.Size(1) > 1 && target.Shape.SequenceEqual(output.Shape))
            return output.Argmax(1).Eq(target.Argmax(1)).Sum().Item<long>();
        // Binary: threshold probabilities at 0.5 (logits at 0); per-sample accuracy is the mean over its outputs.
        long correct = output.Gt(fromLogits ? 0.0 : 0.5).Eq(target.Gt(0.5)).Sum().Item<long>();
        return (double)correct * output.Size(0) / Math.Max(output.Numel, 1);
    }
}
