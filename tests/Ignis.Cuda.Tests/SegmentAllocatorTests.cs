using Ignis.Backends;
using Ignis.Cuda.Memory;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>The CUDA caching allocator on a fake device: PyTorch's pools, rounding, splitting, merging and OOM recovery.</summary>
public class SegmentAllocatorTests
{
    const long MiB = 1 << 20;

    /// <summary>Device memory with a capacity; segments get distinct, widely spaced addresses and are tracked.</summary>
    sealed class FakeMemory(long capacity) : IDeviceMemory
    {
        public readonly Dictionary<ulong, long> Segments = [];
        ulong next = 0x7f00_0000_0000;
        public int Allocs, Frees;
        public long TotalBytes => capacity;
        public long Used => Segments.Values.Sum();

        public ulong Alloc(long bytes)
        {
            if (Used + bytes > capacity) return 0;
            ulong a = next;
            next += (ulong)bytes + (1 << 30);
            Segments[a] = bytes;
            Allocs++;
            return a;
        }

        public void Free(ulong address)
        {
            Assert.True(Segments.Remove(address), "freed a segment that was not allocated");
            Frees++;
        }

        /// <summary>Events by handle: the stream each was recorded on and whether its work is done (tests complete them).</summary>
        public readonly Dictionary<nint, (nint Stream, bool Done)> Events = [];
        public readonly List<string> EventLog = [];
        nint nextEvent = 0x9000;

        public nint RecordEvent(nint stream)
        {
            nint e = nextEvent++;
            Events[e] = (stream, false);
            EventLog.Add($"record {e} on {stream}");
            return e;
        }

        public bool EventDone(nint e) => Events[e].Done;

        public void SynchronizeAndDestroyEvent(nint e)
        {
            EventLog.Add($"sync {e}");
            DestroyEvent(e);
        }

        public void DestroyEvent(nint e)
        {
            Assert.True(Events.Remove(e), "destroyed an unknown event");
            EventLog.Add($"destroy {e}");
        }

        /// <summary>The work recorded on <paramref name="stream"/> so far is done.</summary>
        public void Complete(nint stream)
        {
            foreach (var (e, v) in Events.ToArray()) if (v.Stream == stream) Events[e] = (stream, true);
        }
    }

    const nint S1 = 0x5001, S2 = 0x5002;

    [Fact]
    public void A_block_freed_on_one_stream_is_reused_by_that_stream_only()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(4096, S1);
        a.Free(x);
        ulong y = a.Allocate(4096, S2); // another stream's work is not ordered after x's last use: a segment of its own
        Assert.Equal(2, mem.Allocs);
        Assert.Contains(mem.Segments, s => y >= s.Key && y < s.Key + (ulong)s.Value && !(x >= s.Key && x < s.Key + (ulong)s.Value));
        Assert.Equal(x, a.Allocate(4096, S1));
        Assert.Equal(y + 4096, a.Allocate(100, S2)); // splits of S2's segment stay S2's
        Assert.Equal(2, mem.Allocs);
    }

    [Fact]
    public void A_block_recorded_on_another_stream_waits_for_that_streams_work_before_reuse()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(4096, S1);
        a.RecordStream(x, S2);
        a.RecordStream(x, S1); // its own stream: nothing to wait for
        a.Free(x);
        Assert.Equal(0, a.Stats.Allocated); // freed as far as memory_allocated goes, as in PyTorch
        Assert.Equal(1, a.PendingBlocks);
        Assert.Equal(["record 36864 on 20482"], mem.EventLog); // one event, on S2 only
        ulong y = a.Allocate(4096, S1);
        Assert.NotEqual(x, y); // S2 may still be reading x
        a.Free(y);
        mem.Complete(S2);
        Assert.Equal(x, a.Allocate(4096, S1)); // S2 is done: x is back (and merged with y's block)
        Assert.Equal(0, a.PendingBlocks);
        Assert.Empty(mem.Events); // the event was destroyed
        Assert.Throws<InvalidOperationException>(() => a.RecordStream(x + 512, S2)); // not the start of a block
    }

    [Fact]
    public void Empty_cache_waits_for_held_back_blocks_and_returns_their_segments()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(3 << 20, S1);
        a.RecordStream(x, S2);
        a.Free(x);
        a.EmptyCache();
        Assert.Equal(["record 36864 on 20482", "sync 36864", "destroy 36864"], mem.EventLog);
        Assert.Empty(mem.Segments);
        Assert.Equal(0, a.PendingBlocks);
    }

    [Fact]
    public void A_retired_streams_segments_serve_the_default_stream()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(4096, S1), kept = a.Allocate(4096, S1);
        a.Free(x);
        a.RetireStream(S1);
        Assert.Equal(x, a.Allocate(4096)); // the default stream takes the free block
        a.Free(kept);
        Assert.Equal(kept, a.Allocate(4096)); // and the blocks that were live at retirement, once freed
        Assert.Equal(1, mem.Allocs);
    }

    [Fact]
    public void Small_requests_share_a_two_mib_segment_in_512_byte_steps()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(1), y = a.Allocate(513), z = a.Allocate(4096);
        Assert.Equal(1, mem.Allocs);
        Assert.Equal(2 * MiB, mem.Segments.Single().Value);
        Assert.Equal(512UL, y - x);
        Assert.Equal(1024UL, z - y);
        Assert.Equal(512 + 1024 + 4096, a.Stats.Allocated);
        Assert.Equal(2 * MiB, a.Stats.Reserved);
    }

    [Fact]
    public void A_freed_block_is_reused_and_neighbours_merge_back_into_the_segment()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong b1 = a.Allocate(3 * MiB);  // a 20 MiB segment, split: 17 MiB remain free
        ulong b2 = a.Allocate(5 * MiB);  // from the remainder, no new segment
        Assert.Equal(1, mem.Allocs);
        Assert.Equal(b1 + 3 * MiB, b2);
        a.Free(b1);
        Assert.Equal(b1, a.Allocate(2 * MiB)); // best fit: the 3 MiB hole (2 MiB + a 1 MiB rest is not split off)
        a.Free(b1);
        a.Free(b2);
        a.EmptyCache(); // everything merged into one free 20 MiB block: the segment goes back
        Assert.Equal(1, mem.Frees);
        Assert.Equal(0, a.Stats.Reserved);
        Assert.Empty(mem.Segments);
    }

    [Fact]
    public void Large_requests_round_to_two_mib_and_slivers_of_a_mib_or_less_are_not_split_off()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        a.Allocate(11 * MiB);
        Assert.Equal(12 * MiB, mem.Segments.Values.Single());
        var b = new SegmentAllocator(new FakeMemory(1L << 32), "cuda:0");
        b.Allocate(19 * MiB + MiB / 2); // a 20 MiB segment; the 0.5 MiB rest stays with the block
        Assert.Equal(20 * MiB, b.Stats.Allocated);
    }

    [Fact]
    public void Out_of_memory_releases_idle_segments_then_reports_pytorchs_message()
    {
        var mem = new FakeMemory(40 * MiB);
        var a = new SegmentAllocator(mem, "cuda:0");
        a.Free(a.Allocate(15 * MiB)); // an idle 20 MiB segment stays cached
        ulong big = a.Allocate(30 * MiB); // needs the cached segment given back first
        Assert.NotEqual(0UL, big);
        Assert.Equal(1, mem.Frees);
        Assert.Equal(1, a.Stats.AllocRetries);
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => a.Allocate(30 * MiB));
        Assert.Equal("CUDA out of memory. Tried to allocate 30.00 MiB (cuda:0; 40.00 MiB total capacity; 30.00 MiB already allocated; " +
            "30.00 MiB reserved in total by Ignis). Free tensors with Dispose() or a dispose scope, or use a smaller batch.", e.Message);
    }

    [Fact]
    public void Blocks_freed_by_finalizers_come_back_on_the_next_allocation()
    {
        var mem = new FakeMemory(1L << 32);
        var a = new SegmentAllocator(mem, "cuda:0");
        ulong x = a.Allocate(1000);
        a.FreeFromFinalizer(x);
        Assert.Equal(1024, a.Stats.Allocated); // only queued
        Assert.Equal(x, a.Allocate(1000));
        Assert.Equal(1, mem.Allocs);
        Assert.Throws<InvalidOperationException>(() => { a.Free(x); a.Free(x); });
    }

    [Fact]
    public void Random_traffic_never_overlaps_blocks_and_returns_everything()
    {
        var mem = new FakeMemory(1L << 34);
        var a = new SegmentAllocator(mem, "cuda:0");
        var rng = new Random(12);
        var blocks = new Dictionary<ulong, (long Size, nint Stream)>();
        // Blocks freed while another stream still used them: nothing may be placed over them until that stream is done.
        var held = new List<(ulong At, long Size, nint Waits)>();
        nint[] streams = [0, S1, S2];
        for (int step = 0; step < 5000; step++)
        {
            if (rng.NextDouble() < 0.05)
            {
                nint done = streams[rng.Next(3)];
                mem.Complete(done);
                held.RemoveAll(h => h.Waits == done);
            }
            if (blocks.Count > 0 && rng.NextDouble() < 0.45)
            {
                var victim = blocks.Keys.ElementAt(rng.Next(blocks.Count));
                if (rng.NextDouble() < 0.2)
                {
                    nint user = streams[rng.Next(3)];
                    a.RecordStream(victim, user);
                    if (user != blocks[victim].Stream) held.Add((victim, blocks[victim].Size, user));
                }
                a.Free(victim);
                blocks.Remove(victim);
                continue;
            }
            long size = rng.NextDouble() < 0.7 ? rng.Next(1, 1 << 20) : rng.Next(1 << 20, 24 << 20);
            nint stream = streams[rng.Next(3)];
            ulong at = a.Allocate(size, stream);
            blocks[at] = (SegmentAllocator.Round(size), stream);
            // Every block lies inside one segment and overlaps no other block, live or held back.
            Assert.Contains(mem.Segments, s => at >= s.Key && at + (ulong)size <= s.Key + (ulong)s.Value);
            var sorted = blocks.Select(kv => (At: kv.Key, kv.Value.Size)).Concat(held.Select(h => (h.At, h.Size))).OrderBy(b => b.At).ToArray();
            for (int i = 1; i < sorted.Length; i++) Assert.True(sorted[i - 1].At + (ulong)sorted[i - 1].Size <= sorted[i].At, "overlapping blocks");
            Assert.True(a.Stats.Allocated >= blocks.Values.Sum(b => b.Size));
        }
        foreach (var b in blocks.Keys) a.Free(b);
        Assert.Equal(0, a.Stats.Allocated);
        a.EmptyCache();
        Assert.Empty(mem.Events);
        Assert.Equal(0, a.Stats.Reserved);
        Assert.Empty(mem.Segments);
    }
}
