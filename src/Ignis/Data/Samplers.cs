namespace Ignis.Data;

/// <summary>Yields dataset indices for one epoch (<c>torch.utils.data.Sampler</c>).</summary>
public interface ISampler
{
    /// <summary>Number of indices per epoch.</summary>
    int Count { get; }

    /// <summary>The indices of one epoch.</summary>
    IEnumerable<int> Indices();
}

/// <summary>0, 1, …, n−1 (<c>SequentialSampler</c>).</summary>
public sealed class SequentialSampler(int count) : ISampler
{
    /// <inheritdoc/>
    public int Count { get; } = count;
    /// <inheritdoc/>
    public IEnumerable<int> Indices() => Enumerable.Range(0, Count);
}

/// <summary>
/// A random permutation each epoch, or draws with replacement (<c>RandomSampler</c>). Without a generator it seeds a
/// fresh one from the default generator each epoch, as PyTorch does, so <c>Torch.ManualSeed</c> fixes the order.
/// </summary>
public sealed class RandomSampler(int dataCount, bool replacement = false, int? numSamples = null, Generator? generator = null) : ISampler
{
    /// <inheritdoc/>
    public int Count { get; } = Positive(numSamples ?? dataCount);

    // PyTorch checks this when the sampler is built, so a shuffled loader over an empty dataset fails loudly.
    static int Positive(int n) => n > 0 ? n : throw new ArgumentException($"num_samples should be a positive integer value, but got num_samples={n}");

    /// <inheritdoc/>
    public IEnumerable<int> Indices()
    {
        var g = generator ?? new Generator().ManualSeed((long)(Torch.DefaultGenerator.Random64() % (1UL << 63)));
        if (replacement)
        {
            for (int done = 0; done < Count; done += 32)
                foreach (var v in Torch.Randint(dataCount, [Math.Min(32, Count - done)], generator: g).ToArray<long>()) yield return (int)v;
            yield break;
        }
        for (int done = 0; done < Count; done += dataCount)
            foreach (var v in Torch.Randperm(dataCount, generator: g).ToArray<long>().Take(Math.Min(dataCount, Count - done))) yield return (int)v;
    }
}

/// <summary>Groups a sampler's indices into batches (<c>BatchSampler</c>).</summary>
public sealed class BatchSampler(ISampler sampler, int batchSize, bool dropLast)
{
    /// <summary>Batches per epoch.</summary>
    public int Count => dropLast ? sampler.Count / batchSize : (sampler.Count + batchSize - 1) / batchSize;

    /// <summary>The batches of one epoch.</summary>
    public IEnumerable<int[]> Batches()
    {
        var batch = new List<int>(batchSize);
        foreach (var i in sampler.Indices())
        {
            batch.Add(i);
            if (batch.Count == batchSize) { yield return batch.ToArray(); batch.Clear(); }
        }
        if (batch.Count > 0 && !dropLast) yield return batch.ToArray();
    }
}
