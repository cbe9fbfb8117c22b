using System.Diagnostics;

namespace Ignis;

public static partial class Torch
{
    /// <summary>Memory accounting for benchmarks and diagnostics (the CPU analogue of <c>torch.cuda.memory_stats</c>).</summary>
    public static class Memory
    {
        static long allocatedBytes;
        static long allocations;

        /// <summary>Counts a tensor buffer a backend allocated (any size).</summary>
        internal static void RecordAllocation(long bytes)
        {
            Interlocked.Add(ref allocatedBytes, bytes);
            Interlocked.Increment(ref allocations);
        }

        static Ignis.Backends.MemoryStats Cpu => Ignis.Backends.BackendRegistry.Get(Device.Cpu).GetMemoryStats(0);

        /// <summary>
        /// Bytes of CPU tensor buffers of 64 KiB or more currently held by storages (the CPU allocator's allocated bytes).
        /// A storage nobody disposed counts until the garbage collector has reclaimed it, so this is an upper bound of
        /// what tensors still reach.
        /// </summary>
        public static long LiveTensorBytes => Cpu.Allocated;

        /// <summary>High-water mark of <see cref="LiveTensorBytes"/> since start or the last <see cref="ResetPeak"/>.</summary>
        public static long PeakLiveTensorBytes => Cpu.PeakAllocated;

        /// <summary>Starts a new peak measurement at the current live bytes.</summary>
        public static void ResetPeak() => Ignis.Backends.BackendRegistry.Get(Device.Cpu).ResetPeakMemoryStats(0);

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
