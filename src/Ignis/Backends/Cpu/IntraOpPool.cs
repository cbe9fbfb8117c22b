namespace Ignis.Backends.Cpu;

/// <summary>
/// The intra-op thread pool: persistent workers that take numbered work items of one job at a time. After a
/// job they spin briefly for the next (kernels often run back to back) and then park, so idle processes burn
/// no CPU. Calls from inside a job run inline, which prevents oversubscription from nested parallelism.
/// </summary>
internal static class IntraOpPool
{
    sealed class Job(Action<int> body, int count)
    {
        public readonly Action<int> Body = body;
        public readonly int Count = count;
        public int Next;
        public int Done;
        public Exception? Error;
    }

    static readonly object StartLock = new();
    static Thread[] workers = [];
    static Job? current;
    static long generation;
    static int sleepers;
    static readonly SemaphoreSlim Signal = new(0);
    [ThreadStatic] static bool insideJob;

    /// <summary>Spin iterations a worker waits for the next job before parking (tens of microseconds).</summary>
    const int SpinIterations = 4000;

    /// <summary>
    /// Worker threads usable now (the caller counts as one); one inside a job, whose nested calls run inline, so a kernel
    /// called from a parallel loop plans for one thread (e.g. the 36 products of a Winograd convolution, one per thread).
    /// </summary>
    public static int Threads => insideJob ? 1 : Numerics.IntraOpThreads.Available;

    /// <summary>Runs body(0..count-1) across the pool and the calling thread; returns when all items are done.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        int threads = Threads;
        if (count == 1 || threads == 1 || insideJob || Numerics.IntraOpThreads.IsSerialThread)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        EnsureWorkers(threads - 1);
        var job = new Job(body, count);
        Volatile.Write(ref current, job);
        Interlocked.Increment(ref generation);
        int s = Interlocked.Exchange(ref sleepers, 0);
        if (s > 0) Signal.Release(s);
        Work(job);
        var spin = new SpinWait();
        while (Volatile.Read(ref job.Done) < count) spin.SpinOnce(-1);
        Volatile.Write(ref current, null);
        if (job.Error is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
    }

    static void Work(Job job)
    {
        bool was = insideJob;
        insideJob = true;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref job.Next) - 1) < job.Count)
            {
                try { job.Body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref job.Error, e, null); }
                finally { Interlocked.Increment(ref job.Done); }
            }
        }
        finally { insideJob = was; }
    }

    static void EnsureWorkers(int n)
    {
        if (workers.Length >= n) return;
        lock (StartLock)
        {
            if (workers.Length >= n) return;
            var list = workers.ToList();
            while (list.Count < n)
            {
                var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"Ignis intra-op {list.Count + 1}" };
                t.Start();
                list.Add(t);
            }
            workers = list.ToArray();
        }
    }

    static void WorkerLoop()
    {
        long seen = Interlocked.Read(ref generation);
        while (true)
        {
            long gen = WaitForGeneration(seen);
            seen = gen;
            if (Volatile.Read(ref current) is { } job) Work(job);
        }
    }

    /// <summary>Waits until a job newer than <paramref name="seen"/> is published: spin first, then park.</summary>
    static long WaitForGeneration(long seen)
    {
        for (int i = 0; i < SpinIterations; i++)
        {
            long g = Interlocked.Read(ref generation);
            if (g != seen) return g;
            Thread.SpinWait(20);
        }
        while (true)
        {
            // Count ourselves as a sleeper before the final check: a publisher either sees the count or we see its job.
            Interlocked.Increment(ref sleepers);
            long g = Interlocked.Read(ref generation);
            if (g != seen) return g;
            Signal.Wait();
            g = Interlocked.Read(ref generation);
            if (g != seen) return g;
        }
    }
}
