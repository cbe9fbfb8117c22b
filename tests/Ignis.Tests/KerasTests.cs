using Ignis;
using Ignis.Keras;
using Ignis.Nn;
using Ignis.Serialization;
using Ignis.Vision;
using Xunit;

namespace Ignis.Tests;

/// <summary>The Keras-style API: compile by name, fit with history and callbacks, evaluate, predict; safetensors checkpoints.</summary>
public class KerasTests
{
    static (Tensor X, Tensor Y, Tensor Xt, Tensor Yt) Sample()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample");
        var train = new MNIST(root);
        var test = new MNIST(root, train: false);
        return (train.Data.Narrow(0, 0, 2000).Float().Div(255.0), train.Targets.Narrow(0, 0, 2000),
                test.Data.Float().Div(255.0), test.Targets);
    }

    [Fact]
    public void Fit_learns_mnist_digits_and_reports_history()
    {
        var (x, y, xt, yt) = Sample();
        Torch.ManualSeed(1);
        var model = new Sequential(new Flatten(), new Linear(784, 64), new ReLU(), new Dropout(0.2), new Linear(64, 10));
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"], fromLogits: true);
        var recorder = new Recorder();
        var history = model.Fit(x, y, epochs: 3, batchSize: 32, validationData: (xt, yt), callbacks: [recorder]);
        Assert.Equal(3, history.Epochs);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Values.Keys);
        Assert.True(history["loss"][2] < history["loss"][0]);
        Assert.InRange(history["val_accuracy"][2], 0.85, 1.0);
        Assert.Equal(3 * 63, recorder.Batches);
        Assert.True(recorder.LastRate > 0);
        var eval = model.Evaluate(xt, yt);
        Assert.Equal(history["val_accuracy"][2], eval["accuracy"], 6);
        Assert.True(model.Training); // evaluate restores the mode
        var pred = model.Predict(xt.Narrow(0, 0, 70), batchSize: 32);
        Assert.Equal([70L, 10], pred.Shape);
        Assert.False(pred.RequiresGrad);
    }

    sealed class Recorder : Callback
    {
        public int Batches;
        public double LastRate;
        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs, double samplesPerSecond) { Batches++; LastRate = samplesPerSecond; }
    }

    [Fact]
    public void Early_stopping_and_checkpoints()
    {
        var (x, y, xt, yt) = Sample();
        Torch.ManualSeed(2);
        var model = new Sequential(new Flatten(), new Linear(784, 10));
        model.Compile(new Optim.SGD(model.Parameters(), lr: 0.0), "sparse_categorical_crossentropy", ["accuracy"], fromLogits: true);
        var dir = Directory.CreateTempSubdirectory().FullName;
        var stop = new EarlyStopping(monitor: "val_loss", patience: 1);
        var ckpt = new ModelCheckpoint(Path.Combine(dir, "model-{epoch}.safetensors"), saveBestOnly: true);
        var history = model.Fit(x, y, epochs: 10, validationData: (xt, yt), callbacks: [stop, ckpt]);
        Assert.Equal(2, history.Epochs); // lr 0: no improvement after the first epoch, patience 1
        Assert.Equal(1, stop.StoppedEpoch);
        Assert.Equal([0], ckpt.SavedEpochs);
        var loaded = SafeTensors.Load(Path.Combine(dir, "model-1.safetensors"));
        Assert.Equal(["1.weight", "1.bias"], loaded.Keys);
        Assert.True(loaded["1.weight"].Equal(((Linear)model[1]).Weight.Detach()));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    /// <summary>Targets that make the MSE loss explode: finite for the first batches, infinite, then NaN.</summary>
    static (Tensor X, Tensor Y) Exploding(int goodBatches, int batchSize)
    {
        int n = batchSize * (goodBatches + 3);
        var x = Torch.Ones(n, 2);
        var y = Torch.Zeros(n, 1);
        y.Narrow(0, goodBatches * batchSize, n - goodBatches * batchSize).Fill_(float.NaN);
        return (x, y);
    }

    [Fact]
    public void Fit_stops_at_the_first_nan_loss_with_kerass_message()
    {
        Torch.ManualSeed(3);
        var model = new Sequential(new Linear(2, 1));
        model.Compile(new Optim.SGD(model.Parameters(), lr: 0.01), "mse");
        var (x, y) = Exploding(goodBatches: 2, batchSize: 4);
        var recorder = new Recorder();
        var nan = new TerminateOnNaN();
        var history = model.Fit(x, y, epochs: 5, batchSize: 4, shuffle: false, callbacks: [recorder, nan]);
        Assert.Equal(3, recorder.Batches); // two good batches, the NaN one, then stop
        Assert.Equal(1, history.Epochs);
        Assert.Equal("Batch 2: Invalid loss, terminating training", nan.Message);
        // On by default; terminateOnNaN: false trains through, as Keras without the callback.
        var plain = new Recorder();
        model.Fit(x, y, epochs: 2, batchSize: 4, shuffle: false, callbacks: [plain], terminateOnNaN: false);
        Assert.Equal(2 * 5, plain.Batches);
        var byDefault = new Recorder();
        model.Fit(x, y, epochs: 2, batchSize: 4, shuffle: false, callbacks: [byDefault]);
        Assert.Equal(1, byDefault.Batches); // the weights are NaN now: the first batch already stops it
    }

    [Fact]
    public void Save_best_only_never_saves_a_nan_metric()
    {
        Torch.ManualSeed(4);
        var model = new Sequential(new Linear(2, 1));
        model.Compile(new Optim.SGD(model.Parameters(), lr: 0.01), "mse");
        var dir = Directory.CreateTempSubdirectory().FullName;
        var path = Path.Combine(dir, "best.safetensors");
        var ckpt = new ModelCheckpoint(path, monitor: "loss", saveBestOnly: true);
        var x = Torch.Ones(8, 2);
        model.Fit(x, Torch.Zeros(8, 1), epochs: 2, batchSize: 4, callbacks: [ckpt]);
        Assert.Equal([0, 1], ckpt.SavedEpochs);
        var good = SafeTensors.Load(path)["0.weight"].Clone();
        Assert.True(good.IsFinite().All().Item<bool>());
        // The loss turns NaN: no epoch with a NaN loss may replace the good checkpoint.
        model.Fit(x, Torch.Full([8, 1], double.NaN), epochs: 2, batchSize: 4, callbacks: [ckpt], terminateOnNaN: false);
        Assert.Equal([0, 1], ckpt.SavedEpochs);
        Assert.True(SafeTensors.Load(path)["0.weight"].Equal(good));
    }

    [Fact]
    public void Compile_rejects_unknown_names_and_fit_requires_compile()
    {
        var model = new Sequential(new Linear(2, 2));
        Assert.Throws<InvalidOperationException>(() => model.Fit(Torch.Zeros(4, 2), Torch.Zeros(4, 2)));
        Assert.Contains("Unknown optimizer: 'adamx'", Assert.Throws<ArgumentException>(() => model.Compile("adamx", "mse")).Message);
        Assert.Contains("Unknown loss function: 'hinge'", Assert.Throws<ArgumentException>(() => model.Compile("adam", "hinge")).Message);
        Assert.Contains("Unknown metric function: 'f1'", Assert.Throws<ArgumentException>(() => model.Compile("adam", "mse", ["f1"])).Message);
    }

    [Fact]
    public void Regression_and_binary_losses_train()
    {
        Torch.ManualSeed(3);
        var x = Torch.Randn(256, 3);
        var y = x.MatMul(Torch.Tensor([1f, -2f, 0.5f], 3, 1)).Add(0.3);
        var reg = new Sequential(new Linear(3, 1));
        reg.Compile(new Optim.Adam(reg.Parameters(), lr: 0.05), "mse", ["mae"]);
        var h = reg.Fit(x, y, epochs: 30, batchSize: 32);
        Assert.True(h["loss"][^1] < 1e-3, $"final mse {h["loss"][^1]}");
        var labels = x.Select(1, 0).Gt(0.0).Float().Unsqueeze(1);
        var clf = new Sequential(new Linear(3, 1));
        clf.Compile(new Optim.Adam(clf.Parameters(), lr: 0.05), "binary_crossentropy", ["accuracy"], fromLogits: true);
        Assert.InRange(clf.Fit(x, labels, epochs: 20)["accuracy"][^1], 0.95, 1.0);
    }

    [Fact]
    public void Safetensors_round_trips_and_rejects_corrupt_files()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var path = Path.Combine(dir, "t.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["a"] = Torch.Arange(6.0).Reshape(2, 3).Float(), ["b"] = Torch.Tensor([1L, -2]), ["c"] = Torch.Tensor([true, false]),
            ["d"] = Torch.Tensor([1.5, 2.5]), ["e"] = Torch.Tensor(new byte[] { 7 }),
        };
        SafeTensors.Save(tensors, path, new Dictionary<string, string> { ["format"] = "pt" });
        var back = SafeTensors.Load(path);
        foreach (var (k, v) in tensors) Assert.True(v.Equal(back[k]), k);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        Assert.Contains("fall outside", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1L << 40), .. bytes[8..]]);
        Assert.Contains("exceeds the file", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message);
        var json = System.Text.Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[8]]);
        Assert.Contains("expected 16", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(3L), .. "{{{"u8]);
        Assert.Contains("not valid JSON", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message);
    }
}
