using System.Collections;
using System.Runtime.CompilerServices;

namespace Ignis.Data;

/// <summary>
/// Per-thread context of the batch being loaded. Random transforms draw from <see cref="Generator"/> when it is
/// set, so a seeded loader produces the same batches whatever its number of workers.
/// </summary>
public static class WorkerContext
{
    [ThreadStatic] static Generator? generator;
    [ThreadStatic] static int workerId;

    /// <summary>The generator of the batch being loaded on this thread, or null outside a data loader.</summary>
    public static Generator? Generator { get => generator; internal set => generator = value; }

    /// <summary>Index of the worker on this thread (0-based), or −1 on the main thread (<c>get_worker_info().id</c>).</summary>
    public static int WorkerId { get => workerId - 1; internal set => workerId = value + 1; }
}

/// <summary>
/// Batches a dataset (<c>torch.utils.data.DataLoader</c>): batch size, shuffling with a seedable generator, drop_last,
/// custom collate, and background workers that prefetch batches and hand them over in order. Each enumeration is one
/// epoch; stopping it early (break, dispose) stops and joins its workers.
/// </summary>
public class DataLoader<T, TBatch> : IEnumerable<TBatch>
{
    readonly Dataset<T> dataset;
    readonly ISampler sampler;
    readonly Func<IReadOnlyList<T>, TBatch> collate;
    readonly Func<long[], TBatch>? batchFetch;
    readonly Generator? generator;
    int runningWorkers;

    /// <summary>Creates the loader. Pass a <paramref name="sampler"/> or <paramref name="shuffle"/>, not both.</summary>
    public DataLoader(Dataset<T> dataset, Func<IReadOnlyList<T>, TBatch> collate, int batchSize = 1, bool shuffle = false,
        ISampler? sampler = null, int numWorkers = 0, bool dropLast = false, Generator? generator = null, int prefetchFactor = 2)
        : this(dataset, collate, null, batchSize, shuffle, sampler, numWorkers, dropLast, generator, prefetchFactor) { }

    private protected DataLoader(Dataset<T> dataset, Func<IReadOnlyList<T>, TBatch> collate, Func<long[], TBatch>? batchFetch, int batchSize,
        bool shuffle, ISampler? sampler, int numWorkers, bool dropLast, Generator? generator, int prefetchFactor)
    {
        if (batchSize <= 0) throw new ArgumentException($"batch_size should be a positive integer value, but got batch_size={batchSize}");
        if (numWorkers < 0) throw new ArgumentException("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.");
        if (prefetchFactor <= 0) throw new ArgumentException("prefetch_factor option should be positive");
        if (sampler is not null && shuffle) throw new ArgumentException("sampler option is mutually exclusive with shuffle");
        this.dataset = dataset;
        this.collate = collate;
        this.batchFetch = batchFetch;
        this.generator = generator;
        this.sampler = sampler ?? (shuffle ? new RandomSampler(dataset.Count, generator: generator) : new SequentialSampler(dataset.Count));
        BatchSize = batchSize;
        NumWorkers = numWorkers;
        DropLast = dropLast;
        PrefetchFactor = prefetchFactor;
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Background worker threads (0: load on the enumerating thread).</summary>
    public int NumWorkers { get; }
    /// <summary>Whether an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }
    /// <summary>Batches each worker loads ahead.</summary>
    public int PrefetchFactor { get; }
    /// <summary>The dataset.</summary>
    public Dataset<T> Dataset => dataset;

    /// <summary>Batches per epoch (<c>len(loader)</c>).</summary>
    public int Count => new BatchSampler(sampler, BatchSize, DropLast).Count;

    /// <summary>Worker threads of this loader still running (0 once an enumeration has finished or been disposed).</summary>
    public int RunningWorkers => Volatile.Read(ref runningWorkers);

    /// <inheritdoc/>
    public IEnumerator<TBatch> GetEnumerator()
    {
        // As PyTorch: the iterator draws its base seed before the sampler draws the permutation's seed.
        long baseSeed = (long)((generator ?? Torch.DefaultGenerator).Random64() % (1UL << 63));
        var batches = new BatchSampler(sampler, BatchSize, DropLast).Batches().ToList();
        return NumWorkers == 0 ? Serial(batches, baseSeed) : Parallel(batches, baseSeed);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    TBatch Fetch(int[] indices, long seed)
    {
        var previous = WorkerContext.Generator;
        WorkerContext.Generator = new Generator().ManualSeed(seed);
        try
        {
            if (batchFetch is not null) return batchFetch(indices.Select(i => (long)i).ToArray());
            var items = new T[indices.Length];
            for (int i = 0; i < items.Length; i++) items[i] = dataset[indices[i]];
            return collate(items);
        }
        finally { WorkerContext.Generator = previous; }
    }

    IEnumerator<TBatch> Serial(List<int[]> batches, long baseSeed)
    {
        for (int b = 0; b < batches.Count; b++) yield return Fetch(batches[b], baseSeed + b);
    }

    IEnumerator<TBatch> Parallel(List<int[]> batches, long baseSeed)
    {
        var ready = new Dictionary<int, (TBatch? Batch, Exception? Error)>();
        var gate = new object();
        int next = 0, consumed = 0, window = NumWorkers * PrefetchFactor;
        bool stop = false;
        var threads = new Thread[Math.Min(NumWorkers, Math.Max(1, batches.Count))];
        for (int w = 0; w < threads.Length; w++)
        {
            int id = w;
            threads[w] = new Thread(() =>
            {
                Numerics.IntraOpThreads.MarkSerialThread();
                WorkerContext.WorkerId = id;
                try
                {
                    while (true)
                    {
                        int b;
                        lock (gate)
                        {
                            while (!stop && next < batches.Count && next - consumed >= window) Monitor.Wait(gate);
                            if (stop || next >= batches.Count) return;
                            b = next++;
                        }
                        (TBatch?, Exception?) r;
                        try { r = (Fetch(batches[b], baseSeed + b), null); }
                        catch (Exception e) { r = (default, e); }
                        lock (gate) { ready[b] = r; Monitor.PulseAll(gate); }
                    }
                }
                finally { Interlocked.Decrement(ref runningWorkers); }
            }) { IsBackground = true, Name = $"Ignis DataLoader worker {id}" };
        }
        Interlocked.Add(ref runningWorkers, threads.Length);
        foreach (var t in threads) t.Start();
        try
        {
            for (int b = 0; b < batches.Count; b++)
            {
                (TBatch? Batch, Exception? Error) r;
                lock (gate)
                {
                    while (!ready.Remove(b, out r)) Monitor.Wait(gate);
                    consumed = b + 1;
                    Monitor.PulseAll(gate);
                }
                if (r.Error is not null)
                    throw new InvalidOperationException($"Caught {r.Error.GetType().Name} in DataLoader worker while loading batch {b}: {r.Error.Message}", r.Error);
                yield return r.Batch!;
            }
        }
        finally
        {
            lock (gate) { stop = true; Monitor.PulseAll(gate); }
            foreach (var t in threads) t.Join();
        }
    }
}

/// <summary>
/// A data loader whose batches are tensors (<c>default_collate</c>): samples that are a tensor, a tensor array, or a
/// tuple of tensors and numbers are stacked field by field into one tensor per field.
/// </summary>
public sealed class DataLoader<T> : DataLoader<T, Tensor[]>
{
    /// <summary>Creates the loader with the default collate (and a single-call batch fetch for <see cref="IBatchDataset"/>s).</summary>
    public DataLoader(Dataset<T> dataset, int batchSize = 1, bool shuffle = false, ISampler? sampler = null, int numWorkers = 0,
        bool dropLast = false, Generator? generator = null, int prefetchFactor = 2)
        : base(dataset, Collate.Default, (dataset as IBatchDataset) is { } bd ? bd.GetBatch : null, batchSize, shuffle, sampler,
               numWorkers, dropLast, generator, prefetchFactor) { }
}

/// <summary>Collate functions.</summary>
public static class Collate
{
    /// <summary>
    /// Stacks samples into batch tensors (<c>default_collate</c>): a tensor sample gives one tensor, a tensor array or
    /// tuple gives one per field; numbers become int64 (integers) or float64 tensors.
    /// </summary>
    public static Tensor[] Default<T>(IReadOnlyList<T> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        object first = samples[0]!;
        int fields = first switch { Tensor => 1, Tensor[] a => a.Length, ITuple t => t.Length, _ => 1 };
        var result = new Tensor[fields];
        using var _ = Torch.NoGrad();
        for (int f = 0; f < fields; f++)
        {
            var column = samples.Select(s => (object?)(s switch
            {
                Tensor t => t,
                Tensor[] a => a[f],
                ITuple tu => tu[f],
                _ => s,
            })).ToArray();
            result[f] = column[0] switch
            {
                Tensor => Torch.Stack(column.Cast<Tensor>().ToArray()),
                long or int or short or byte => Torch.Tensor(column.Select(Convert.ToInt64).ToArray()),
                double or float => Torch.Tensor(column.Select(Convert.ToDouble).ToArray()),
                bool => Torch.Tensor(column.Select(v => (bool)v!).ToArray()),
                var other => throw new ArgumentException($"default_collate: batch must contain tensors, numbers, arrays or tuples; found {other?.GetType().Name ?? "null"}"),
            };
        }
        return result;
    }
}
