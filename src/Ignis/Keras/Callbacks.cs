using Ignis.Nn;

namespace Ignis.Keras;

/// <summary>What <c>Fit</c> returns: each metric's value per epoch (<c>History.history</c>), e.g. "loss", "accuracy", "val_loss".</summary>
public sealed class History
{
    /// <summary>Metric name → one value per completed epoch.</summary>
    public Dictionary<string, List<double>> Values { get; } = new();

    /// <summary>Epochs completed (may be fewer than requested after early stopping).</summary>
    public int Epochs => Values.Count == 0 ? 0 : Values.First().Value.Count;

    /// <summary>The values of <paramref name="metric"/>.</summary>
    public IReadOnlyList<double> this[string metric] => Values[metric];

    internal void Add(IReadOnlyDictionary<string, double> logs)
    {
        foreach (var (k, v) in logs)
        {
            if (!Values.TryGetValue(k, out var list)) Values[k] = list = [];
            list.Add(v);
        }
    }
}

/// <summary>Hooks into <c>Fit</c> (<c>keras.callbacks.Callback</c>). Logs hold running means of loss and metrics.</summary>
public abstract class Callback
{
    /// <summary>The model being trained.</summary>
    public Sequential? Model { get; internal set; }

    /// <summary>Before the first epoch: the number of epochs and of batches per epoch.</summary>
    public virtual void OnTrainBegin(int epochs, int stepsPerEpoch) { }
    /// <summary>At the start of each epoch (0-based).</summary>
    public virtual void OnEpochBegin(int epoch) { }
    /// <summary>After each batch (0-based) with the epoch's running logs and throughput in samples per second.</summary>
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) { }
    /// <summary>After each epoch with its final logs (including validation metrics).</summary>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }
    /// <summary>After training.</summary>
    public virtual void OnTrainEnd(History history) { }

    /// <summary>Set to stop training after the current epoch (<c>model.stop_training</c>).</summary>
    public bool StopTraining { get; protected set; }
}

/// <summary>Receives training progress; the CLI draws bars with it. The library itself prints nothing unless given one.</summary>
public interface ITrainingProgress
{
    /// <summary>An epoch (1-based) of <paramref name="epochs"/> starts with <paramref name="steps"/> batches.</summary>
    void EpochStarted(int epoch, int epochs, int steps);
    /// <summary>A batch (1-based) finished.</summary>
    void BatchEnded(int step, int steps, IReadOnlyDictionary<string, double> logs, double samplesPerSecond);
    /// <summary>An epoch finished.</summary>
    void EpochEnded(int epoch, IReadOnlyDictionary<string, double> logs, TimeSpan elapsed);
}

/// <summary>Forwards callback events to an <see cref="ITrainingProgress"/>.</summary>
public sealed class ProgressCallback(ITrainingProgress progress) : Callback
{
    int epochs, steps, epoch;
    DateTime start;
    /// <inheritdoc/>
    public override void OnTrainBegin(int epochs, int stepsPerEpoch) { this.epochs = epochs; steps = stepsPerEpoch; }
    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch) { this.epoch = epoch; start = DateTime.UtcNow; progress.EpochStarted(epoch + 1, epochs, steps); }
    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) => progress.BatchEnded(batch + 1, steps, logs, samplesPerSecond);
    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => progress.EpochEnded(epoch + 1, logs, DateTime.UtcNow - start);
}

/// <summary>Keras-style text progress: one line per epoch (<c>verbose=2</c>) written to a <see cref="TextWriter"/>.</summary>
public sealed class ConsoleProgress(TextWriter? writer = null) : ITrainingProgress
{
    readonly TextWriter w = writer ?? Console.Out;
    int epochs;
    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int steps) => this.epochs = epochs;
    /// <inheritdoc/>
    public void BatchEnded(int step, int steps, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) { }
    /// <inheritdoc/>
    public void EpochEnded(int epoch, IReadOnlyDictionary<string, double> logs, TimeSpan elapsed) =>
        w.WriteLine(FormattableString.Invariant($"Epoch {epoch}/{epochs} - {elapsed.TotalSeconds:F1}s - ") +
                    string.Join(" - ", logs.Select(kv => FormattableString.Invariant($"{kv.Key}: {kv.Value:F4}"))));
}

/// <summary>Stops training when a monitored metric stops improving (<c>EarlyStopping</c>).</summary>
public sealed class EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, string mode = "auto", bool restoreBestWeights = false) : Callback
{
    double best;
    int wait;
    OrderedDictionary<string, Tensor>? bestWeights;
    bool Max => mode == "max" || (mode == "auto" && (monitor.EndsWith("acc") || monitor.EndsWith("accuracy")));

    /// <summary>Epoch (0-based) at which training stopped, or −1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnTrainBegin(int epochs, int stepsPerEpoch) { best = Max ? double.NegativeInfinity : double.PositiveInfinity; wait = 0; StopTraining = false; }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(monitor, out var v))
            throw new KeyNotFoundException($"Early stopping conditioned on metric `{monitor}` which is not available. Available metrics are: {string.Join(",", logs.Keys)}");
        bool improved = Max ? v - Math.Abs(minDelta) > best : v + Math.Abs(minDelta) < best;
        if (improved)
        {
            best = v;
            wait = 0;
            if (restoreBestWeights && Model is not null)
                bestWeights = new OrderedDictionary<string, Tensor>(Model.StateDict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Clone())));
            return;
        }
        if (++wait >= patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            StopTraining = true;
            if (bestWeights is not null) Model!.LoadStateDict(bestWeights);
        }
    }
}

/// <summary>Saves the model's state dict (safetensors, written atomically) after epochs, optionally only on improvement (<c>ModelCheckpoint</c>).</summary>
public sealed class ModelCheckpoint(string filePath, string monitor = "val_loss", bool saveBestOnly = false, string mode = "auto") : Callback
{
    double? best;
    bool Max => mode == "max" || (mode == "auto" && (monitor.EndsWith("acc") || monitor.EndsWith("accuracy")));

    /// <summary>Epochs (0-based) at which a file was written.</summary>
    public List<int> SavedEpochs { get; } = [];

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (saveBestOnly)
        {
            if (!logs.TryGetValue(monitor, out var v)) throw new KeyNotFoundException($"Can save best model only with {monitor} available");
            // A NaN (or infinite-wrong-way) metric never counts as an improvement: a run whose loss exploded must not
            // overwrite the last good checkpoint (Keras compares with ±inf as the starting best, which NaN never beats).
            if (double.IsNaN(v)) return;
            if (best is double b && (Max ? v <= b : v >= b)) return;
            best = v;
        }
        var path = filePath.Replace("{epoch}", (epoch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Serialization.SafeTensors.Save(Model!.StateDict(), path);
        SavedEpochs.Add(epoch);
    }
}

/// <summary>
/// Stops training at the first batch whose loss is NaN or infinite (<c>keras.callbacks.TerminateOnNaN</c>), printing
/// Keras' message; <see cref="Message"/> keeps it. <c>Fit</c> adds one unless told not to.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>Why training stopped, or null.</summary>
    public string? Message { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(int epochs, int stepsPerEpoch) { StopTraining = false; Message = null; }

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs, double samplesPerSecond)
    {
        if (StopTraining || !logs.TryGetValue("loss", out var loss) || double.IsFinite(loss)) return;
        Message = $"Batch {batch}: Invalid loss, terminating training";
        Console.WriteLine(Message);
        StopTraining = true;
    }
}
