using System.Collections.Concurrent;

namespace Ignis.Backends.Cpu;

/// <summary>
/// Caches tensor buffers by element type and exact length. Training steps allocate the same activation and
/// gradient sizes every step; reusing the arrays avoids zeroing and page-faulting fresh memory and keeps large
/// allocations from driving full garbage collections. Arrays come back from <see cref="CpuStorage"/>'s finalizer.
/// </summary>
internal static class BufferPool
{
    /// <summary>Buffers smaller than this many bytes are cheaper to allocate than to pool.</summary>
    const long MinBytes = 64 * 1024;

    /// <summary>Idle buffers of one size class and when that class was last rented from or returned to.</summary>
    sealed class SizeClass
    {
        public readonly ConcurrentStack<Array> Items = new();
        public long LastUsed;
    }

    static readonly ConcurrentDictionary<(DType, int), SizeClass> Free = new();
    static long clock;
    static long pooledBytes;
    static long freshSinceCollect;

    /// <summary>Most bytes kept idle in the pool: an eighth of the memory available to the process, at most 4 GiB.</summary>
    internal static long LimitBytes { get; set; } = Math.Min(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8, 4L << 30);

    internal static long PooledBytes => Interlocked.Read(ref pooledBytes);

    public static bool Poolable(long bytes) => bytes >= MinBytes;

    /// <summary>A zero-filled array from the pool, or a new one.</summary>
    public static Array Rent(DType dtype, int length, bool zeroed = true)
    {
        int elementSize = dtype.ElementSize();
        if (Free.TryGetValue((dtype, length), out var cls) && cls.Items.TryPop(out var a))
        {
            cls.LastUsed = Interlocked.Increment(ref clock);
            Interlocked.Add(ref pooledBytes, -(long)length * elementSize);
            if (zeroed) Array.Clear(a);
            return a;
        }
        // Pooled storages die young but their finalizers only run after a collection; when a lot of fresh
        // memory has been allocated since the last one, collect the young generations to recycle them.
        if (Interlocked.Add(ref freshSinceCollect, (long)length * elementSize) > Math.Min(LimitBytes / 4, 256L << 20))
        {
            Interlocked.Exchange(ref freshSinceCollect, 0);
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        }
        return NewArray(dtype, length);
    }

    /// <summary>A new zero-filled array of the dtype's CLR type.</summary>
    public static Array NewArray(DType dtype, int length) => HostArrays.New(dtype, length);

    public static void Return(Array a, DType dtype)
    {
        long bytes = (long)a.Length * dtype.ElementSize();
        if (bytes > LimitBytes) return;
        var cls = Free.GetOrAdd((dtype, a.Length), _ => new SizeClass());
        cls.LastUsed = Interlocked.Increment(ref clock);
        cls.Items.Push(a);
        if (Interlocked.Add(ref pooledBytes, bytes) > LimitBytes) Evict();
    }

    /// <summary>Drops whole size classes, least recently used first, until the pool is back under its limit.</summary>
    static void Evict()
    {
        lock (Free)
        {
            foreach (var (key, cls) in Free.OrderBy(kv => kv.Value.LastUsed).ToArray())
            {
                if (Interlocked.Read(ref pooledBytes) <= LimitBytes * 3 / 4) break;
                long each = (long)key.Item2 * key.Item1.ElementSize();
                while (cls.Items.TryPop(out _)) Interlocked.Add(ref pooledBytes, -each);
            }
        }
    }

    /// <summary>Drops every cached buffer (<c>torch.cuda.empty_cache</c>'s CPU analogue).</summary>
    public static void Clear()
    {
        Free.Clear();
        Interlocked.Exchange(ref pooledBytes, 0);
    }
}
