using System.Collections.Concurrent;
using Ignis.Backends;

namespace Ignis.Cuda.Memory;

/// <summary>Raw device memory as the driver hands it out (<c>cuMemAlloc</c>/<c>cuMemFree</c>); a fake in tests.</summary>
internal interface IDeviceMemory
{
    /// <summary>A device address of <paramref name="bytes"/> bytes, or 0 when the device is out of memory.</summary>
    ulong Alloc(long bytes);

    /// <summary>Returns a segment to the device.</summary>
    void Free(ulong address);

    /// <summary>The device's memory, for messages.</summary>
    long TotalBytes { get; }
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
        public Block? Prev, Next;
    }

    sealed class BySizeThenAddress : IComparer<Block>
    {
        public int Compare(Block? a, Block? b) => a!.Size != b!.Size ? a.Size.CompareTo(b.Size) : a.Address.CompareTo(b.Address);
    }

    readonly SortedSet<Block> smallFree = new(new BySizeThenAddress()), largeFree = new(new BySizeThenAddress());
    readonly Dictionary<ulong, Block> live = [];
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

    /// <summary>A device address of at least <paramref name="bytes"/> bytes.</summary>
    public ulong Allocate(long bytes)
    {
        long size = Round(bytes);
        lock (gate)
        {
            Drain();
            var block = BestFit(size) ?? NewSegment(size);
            if (block is null)
            {
                // The driver has no room: take back what the GC can reclaim, then give idle segments back, then retry.
                retries++;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Drain();
                block = BestFit(size);
                if (block is null)
                {
                    ReleaseCached();
                    block = NewSegment(size) ?? throw new DeviceOutOfMemoryException(
                        $"CUDA out of memory. Tried to allocate {Mib(size)} ({deviceName}; {Mib(memory.TotalBytes)} total capacity; " +
                        $"{Mib(allocated)} already allocated; {Mib(reserved)} reserved in total by Ignis). " +
                        "Free tensors with Dispose() or a dispose scope, or use a smaller batch.");
                }
            }
            Pool(block.Small).Remove(block);
            long rest = block.Size - size;
            if (block.Small ? rest >= MinBlock : rest > SmallSize)
            {
                var tail = new Block { Address = block.Address + (ulong)size, Size = rest, Small = block.Small, Prev = block, Next = block.Next };
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

    /// <summary>Returns a block (a disposed tensor's storage); it is reusable at once.</summary>
    public void Free(ulong address)
    {
        lock (gate) FreeLocked(address);
    }

    /// <summary>Queues a block from a finalizer: no lock, no driver call; the next allocation takes it back.</summary>
    public void FreeFromFinalizer(ulong address) => finalized.Enqueue(address);

    /// <summary>Gives every wholly free segment back to the driver (<c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        lock (gate)
        {
            Drain();
            ReleaseCached();
        }
    }

    SortedSet<Block> Pool(bool small) => small ? smallFree : largeFree;

    Block? BestFit(long size)
    {
        var pool = Pool(size <= SmallSize);
        var probe = new Block { Size = size, Address = 0 };
        foreach (var b in pool.GetViewBetween(probe, new Block { Size = long.MaxValue, Address = ulong.MaxValue })) return b;
        return null;
    }

    Block? NewSegment(long size)
    {
        long bytes = SegmentSize(size);
        ulong address = memory.Alloc(bytes);
        if (address == 0) return null;
        reserved += bytes;
        segments++;
        var block = new Block { Address = address, Size = bytes, Small = size <= SmallSize };
        Pool(block.Small).Add(block);
        return block;
    }

    void FreeLocked(ulong address)
    {
        if (!live.Remove(address, out var block))
            throw new InvalidOperationException($"{deviceName}: address 0x{address:x} is not an allocated block (freed twice?)");
        allocated -= block.Size;
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
