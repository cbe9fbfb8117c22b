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
        var blocks = new Dictionary<ulong, long>();
        for (int step = 0; step < 5000; step++)
        {
            if (blocks.Count > 0 && rng.NextDouble() < 0.45)
            {
                var victim = blocks.Keys.ElementAt(rng.Next(blocks.Count));
                a.Free(victim);
                blocks.Remove(victim);
                continue;
            }
            long size = rng.NextDouble() < 0.7 ? rng.Next(1, 1 << 20) : rng.Next(1 << 20, 24 << 20);
            ulong at = a.Allocate(size);
            blocks[at] = SegmentAllocator.Round(size);
            // Every block lies inside one segment and overlaps no other block.
            Assert.Contains(mem.Segments, s => at >= s.Key && at + (ulong)size <= s.Key + (ulong)s.Value);
            var sorted = blocks.OrderBy(kv => kv.Key).ToArray();
            for (int i = 1; i < sorted.Length; i++) Assert.True(sorted[i - 1].Key + (ulong)sorted[i - 1].Value <= sorted[i].Key, "overlapping blocks");
            Assert.True(a.Stats.Allocated >= blocks.Values.Sum());
        }
        foreach (var b in blocks.Keys) a.Free(b);
        Assert.Equal(0, a.Stats.Allocated);
        a.EmptyCache();
        Assert.Equal(0, a.Stats.Reserved);
        Assert.Empty(mem.Segments);
    }
}
