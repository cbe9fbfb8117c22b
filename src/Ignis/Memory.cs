using System.Diagnostics;

namespace Ignis;

public static partial class Torch
{
    /// <summary>Memory accounting for benchmarks and diagnostics (the CPU analogue of <c>torch.cuda.memory_stats</c>).</summary>
    public static class Memory
    {
        static long allocatedBytes;
        static long allocations;

        static long liveBytes, peakLiveBytes;

        internal static void RecordAllocation(long bytes)
        {
            Interlocked.Add(ref allocatedBytes, bytes);
            Interlocked.Increment(ref allocations);
        }

        /// <summary>A tracked (pooled-size) buffer became owned by a tensor storage.</summary>
        internal static void RecordLive(long bytes)
        {
            long live = Interlocked.Add(ref liveBytes, bytes);
            long peak;
            while (live > (peak = Interlocked.Read(ref peakLiveBytes)) && Interlocked.CompareExchange(ref peakLiveBytes, live, peak) != peak) { }
        }

        /// <summary>A tracked buffer's storage was reclaimed.</summary>
        internal static void RecordReleased(long bytes) => Interlocked.Add(ref liveBytes, -bytes);

        /// <summary>
        /// Bytes of tensor buffers of 64 KiB or more currently held by storages. A storage counts until the garbage
        /// collector has reclaimed it, so this is an upper bound of what tensors still reach.
        /// </summary>
        public static long LiveTensorBytes => Interlocked.Read(ref liveBytes);

        /// <summary>High-water mark of <see cref="LiveTensorBytes"/> since start or the last <see cref="ResetPeak"/>.</summary>
        public static long PeakLiveTensorBytes => Interlocked.Read(ref peakLiveBytes);

        /// <summary>Starts a new peak measurement at the current live bytes.</summary>
        public static void ResetPeak() => Interlocked.Exchange(ref peakLiveBytes, Interlocked.Read(ref liveBytes));

        /// <summary>A snapshot of tensor-storage allocation counters and the process's memory high-water marks.</summary>
        public readonly record struct Stats(long TensorBytesAllocated, long TensorAllocations, long ManagedHeapBytes, long PeakWorkingSetBytes)
        {
            /// <summary>Human-readable summary, e.g. for benchmark output.</summary>
            public override string ToString() =>
                $"tensor storage allocated {TensorBytesAllocated / 1e6:F1} MB in {TensorAllocations} buffers, managed heap {ManagedHeapBytes / 1e6:F1} MB, peak working set {PeakWorkingSetBytes / 1e6:F1} MB";
        }

        /// <summary>Current counters. Subtract two snapshots to measure one step.</summary>
        public static Stats GetStats()
        {
            using var p = Process.GetCurrentProcess();
            return new Stats(Interlocked.Read(ref allocatedBytes), Interlocked.Read(ref allocations), GC.GetTotalMemory(false), p.PeakWorkingSet64);
        }
    }
}
