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

    static readonly ConcurrentDictionary<(DType, int), ConcurrentBag<Array>> Free = new();
    static long pooledBytes;
    static long freshSinceCollect;

    /// <summary>Most bytes kept idle in the pool: a quarter of the memory available to the process.</summary>
    internal static long LimitBytes { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    internal static long PooledBytes => Interlocked.Read(ref pooledBytes);

    public static bool Poolable(long bytes) => bytes >= MinBytes;

    /// <summary>A zero-filled array from the pool, or a new one.</summary>
    public static Array Rent(DType dtype, int length)
    {
        int elementSize = dtype.ElementSize();
        if (Free.TryGetValue((dtype, length), out var bag) && bag.TryTake(out var a))
        {
            Interlocked.Add(ref pooledBytes, -(long)length * elementSize);
            Array.Clear(a);
            return a;
        }
        // Pooled storages die young but their finalizers only run after a collection; when a lot of fresh
        // memory has been allocated since the last one, collect the young generations to recycle them.
        if (Interlocked.Add(ref freshSinceCollect, (long)length * elementSize) > LimitBytes / 4)
        {
            Interlocked.Exchange(ref freshSinceCollect, 0);
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        }
        return NewArray(dtype, length);
    }

    /// <summary>A new zero-filled array of the dtype's CLR type.</summary>
    public static Array NewArray(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int64 => new long[length],
        DType.Int32 => new int[length],
        _ => new byte[length],
    };

    public static void Return(Array a, DType dtype)
    {
        long bytes = (long)a.Length * dtype.ElementSize();
        if (Interlocked.Add(ref pooledBytes, bytes) > LimitBytes)
        {
            Interlocked.Add(ref pooledBytes, -bytes);
            return;
        }
        Free.GetOrAdd((dtype, a.Length), _ => new ConcurrentBag<Array>()).Add(a);
    }

    /// <summary>Drops every cached buffer (<c>torch.cuda.empty_cache</c>'s CPU analogue).</summary>
    public static void Clear()
    {
        Free.Clear();
        Interlocked.Exchange(ref pooledBytes, 0);
    }
}
