namespace Ignis.Numerics;

/// <summary>
/// The intra-op threading policy that <c>Torch.SetNumThreads</c> sets and every backend's parallel kernels read:
/// a thread limit, and a per-thread mark for threads (data-loader workers) whose kernels must run serially.
/// </summary>
internal static class IntraOpThreads
{
    static int limit = Environment.ProcessorCount;
    [ThreadStatic] static bool serial;
    // Threads ever marked serial: while none is, no kernel reads the thread-static mark.
    static int serialThreads;

    /// <summary>Upper bound on threads one kernel uses (<c>torch.set_num_threads</c>).</summary>
    public static int Limit
    {
        get => Volatile.Read(ref limit);
        set => Volatile.Write(ref limit, value);
    }

    /// <summary>Threads a kernel may use now: 1 on serial threads, else the limit capped by the processor count.</summary>
    public static int Available => IsSerialThread ? 1 : Math.Max(1, Math.Min(Limit, Environment.ProcessorCount));

    /// <summary>Marks the calling thread so kernels called from it never fork (data-loader workers: no oversubscription).</summary>
    public static void MarkSerialThread()
    {
        if (serial) return;
        serial = true;
        Interlocked.Increment(ref serialThreads);
    }

    /// <summary>True on threads marked by <see cref="MarkSerialThread"/>.</summary>
    public static bool IsSerialThread => Volatile.Read(ref serialThreads) != 0 && serial;
}
