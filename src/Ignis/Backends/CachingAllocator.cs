using System.Collections.Concurrent;

namespace Ignis.Backends;

/// <summary>Device memory is exhausted even after every unreachable block was returned (<c>torch.cuda.OutOfMemoryError</c>).</summary>
public sealed class DeviceOutOfMemoryException : OutOfMemoryException
{
    /// <summary>Creates the exception with a message naming the device and the sizes involved.</summary>
    public DeviceOutOfMemoryException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A caching allocator shared by every backend (PyTorch's CUDA caching allocator in miniature). Freed blocks are kept
/// per (kind, size bucket) and handed out again, so a training loop stops paying for device allocation after its
/// first step. Blocks come back two ways: <see cref="Free"/> (a disposed storage: the block is reusable at once) and
/// <see cref="FreeFromFinalizer"/> (a storage the GC reclaimed: the block is only queued, and the allocating thread
/// takes it over, so a finalizer never calls a device API or takes a lock). When a request cannot be met, the
/// allocator first collects — a garbage collection runs the finalizers of unreachable storages, whose blocks then
/// return to the cache — and retries before it reports <see cref="DeviceOutOfMemoryException"/>. Idle (cached) bytes are
/// bounded by what the workload has used at its peak, so the cache never holds more than one working set.
/// </summary>
/// <typeparam name="TBlock">The backend's memory handle (a managed array, a device pointer wrapper, …).</typeparam>
public abstract class CachingAllocator<TBlock> where TBlock : class
{
    sealed class Bucket
    {
        public readonly ConcurrentStack<TBlock> Items = new();
        public long LastUsed;
    }

    readonly ConcurrentDictionary<(int Kind, long Bytes), Bucket> cache = new();
    readonly ConcurrentQueue<(int Kind, long Bytes, TBlock Block)> finalized = new();
    readonly object evictGate = new();
    long allocated, cached, peak, highWater, clock, undisposedSinceCollect, inducedCollections, liveAfterCollect;

    /// <summary>Creates an allocator for the device named in messages.</summary>
    protected CachingAllocator(string deviceName) => DeviceName = deviceName;

    /// <summary>The device, as messages name it (<c>cuda:0</c>).</summary>
    public string DeviceName { get; }

    /// <summary>Creates a fresh block of exactly <paramref name="bytes"/> bytes, or returns null when the device has no room.</summary>
    protected abstract TBlock? TryCreate(int kind, long bytes);

    /// <summary>Gives a block back to the device (evicted from the cache or emptied); managed blocks need nothing.</summary>
    protected virtual void Destroy(TBlock block, int kind, long bytes) { }

    /// <summary>
    /// The bucket size a request is served from: 512-byte multiples below 1 MiB, above that multiples of an eighth of
    /// the next lower power of two (at most 12.5 % slack). Backends whose blocks must be exact override it.
    /// </summary>
    protected virtual long RoundSize(long bytes)
    {
        if (bytes <= 0) return 512;
        if (bytes < 1 << 20) return (bytes + 511) & ~511L;
        long step = (1L << (63 - (int)long.LeadingZeroCount(bytes))) / 8;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>Idle bytes the cache may always keep, whatever the workload's peak.</summary>
    protected virtual long MinCachedBytes => 64L << 20;

    /// <summary>Idle bytes the cache never exceeds.</summary>
    protected virtual long MaxCachedBytes => Math.Min(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8, 4L << 30);

    /// <summary>
    /// Bytes handed out since the last collection and not given back through Dispose above which a cache miss collects
    /// instead of creating a block: half of what was live after the last collection, between 32 and 256 MiB. Past it,
    /// the blocks the miss wants most likely belong to storages that died without Dispose and only wait for their
    /// finalizers; below it, the workload really needs more memory. So reserved memory stays near live + threshold instead of
    /// growing with every step's garbage.
    /// </summary>
    protected virtual long CollectThreshold => Math.Clamp(Interlocked.Read(ref liveAfterCollect) / 2, 32L << 20, 256L << 20);

    /// <summary>Bytes in blocks held by live (or not yet finalised) storages.</summary>
    public long AllocatedBytes => Interlocked.Read(ref allocated);

    /// <summary>Bytes in idle blocks kept for reuse.</summary>
    public long CachedBytes => Interlocked.Read(ref cached);

    /// <summary>Bytes the allocator holds: allocated plus cached (<c>memory_reserved</c>).</summary>
    public long ReservedBytes => AllocatedBytes + CachedBytes;

    /// <summary>Peak of <see cref="AllocatedBytes"/> since start or <see cref="ResetPeak"/>.</summary>
    public long PeakAllocatedBytes => Interlocked.Read(ref peak);

    /// <summary>Garbage collections the allocator started to reclaim unreachable storages.</summary>
    public long InducedCollections => Interlocked.Read(ref inducedCollections);

    /// <summary>The counters as <see cref="MemoryStats"/>.</summary>
    public MemoryStats Stats => new(AllocatedBytes, ReservedBytes, PeakAllocatedBytes, InducedCollections);

    /// <summary>Starts a new peak measurement at the current allocated bytes.</summary>
    public void ResetPeak() => Interlocked.Exchange(ref peak, Interlocked.Read(ref allocated));

    /// <summary>
    /// A block of at least <paramref name="bytes"/> bytes; <paramref name="blockBytes"/> is its bucket size, which the
    /// caller hands back to <see cref="Free"/> or <see cref="FreeFromFinalizer"/>. <paramref name="fromCache"/> tells
    /// whether it was reused (its contents are then stale).
    /// </summary>
    public TBlock Allocate(int kind, long bytes, out long blockBytes, out bool fromCache)
    {
        DrainFinalized();
        long size = blockBytes = RoundSize(bytes);
        fromCache = true;
        if (TryTake(kind, size) is { } hit) return Account(hit, size);
        // Storages that died without Dispose hold blocks until their finalizers run: once enough has been handed out
        // since the last collection and not given back through Dispose, collect (a full collection: storages that lived
        // through a step are often promoted, and it measures what is really live) and look again before growing. Blocks
        // given back through Dispose do not count (a loop that disposes all but one tensor per step collects once per
        // threshold of what it leaks, not of what it allocates); blocks finalizers returned still do — measured from
        // the bytes held instead, a collection taken mid-forward (every activation live) made later misses look like
        // no growth once the runtime's own collections had finalized those activations, and each created a fresh block
        // (resnet18 at 224×224 after other models in one process: 7,000 page faults per step).
        if (Interlocked.Read(ref undisposedSinceCollect) > CollectThreshold)
        {
            Collect(GC.MaxGeneration);
            if (TryTake(kind, size) is { } again) return Account(again, size);
        }
        fromCache = false;
        var block = TryCreateOrNull(kind, size);
        if (block is null)
        {
            // Out of memory: reclaim everything unreachable, give idle blocks of other sizes back, then retry once.
            Collect(GC.MaxGeneration);
            if (TryTake(kind, size) is { } late) { fromCache = true; return Account(late, size); }
            EmptyCache();
            block = TryCreateOrNull(kind, size);
            if (block is null)
                throw new DeviceOutOfMemoryException(
                    $"{DeviceName}: out of memory: tried to allocate {Mb(size)} ({Mb(AllocatedBytes)} allocated by tensors, " +
                    $"{Mb(CachedBytes)} cached; {InducedCollections} collections did not free enough). Free tensors with Dispose() " +
                    "or a dispose scope, or use a smaller batch.");
        }
        return Account(block, size);
    }

    static string Mb(long b) => $"{b / (1024.0 * 1024.0):F2} MiB";

    TBlock? TryCreateOrNull(int kind, long size)
    {
        try { return TryCreate(kind, size); }
        catch (OutOfMemoryException) { return null; }
    }

    TBlock Account(TBlock block, long size)
    {
        Interlocked.Add(ref undisposedSinceCollect, size);
        long now = Interlocked.Add(ref allocated, size);
        long p;
        while (now > (p = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, p) != p) { }
        while (now > (p = Interlocked.Read(ref highWater)) && Interlocked.CompareExchange(ref highWater, now, p) != p) { }
        return block;
    }

    TBlock? TryTake(int kind, long size)
    {
        if (!cache.TryGetValue((kind, size), out var b) || !b.Items.TryPop(out var block)) return null;
        b.LastUsed = Interlocked.Increment(ref clock);
        Interlocked.Add(ref cached, -size);
        return block;
    }

    /// <summary>Returns a block of a disposed storage: reusable at once.</summary>
    public void Free(TBlock block, int kind, long blockBytes)
    {
        Interlocked.Add(ref allocated, -blockBytes);
        Interlocked.Add(ref undisposedSinceCollect, -blockBytes);
        Cache(block, kind, blockBytes);
        DrainFinalized();
    }

    /// <summary>
    /// Returns a block from a finalizer: queued only (no locks, no device calls); the next allocation takes it over.
    /// </summary>
    public void FreeFromFinalizer(TBlock block, int kind, long blockBytes) => finalized.Enqueue((kind, blockBytes, block));

    /// <summary>Takes over the blocks finalizers have queued (allocation does this by itself).</summary>
    public void DrainFinalized()
    {
        bool any = false;
        while (finalized.TryDequeue(out var f))
        {
            Interlocked.Add(ref allocated, -f.Bytes);
            Cache(f.Block, f.Kind, f.Bytes, evict: false);
            any = true;
        }
        if (any) EvictOverLimit();
    }

    void Cache(TBlock block, int kind, long bytes, bool evict = true)
    {
        var b = cache.GetOrAdd((kind, bytes), _ => new Bucket());
        b.LastUsed = Interlocked.Increment(ref clock);
        b.Items.Push(block);
        Interlocked.Add(ref cached, bytes);
        if (evict) EvictOverLimit();
    }

    /// <summary>
    /// The most idle bytes kept: what the workload reuses between two collections (twice the collection threshold), and
    /// at least its high-water mark of allocated bytes (a training step frees all it allocated, and the next step wants
    /// the same blocks back: a cache smaller than one step evicts blocks that the next step then creates afresh, each a
    /// large-object allocation that page-faults and drives gen-2 collections), within the bounds — not a fraction of
    /// the machine.
    /// </summary>
    public long CacheLimit => Math.Clamp(Math.Max(Math.Min(CollectThreshold, long.MaxValue / 2) * 2, Interlocked.Read(ref highWater)),
        MinCachedBytes, Math.Max(MinCachedBytes, MaxCachedBytes));

    void EvictOverLimit()
    {
        long limit = CacheLimit;
        if (Interlocked.Read(ref cached) <= limit) return;
        lock (evictGate)
        {
            foreach (var (key, b) in cache.OrderBy(kv => kv.Value.LastUsed).ToArray())
            {
                if (Interlocked.Read(ref cached) <= limit * 3 / 4) break;
                while (b.Items.TryPop(out var block))
                {
                    Interlocked.Add(ref cached, -key.Bytes);
                    Destroy(block, key.Kind, key.Bytes);
                }
            }
        }
    }

    /// <summary>Runs a blocking collection and the pending finalizers, then takes over the blocks they returned.</summary>
    void Collect(int generation)
    {
        Interlocked.Increment(ref inducedCollections);
        Interlocked.Exchange(ref undisposedSinceCollect, 0);
        GC.Collect(generation, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        DrainFinalized();
        Interlocked.Exchange(ref liveAfterCollect, Interlocked.Read(ref allocated));
    }

    /// <summary>Gives every idle block back to the device (<c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        DrainFinalized();
        lock (evictGate)
        {
            foreach (var (key, b) in cache)
                while (b.Items.TryPop(out var block))
                {
                    Interlocked.Add(ref cached, -key.Bytes);
                    Destroy(block, key.Kind, key.Bytes);
                }
        }
    }
}
