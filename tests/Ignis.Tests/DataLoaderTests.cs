using Ignis;
using Ignis.Data;
using Ignis.Vision;
using Xunit;

namespace Ignis.Tests;

/// <summary>Datasets, samplers and the data loader: PyTorch's shuffle order, determinism across worker counts, clean shutdown.</summary>
public class DataLoaderTests
{
    [Fact]
    public void Shuffle_order_matches_pytorch_for_a_manual_seed()
    {
        var expected = Fixture.Case("vision", "shuffle_seed11").GetProperty("epochs").EnumerateArray()
            .Select(e => e.EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray()).ToArray();
        Torch.ManualSeed(11);
        var loader = new DataLoader<Tensor[]>(new TensorDataset(Torch.Arange(10)), batchSize: 3, shuffle: true);
        for (int epoch = 0; epoch < 2; epoch++)
            Assert.Equal(expected[epoch], loader.Select(b => b[0].ToArray<long>()).ToArray());
    }

    [Fact]
    public void Random_split_matches_pytorch()
    {
        var expected = Fixture.Case("vision", "random_split_seed42").GetProperty("splits").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var parts = Datasets.RandomSplit(new TensorDataset(Torch.Arange(10)), [7, 3], new Generator(42));
        Assert.Equal(expected[0], parts[0].Indices);
        Assert.Equal(expected[1], parts[1].Indices);
        var byFraction = Datasets.RandomSplit(new TensorDataset(Torch.Arange(11)), [0.5, 0.5], new Generator(1));
        Assert.Equal([6, 5], byFraction.Select(p => p.Count));
    }

    sealed class Noisy(int n) : Dataset<(Tensor, long)>
    {
        public override int Count => n;
        public override (Tensor, long) this[int index]
        {
            get
            {
                Thread.SpinWait(2000); // make workers interleave
                var flip = new RandomHorizontalFlip().Apply(Torch.Arange(4.0).Add(index));
                return (new RandomCrop(1, 3).Apply(flip.Reshape(1, 4)), index);
            }
        }
    }

    static List<(double[], long[])> Epoch(int workers, int seed)
    {
        Torch.ManualSeed(seed);
        var loader = new DataLoader<(Tensor, long)>(new Noisy(50), batchSize: 4, shuffle: true, numWorkers: workers);
        return loader.Select(b => (b[0].ToArray<double>(), b[1].ToArray<long>())).ToList();
    }

    [Fact]
    public void Seeded_batches_are_identical_across_runs_and_worker_counts()
    {
        var reference = Epoch(0, 5);
        Assert.Equal(13, reference.Count);
        foreach (var workers in new[] { 0, 1, 3 })
        {
            var run = Epoch(workers, 5);
            Assert.Equal(reference.Select(r => r.Item2), run.Select(r => r.Item2));
            Assert.Equal(reference.Select(r => r.Item1), run.Select(r => r.Item1));
        }
        Assert.NotEqual(reference.Select(r => r.Item2), Epoch(0, 6).Select(r => r.Item2));
    }

    [Fact]
    public void Stopping_early_leaves_no_running_workers()
    {
        var loader = new DataLoader<(Tensor, long)>(new Noisy(400), batchSize: 2, numWorkers: 3, prefetchFactor: 2);
        int seen = 0;
        foreach (var batch in loader)
        {
            Assert.True(loader.RunningWorkers > 0);
            if (++seen == 3) break;
        }
        Assert.Equal(0, loader.RunningWorkers);
        Assert.Equal(200, loader.Count());
        Assert.Equal(0, loader.RunningWorkers);
    }

    sealed class Failing : Dataset<Tensor>
    {
        public override int Count => 10;
        public override Tensor this[int index] => index == 7 ? throw new FormatException("bad sample") : Torch.Zeros(2);
    }

    [Fact]
    public void Worker_errors_surface_on_the_consumer_and_stop_the_workers()
    {
        var loader = new DataLoader<Tensor>(new Failing(), batchSize: 2, numWorkers: 2);
        var ex = Assert.Throws<InvalidOperationException>(() => loader.ToList());
        Assert.IsType<FormatException>(ex.InnerException);
        Assert.Contains("batch 3", ex.Message);
        Assert.Equal(0, loader.RunningWorkers);
    }

    [Fact]
    public void Drop_last_collate_and_dataset_helpers()
    {
        var ds = new TensorDataset(Torch.Arange(10).Float().Reshape(10, 1), Torch.Arange(10));
        Assert.Equal(3, new DataLoader<Tensor[]>(ds, batchSize: 3, dropLast: true).Count());
        Assert.Equal(4, new DataLoader<Tensor[]>(ds, batchSize: 3).Count);
        var last = new DataLoader<Tensor[]>(ds, batchSize: 4).Last();
        Assert.Equal([8L, 9], last[1].ToArray<long>());
        Assert.Equal([2L, 1], last[0].Shape);
        var custom = new DataLoader<Tensor[], long>(ds, items => items.Sum(i => i[1].Item<long>()), batchSize: 5);
        Assert.Equal([10L, 35], custom.ToArray());
        var concat = new ConcatDataset<Tensor[]>([ds, new Subset<Tensor[]>(ds, [9, 0])]);
        Assert.Equal(12, concat.Count);
        Assert.Equal(9L, concat[10][1].Item<long>());
        Assert.Throws<IndexOutOfRangeException>(() => concat[12]);
        Assert.Equal("Size mismatch between tensors", Assert.Throws<ArgumentException>(() => new TensorDataset(Torch.Zeros(3), Torch.Zeros(4))).Message);
        var sampled = new DataLoader<Tensor[]>(ds, batchSize: 4, sampler: new RandomSampler(10, replacement: true, numSamples: 40, generator: new Generator(3)));
        Assert.Equal(10, sampled.Count);
    }
}
