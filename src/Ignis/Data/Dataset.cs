namespace Ignis.Data;

/// <summary>An indexable collection of samples (<c>torch.utils.data.Dataset</c>: <c>__len__</c> and <c>__getitem__</c>).</summary>
public abstract class Dataset<T>
{
    /// <summary>Number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>The sample at <paramref name="index"/> (<c>dataset[index]</c>).</summary>
    public abstract T this[int index] { get; }

    /// <summary>Throws PyTorch-style when <paramref name="index"/> is outside [−Count, Count); returns it made non-negative.</summary>
    protected int CheckIndex(int index)
    {
        if (index < -Count || index >= Count) throw new IndexOutOfRangeException($"index {index} is out of bounds for dataset of size {Count}");
        return index < 0 ? index + Count : index;
    }
}

/// <summary>A dataset that can fetch many samples at once, already collated (the data loader's fast path).</summary>
public interface IBatchDataset
{
    /// <summary>The samples at <paramref name="indices"/>, stacked along a new first dim.</summary>
    Tensor[] GetBatch(long[] indices);
}

/// <summary>Samples are the rows of tensors sharing their first dim (<c>TensorDataset</c>); an item is one row of each.</summary>
public sealed class TensorDataset : Dataset<Tensor[]>, IBatchDataset
{
    readonly Tensor[] tensors;

    /// <summary>Wraps <paramref name="tensors"/>; all must have the same size in dim 0.</summary>
    public TensorDataset(params Tensor[] tensors)
    {
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset needs at least one tensor");
        foreach (var t in tensors)
            if (t.Dim == 0 || t.Size(0) != tensors[0].Size(0)) throw new ArgumentException("Size mismatch between tensors");
        this.tensors = tensors;
    }

    /// <summary>The wrapped tensors.</summary>
    public IReadOnlyList<Tensor> Tensors => tensors;

    /// <inheritdoc/>
    public override int Count => (int)tensors[0].Size(0);

    /// <inheritdoc/>
    public override Tensor[] this[int index] { get { int i = CheckIndex(index); return tensors.Select(t => t[i]).ToArray(); } }

    /// <inheritdoc/>
    public Tensor[] GetBatch(long[] indices)
    {
        var idx = Torch.Tensor(indices);
        using (Torch.NoGrad()) return tensors.Select(t => t.IndexSelect(0, idx)).ToArray();
    }
}

/// <summary>The samples of <paramref name="dataset"/> at <paramref name="indices"/> (<c>Subset</c>).</summary>
public sealed class Subset<T>(Dataset<T> dataset, int[] indices) : Dataset<T>
{
    /// <summary>The underlying dataset.</summary>
    public Dataset<T> Source { get; } = dataset;
    /// <summary>Indices into <see cref="Source"/>.</summary>
    public IReadOnlyList<int> Indices { get; } = indices;
    /// <inheritdoc/>
    public override int Count => Indices.Count;
    /// <inheritdoc/>
    public override T this[int index] => Source[Indices[CheckIndex(index)]];
}

/// <summary>Datasets one after another (<c>ConcatDataset</c>).</summary>
public sealed class ConcatDataset<T> : Dataset<T>
{
    readonly Dataset<T>[] parts;
    readonly int[] ends;

    /// <summary>Concatenates <paramref name="datasets"/>.</summary>
    public ConcatDataset(IEnumerable<Dataset<T>> datasets)
    {
        parts = datasets.ToArray();
        if (parts.Length == 0) throw new ArgumentException("datasets should not be an empty iterable");
        ends = new int[parts.Length];
        int sum = 0;
        for (int i = 0; i < parts.Length; i++) ends[i] = sum += parts[i].Count;
    }

    /// <inheritdoc/>
    public override int Count => ends[^1];

    /// <inheritdoc/>
    public override T this[int index]
    {
        get
        {
            int i = CheckIndex(index);
            int part = Array.BinarySearch(ends, i);
            part = part < 0 ? ~part : part + 1;
            return parts[part][i - (part == 0 ? 0 : ends[part - 1])];
        }
    }
}

/// <summary>Dataset helpers (<c>torch.utils.data</c> functions).</summary>
public static class Datasets
{
    /// <summary>
    /// Splits <paramref name="dataset"/> into non-overlapping random subsets of the given <paramref name="lengths"/>
    /// (<c>random_split</c>): one permutation from <paramref name="generator"/>, so a seeded split matches PyTorch's.
    /// </summary>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> dataset, int[] lengths, Generator? generator = null)
    {
        if (lengths.Sum() != dataset.Count)
            throw new ArgumentException("Sum of input lengths does not equal the length of the input dataset!");
        var perm = Torch.Randperm(dataset.Count, generator: generator ?? Torch.DefaultGenerator).ToArray<long>();
        var result = new Subset<T>[lengths.Length];
        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            result[i] = new Subset<T>(dataset, perm.Skip(offset).Take(lengths[i]).Select(v => (int)v).ToArray());
            offset += lengths[i];
        }
        return result;
    }

    /// <summary>Splits by fractions summing to 1; remainders go one each to the first subsets, as in PyTorch.</summary>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> dataset, double[] fractions, Generator? generator = null)
    {
        if (Math.Abs(fractions.Sum() - 1) > 1e-9) throw new ArgumentException("Sum of input lengths does not equal the length of the input dataset!");
        var lengths = fractions.Select(f =>
        {
            if (f < 0 || f > 1) throw new ArgumentException($"Fraction at index {Array.IndexOf(fractions, f)} is not between 0 and 1");
            return (int)Math.Floor(dataset.Count * f);
        }).ToArray();
        int remainder = dataset.Count - lengths.Sum();
        for (int i = 0; i < remainder; i++) lengths[i % lengths.Length]++;
        return RandomSplit(dataset, lengths, generator);
    }
}
