using System.Collections.Concurrent;
using Ignis.Backends;

namespace Ignis.Cuda.Memory;

/// <summary>
/// Raw device memory as the driver hands it out (<c>cuMemAlloc</c>/<c>cuMemFree</c>), and the events that tell the
/// allocator when another stream is done with a freed block; a fake in tests.
/// </summary>
internal interface IDeviceMemory
{
    /// <summary>A device address of <paramref name="bytes"/> bytes, or 0 when the device is out of memory.</summary>
    ulong Alloc(long bytes);

    /// <summary>Returns a segment to the device.</summary>
    void Free(ulong address);

    /// <summary>The device's memory, for messages.</summary>
    long TotalBytes { get; }

    /// <summary>A new event recorded on <paramref name="stream"/> (it completes when the stream's work so far is done).</summary>
    nint RecordEvent(nint stream);

    /// <summary>Whether the work before <paramref name="e"/> is done (<c>cuEventQuery</c>).</summary>
    bool EventDone(nint e);

    /// <summary>Waits for <paramref name="e"/> and destroys it.</summary>
    void SynchronizeAndDestroyEvent(nint e);

    /// <summary>Destroys a completed event.</summary>
    void DestroyEvent(nint e);
}

/// <summary>
/// The CUDA caching allocator, after PyTorch's (c10/cuda/CUDACachingAllocator.cpp): requests are rounded to 512 bytes
/// and served from segments obtained from the driver — 2 MiB segments for requests up to 1 MiB (the small pool), 20 MiB
/// segments for requests under 10 MiB, and exact 2 MiB multiples above. A free block larger than the request is split
/// (small pool: when at least 512 bytes remain; large pool: when more than 1 MiB remains, so large segments do not
/// fragment into slivers), the best fit (smallest sufficient block) is taken, and a freed block merges with free
/// neighbours in its segment. Segments go back to the driver only when wholly free: on <see cref="EmptyCache"/> or when
/// the driver refuses a new segment. Blocks of tensors the GC reclaimed arrive through <see cref="FreeFromFinalizer"/>
/// (queued, no lock, no driver call); before reporting out-of-memory the allocator runs a collection so they return.
/// <para>
/// Streams, as PyTorch: a segment belongs to the stream that was current when it was obtained, and its blocks are reused
/// only by allocations on that stream, whose work is ordered after the freed block's last use there. A block another
/// stream used too (<see cref="RecordStream"/>, <c>Tensor.record_stream</c>) is held back when freed until an event
/// recorded on each of those streams completes. A stream being destroyed (after its work finished) hands its segments to
/// the default stream (<see cref="RetireStream"/>).
/// </para>
/// </summary>
internal sealed class SegmentAllocator(IDeviceMemory memory, string deviceName)
{
    public const long MinBlock = 512, SmallSize = 1 << 20, SmallBuffer = 2 << 20, MinLargeAlloc = 10 << 20, LargeBuffer = 20 << 20, RoundLarge = 2 << 20;

    sealed class Block
    {
        public ulong Address;
        public long Size;
        public bool Allocated;
        public bool Small;
        public nint Stream;
        /// <summary>Other streams the block was used on (<see cref="RecordStream"/>); null when none.</summary>
        public HashSet<nint>? StreamUses;
        public Block? Prev, Next;
    }

    /// <summary>Free blocks ordered by stream, then size, then address: a stream's best fit is one ordered-set lookup.</summary>
    sealed class ByStreamSizeAddress : IComparer<Block>
    {
        public int Compare(Block? a, Block? b) =>
            a!.Stream != b!.Stream ? a.Stream.CompareTo(b.Stream) : a.Size != b.Size ? a.Size.CompareTo(b.Size) : a.Address.CompareTo(b.Address);
    }

    readonly SortedSet<Block> smallFree = new(new ByStreamSizeAddress()), largeFree = new(new ByStreamSizeAddress());
    readonly Dictionary<ulong, Block> live = [];
    /// <summary>Freed blocks waiting for events on the other streams that used them.</summary>
    readonly List<(Block Block, nint[] Events)> pending = [];
    readonly ConcurrentQueue<ulong> finalized = new();
    readonly object gate = new();
    long allocated, reserved, peak, retries, segments;

    /// <summary>The size a request is served with: at least 512 bytes, in 512-byte steps.</summary>
    public static long Round(long bytes) => bytes <= MinBlock ? MinBlock : (bytes + MinBlock - 1) / MinBlock * MinBlock;

    /// <summary>The segment the driver is asked for when no cached block fits a request of <paramref name="size"/>.</summary>
    public static long SegmentSize(long size) =>
        size <= SmallSize ? SmallBuffer : size < MinLargeAlloc ? LargeBuffer : (size + RoundLarge - 1) / RoundLarge * RoundLarge;

    /// <summary>Counters in <see cref="MemoryStats"/>'s terms (allocated, reserved = segments held, peak, retries).</summary>
    public MemoryStats Stats
    {
        get { lock (gate) return new(allocated, reserved, peak, retries); }
    }

    /// <summary>Segments currently held from the driver.</summary>
    public long Segments
    {
        get { lock (gate) return segments; }
    }

    /// <summary>Starts a new peak measurement.</summary>
    public void ResetPeak()
    {
        lock (gate) peak = allocated;
    }

    /// <summary>A device address of at least <paramref name="bytes"/> bytes for work on <paramref name="stream"/> (0: the default stream).</summary>
    public ulong Allocate(long bytes, nint stream = 0)
    {
        long size = Round(bytes);
        lock (gate)
        {
            Drain();
            ProcessEvents();
            var block = BestFit(size, stream) ?? NewSegment(size, stream);
            if (block is null)
            {
                // The driver has no room: take back what the GC can reclaim, then give idle segments back, then retry.
                retries++;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Drain();
                block = BestFit(size, stream);
                if (block is null)
                {
                    SynchronizeEvents();
                    ReleaseCached();
                    block = NewSegment(size, stream) ?? throw new DeviceOutOfMemoryException(
                        $"CUDA out of memory. Tried to allocate {Mib(size)} ({deviceName}; {Mib(memory.TotalBytes)} total capacity; " +
                        $"{Mib(allocated)} already allocated; {Mib(reserved)} reserved in total by Ignis). " +
                        "Free tensors with Dispose() or a dispose scope, or use a smaller batch.");
                }
            }
            Pool(block.Small).Remove(block);
            long rest = block.Size - size;
            if (block.Small ? rest >= MinBlock : rest > SmallSize)
            {
                var tail = new Block { Address = block.Address + (ulong)size, Size = rest, Small = block.Small, Stream = block.Stream, Prev = block, Next = block.Next };
                if (block.Next is not null) block.Next.Prev = tail;
                block.Next = tail;
                block.Size = size;
                Pool(tail.Small).Add(tail);
            }
            block.Allocated = true;
            live[block.Address] = block;
            allocated += block.Size;
            peak = Math.Max(peak, allocated);
            return block.Address;
        }
    }

    /// <summary>
    /// Returns a block (a disposed tensor's storage): reusable at once by its stream, or, when other streams used it,
    /// once their work issued so far is done.
    /// </summary>
    public void Free(ulong address)
    {
        lock (gate) FreeLocked(address);
    }

    /// <summary>
    /// Marks the block at <paramref name="address"/> as used by work on <paramref name="stream"/> too
    /// (<c>Tensor.record_stream</c>): when freed it is not reused until that stream's work issued by then is done.
    /// </summary>
    public void RecordStream(ulong address, nint stream)
    {
        lock (gate)
        {
            if (!live.TryGetValue(address, out var block))
                throw new InvalidOperationException($"{deviceName}: address 0x{address:x} is not the start of an allocated block");
            if (stream != block.Stream) (block.StreamUses ??= []).Add(stream);
        }
    }

    /// <summary>
    /// A stream is being destroyed, its work done: its segments, free or not, become the default stream's, so their
    /// blocks are not stranded in a pool no allocation asks for.
    /// </summary>
    public void RetireStream(nint stream)
    {
        if (stream == 0) return;
        lock (gate)
        {
            foreach (var pool in new[] { smallFree, largeFree })
            {
                var moved = pool.Where(b => b.Stream == stream).ToArray();
                foreach (var b in moved) { pool.Remove(b); b.Stream = 0; pool.Add(b); }
            }
            foreach (var b in live.Values) if (b.Stream == stream) b.Stream = 0;
            foreach (var (b, _) in pending) if (b.Stream == stream) b.Stream = 0;
            foreach (var b in live.Values) b.StreamUses?.Remove(stream);
        }
    }

    /// <summary>Freed blocks still waiting for other streams (tests).</summary>
    public int PendingBlocks
    {
        get { lock (gate) return pending.Count; }
    }

    /// <summary>Queues a block from a finalizer: no lock, no driver call; the next allocation takes it back.</summary>
    public void FreeFromFinalizer(ulong address) => finalized.Enqueue(address);

    /// <summary>Gives every wholly free segment back to the driver (<c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        lock (gate)
        {
            Drain();
            SynchronizeEvents();
            ReleaseCached();
        }
    }

    SortedSet<Block> Pool(bool small) => small ? smallFree : largeFree;

    Block? BestFit(long size, nint stream)
    {
        var pool = Pool(size <= SmallSize);
        var probe = new Block { Stream = stream, Size = size, Address = 0 };
        foreach (var b in pool.GetViewBetween(probe, new Block { Stream = stream, Size = long.MaxValue, Address = ulong.MaxValue })) return b;
        return null;
    }

    Block? NewSegment(long size, nint stream)
    {
        long bytes = SegmentSize(size);
        ulong address = memory.Alloc(bytes);
        if (address == 0) return null;
        reserved += bytes;
        segments++;
        var block = new Block { Address = address, Size = bytes, Small = size <= SmallSize, Stream = stream };
        Pool(block.Small).Add(block);
        return block;
    }

    void FreeLocked(ulong address)
    {
        if (!live.Remove(address, out var block))
            throw new InvalidOperationException($"{deviceName}: address 0x{address:x} is not an allocated block (freed twice?)");
        allocated -= block.Size;
        if (block.StreamUses is { Count: > 0 } uses)
        {
            // Still allocated as far as its neighbours know: nothing merges with it until the other streams are done.
            pending.Add((block, uses.Select(memory.RecordEvent).ToArray()));
            block.StreamUses = null;
            return;
        }
        Release(block);
    }

    /// <summary>Puts a block back in its pool, merged with free neighbours.</summary>
    void Release(Block block)
    {
        block.StreamUses = null;
        block.Allocated = false;
        var pool = Pool(block.Small);
        if (block.Prev is { Allocated: false } prev)
        {
            pool.Remove(prev);
            prev.Size += block.Size;
            prev.Next = block.Next;
            if (block.Next is not null) block.Next.Prev = prev;
            block = prev;
        }
        if (block.Next is { Allocated: false } next)
        {
            pool.Remove(next);
            block.Size += next.Size;
            block.Next = next.Next;
            if (next.Next is not null) next.Next.Prev = block;
        }
        pool.Add(block);
    }

    void Drain()
    {
        while (finalized.TryDequeue(out var address)) FreeLocked(address);
    }

    /// <summary>Releases the held-back blocks whose streams have finished with them.</summary>
    void ProcessEvents()
    {
        for (int i = pending.Count - 1; i >= 0; i--)
        {
            var (block, events) = pending[i];
            if (!events.All(memory.EventDone)) continue;
            foreach (var e in events) memory.DestroyEvent(e);
            pending.RemoveAt(i);
            Release(block);
        }
    }

    /// <summary>Waits for every held-back block's streams and releases them (before segments go back to the driver).</summary>
    void SynchronizeEvents()
    {
        foreach (var (block, events) in pending)
        {
            foreach (var e in events) memory.SynchronizeAndDestroyEvent(e);
            Release(block);
        }
        pending.Clear();
    }

    void ReleaseCached()
    {
        foreach (var pool in new[] { smallFree, largeFree })
            foreach (var b in pool.Where(b => b.Prev is null && b.Next is null).ToArray())
            {
                pool.Remove(b);
                memory.Free(b.Address);
                reserved -= b.Size;
                segments--;
            }
    }

    static string Mib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1 << 20):F2} MiB";
}
