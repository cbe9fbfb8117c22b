using System.Diagnostics;
using Ignis.Cli.Train;
using Xunit;

namespace Ignis.Cli.Tests;

/// <summary>
/// <c>ignis train</c>: checkpoints, metrics, and a resume — after a clean stop and after SIGKILL — that ends with the same
/// weights, bit for bit, as an uninterrupted run with the same seed.
/// </summary>
[Collection("trains")]
public class TrainTests
{

    static string[] Args(string model, string dir, int epochs, bool resume = false) =>
        ["train", "--model", model, "--epochs", epochs.ToString(), "--out", dir, "--seed", "3", "--device", "cpu", "--batch-size", "128",
         .. resume ? new[] { "--resume" } : []];

    static int Train(params string[] args)
    {
        var output = new StringWriter();
        int rc = Cli.Build(output: output).Parse(args).Invoke();
        Assert.True(rc == 0, output.ToString());
        return rc;
    }

    static OrderedDictionary<object, object?> Checkpoint(string dir) =>
        (OrderedDictionary<object, object?>)Torch.Load(Path.Combine(dir, TrainCommand.CheckpointName))!;

    static void AssertSameWeights(string a, string b)
    {
        var x = (IReadOnlyDictionary<string, Tensor>)Checkpoint(a)["model"]!;
        var y = (IReadOnlyDictionary<string, Tensor>)Checkpoint(b)["model"]!;
        Assert.Equal(x.Keys, y.Keys);
        foreach (var (k, v) in x) Assert.True(Torch.Equal(v, y[k]), $"{k} differs between the resumed and the uninterrupted run");
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void Stopping_after_an_epoch_and_resuming_gives_the_uninterrupted_runs_weights(string model)
    {
        using var wholeFolder = new TempFolder();
        using var partsFolder = new TempFolder();
        string whole = wholeFolder, parts = partsFolder;
        Train(Args(model, whole, 3));
        Train(Args(model, parts, 1));
        Assert.Equal(1L, Checkpoint(parts)["epoch"]);
        Train(Args(model, parts, 3, resume: true));
        Assert.Equal(3L, Checkpoint(parts)["epoch"]);
        AssertSameWeights(whole, parts);
        var csv = File.ReadAllLines(Path.Combine(parts, "metrics.csv"));
        Assert.Equal("epoch,loss,accuracy,val_loss,val_accuracy,seconds", csv[0]);
        Assert.Equal(["1", "2", "3"], csv.Skip(1).Select(l => l.Split(',')[0]));
        foreach (var png in new[] { "loss.png", "accuracy.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(parts, png))[..4]);
        // The metrics of the resumed epochs equal the uninterrupted run's (all but the timing column).
        var wholeCsv = File.ReadAllLines(Path.Combine(whole, "metrics.csv"));
        Assert.Equal(wholeCsv.Select(l => string.Join(',', l.Split(',')[..5])), csv.Select(l => string.Join(',', l.Split(',')[..5])));
    }

    [Fact]
    public void A_run_killed_with_sigkill_resumes_to_the_uninterrupted_runs_weights()
    {
        if (OperatingSystem.IsWindows()) return;   // SIGKILL is a POSIX signal
        using var wholeFolder = new TempFolder();
        using var killedFolder = new TempFolder();
        string whole = wholeFolder, killed = killedFolder;
        Train(Args("mlp", whole, 4));
        string dll = typeof(Cli).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in Args("mlp", killed, 4)) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            string csv = Path.Combine(killed, "metrics.csv");
            while (DateTime.UtcNow < deadline && !p.HasExited && !(File.Exists(csv) && File.ReadAllLines(csv).Length >= 2)) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run finished before it could be killed");
            p.Kill();   // SIGKILL on Unix: no handler runs
            p.WaitForExit();
        }
        long saved = (long)Checkpoint(killed)["epoch"]!;
        Assert.InRange(saved, 1, 3);
        Assert.Empty(Directory.GetFiles(killed, "*.tmp*"));
        Train(Args("mlp", killed, 4, resume: true));
        AssertSameWeights(whole, killed);
    }

    [Fact]
    public void A_checkpoint_from_another_run_is_refused_with_the_reason()
    {
        using var dirFolder = new TempFolder();
        string dir = dirFolder;
        Train(Args("mlp", dir, 1));
        var output = new StringWriter();
        Assert.Equal(1, Cli.Build(output: output).Parse(
            ["train", "--model", "mlp", "--epochs", "2", "--out", dir, "--seed", "4", "--device", "cpu", "--batch-size", "128", "--resume"]).Invoke());
        Assert.Contains("error: ", output.ToString());
        Assert.Contains("was written by a different run", output.ToString());
    }

    [Fact]
    public void A_loss_that_turns_infinite_stops_training_with_a_clear_message_and_keeps_the_last_good_checkpoint()
    {
        using var dirFolder = new TempFolder();
        string dir = dirFolder;
        Train(Args("mlp", dir, 1));
        var before = (IReadOnlyDictionary<string, Tensor>)Checkpoint(dir)["model"]!;
        var output = new StringWriter();
        // SGD with an absurd learning rate overflows float32 within a few batches.
        int rc = Cli.Build(output: output).Parse(["train", "--model", "mlp", "--epochs", "3", "--out", dir, "--seed", "3", "--device", "cpu",
            "--batch-size", "128", "--resume", "--lr", "1e30"]).Invoke();
        Assert.Equal(1, rc);
        Assert.Matches(@"error: the loss turned (NaN|infinite) at epoch 2, batch \d+: training stopped \(lower --lr\?\)", output.ToString());
        Assert.Equal(1L, Checkpoint(dir)["epoch"]);
        var after = (IReadOnlyDictionary<string, Tensor>)Checkpoint(dir)["model"]!;
        foreach (var (k, v) in before) Assert.True(Torch.Equal(v, after[k]), $"{k} changed although the epoch failed");
    }

    [Fact]
    public void Generator_state_round_trips_and_rejects_foreign_bytes()
    {
        var g = new Generator().ManualSeed(7);
        g.NextNormal(0, 1);   // leaves a cached normal sample in the state
        var state = g.GetState();
        var expected = Enumerable.Range(0, 5).Select(_ => g.NextNormal(0, 1)).ToArray();
        var h = new Generator().SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => h.NextNormal(0, 1)));
        Assert.Throws<ArgumentException>(() => h.SetState(Torch.Zeros([5056], DType.UInt8)));
        Assert.Throws<ArgumentException>(() => h.SetState(Torch.Zeros([10])));
    }
}
