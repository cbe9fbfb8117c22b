using Ignis;
using Ignis.Backends;
using Ignis.Nn;
using Ignis.Optim;
using Xunit;
using Xunit.Abstractions;
using F = Ignis.Nn.Functional;

namespace Ignis.Tests;

/// <summary>Disposable storage, dispose scopes and the caching allocator's reclaim-then-retry path.</summary>
public class StorageLifetimeTests
{
    [Fact]
    public void Dispose_returns_the_memory_at_once_and_the_tensor_becomes_unusable()
    {
        var t = Torch.Ones(1 << 16);
        long before = Torch.Host.MemoryAllocated();
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Equal(before - (4L << 16), Torch.Host.MemoryAllocated());
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        t.Dispose(); // idempotent
    }

    [Fact]
    public void A_scope_disposes_what_was_created_in_it_and_nothing_else()
    {
        var outside = Torch.Ones(1 << 16);
        Tensor inside, kept, view;
        using (var scope = DisposeScope.Enter())
        {
            inside = outside * 2;
            view = outside.View(256, 256).T;  // a view of an outer tensor: no new storage
            kept = (outside + 1).MoveToOuterDisposeScope();
            Assert.Equal(1, scope.Count);
        }
        Assert.True(inside.IsDisposed);
        Assert.False(outside.IsDisposed);
        Assert.False(view.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(2f, kept[0].Item<float>());
    }

    [Fact]
    public void Nested_scopes_move_results_outwards_one_level()
    {
        using var outer = DisposeScope.Enter();
        Tensor r;
        using (DisposeScope.Enter()) r = Torch.Zeros(10).MoveToOuterDisposeScope();
        Assert.False(r.IsDisposed);
        Assert.Equal(1, outer.Count);
        outer.Dispose();
        Assert.True(r.IsDisposed);
    }

    [Fact]
    public void Gradients_and_optimizer_state_outlive_a_step_scope()
    {
        Torch.ManualSeed(0);
        var lin = new Linear(4, 3);
        var opt = new Adam(lin.Parameters(), lr: 0.1);
        var x = Torch.Randn(5, 4);
        for (int step = 0; step < 3; step++)
        {
            using var scope = DisposeScope.Enter();
            opt.ZeroGrad(setToNone: false);
            lin.Forward(x).Pow(2).Sum().Backward();
            opt.Step();
        }
        Assert.False(lin.Weight.Grad!.IsDisposed);
        Assert.All(opt.State.Values.SelectMany(s => s.Values).OfType<Tensor>(), t => Assert.False(t.IsDisposed));
        Assert.True(lin.Weight.Abs().Sum().Item<float>() > 0);
    }

    /// <summary>A device with a fixed budget whose blocks come back only through finalizers, like GPU memory held by forgotten tensors.</summary>
    sealed class BudgetAllocator(long budget) : CachingAllocator<object>("test:0")
    {
        long used;
        protected override object? TryCreate(int kind, long bytes)
        {
            if (used + bytes > budget) return null;
            used += bytes;
            return new object();
        }
        protected override void Destroy(object block, int kind, long bytes) => used -= bytes;
        protected override long MinCachedBytes => 0;
        protected override long CollectThreshold => long.MaxValue;
        public long Used => used;
    }

    /// <summary>An unbounded device whose collection threshold is small next to one step's working set.</summary>
    sealed class StepAllocator : CachingAllocator<object>
    {
        public StepAllocator() : base("test:1") { }
        public int Created;
        protected override object? TryCreate(int kind, long bytes) { Created++; return new object(); }
        protected override long MinCachedBytes => 0;
        protected override long MaxCachedBytes => 1L << 40;
        protected override long CollectThreshold => 4L << 20;
    }

    [Fact]
    public void The_cache_keeps_a_whole_step_even_when_it_is_larger_than_the_collection_threshold()
    {
        // Three "training steps", each allocating 40 distinct 1 MiB blocks (10× the threshold) and freeing them all:
        // the second and third steps get every block back from the cache instead of creating them afresh.
        var a = new StepAllocator();
        for (int step = 0; step < 3; step++)
        {
            var held = Enumerable.Range(0, 40).Select(i => (a.Allocate(i, 1 << 20, out long b, out _), i, b)).ToList();
            foreach (var (block, kind, bytes) in held) a.Free(block, kind, bytes);
        }
        Assert.Equal(40, a.Created);
        Assert.Equal(40L << 20, a.CachedBytes);
    }

    [Fact]
    public void Blocks_given_back_through_Dispose_do_not_count_towards_a_collection()
    {
        // Each "step" hands out a 1 MiB block that comes back through Free and keeps a 64 KiB one: 40 MiB handed out
        // (ten times the threshold) but 2.5 MiB not given back, so no cache miss has reason to collect.
        var a = new StepAllocator();
        var kept = new List<object>();
        for (int step = 0; step < 40; step++)
        {
            var block = a.Allocate(0, 1 << 20, out long bytes, out _);
            kept.Add(a.Allocate(1, 64 << 10, out _, out _));
            a.Free(block, 0, bytes);
        }
        Assert.Equal(0, a.InducedCollections);
        // Past the threshold of what was not given back, the next miss collects.
        for (int i = 0; i < 40; i++) kept.Add(a.Allocate(2, 64 << 10, out _, out _));
        Assert.Equal(1, a.InducedCollections);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void Blocks_finalizers_returned_do_not_hide_later_garbage()
    {
        // A collection while 8 MiB were live, those blocks then returned by finalizers (the runtime's own collections),
        // then garbage of a new size: a miss still collects once 4 MiB more went out, instead of creating every block.
        var a = new StepAllocator();
        var live = Enumerable.Range(0, 8).Select(i => a.Allocate(0, 1 << 20, out _, out _)).ToList();
        long collections = a.InducedCollections;
        foreach (var b in live) a.FreeFromFinalizer(b, 0, 1 << 20);
        a.DrainFinalized();
        var sink = new StepSink(a);
        for (int i = 0; i < 16; i++) sink.Forget(a.Allocate(1, 1 << 20, out long bytes, out _), bytes);
        Assert.True(a.InducedCollections > collections, "no collection while garbage piled up");
        Assert.True(a.Created <= 8 + 5, $"{a.Created} blocks created: misses made new ones while garbage piled up");
    }

    /// <summary>Blocks handed to holders that become garbage at once (their finalizers queue the block back).</summary>
    sealed class StepSink(StepAllocator a)
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public void Forget(object block, long bytes) => _ = new StepHolder(a, block, bytes);
    }

    sealed class StepHolder(StepAllocator a, object block, long bytes)
    {
        ~StepHolder() => a.FreeFromFinalizer(block, 1, bytes);
    }

    sealed class Holder(BudgetAllocator a, object block, long bytes)
    {
        ~Holder() => a.FreeFromFinalizer(block, 0, bytes);
    }

    [Fact]
    public void A_full_device_collects_unreachable_holders_and_reuses_their_blocks()
    {
        var a = new BudgetAllocator(4 << 20);
        static void Forget(BudgetAllocator a)
        {
            for (int i = 0; i < 4; i++) _ = new Holder(a, a.Allocate(0, 1 << 20, out long b, out _), b);
        }
        Forget(a);
        Assert.Equal(4L << 20, a.AllocatedBytes);
        // The budget is spent on unreachable holders: a collection runs their finalizers, which queue the blocks back.
        var block = a.Allocate(0, 1 << 20, out _, out bool reused);
        Assert.True(reused);
        Assert.Equal(1L << 20, a.AllocatedBytes);
        Assert.Equal(4L << 20, a.Used);
        GC.KeepAlive(block);
    }

    [Fact]
    public void Blocks_queued_by_finalizers_are_reused_and_out_of_memory_names_the_sizes()
    {
        var a = new BudgetAllocator(4 << 20);
        var blocks = Enumerable.Range(0, 4).Select(i => a.Allocate(0, 1 << 20, out _, out _)).ToArray();
        Assert.Equal(4L << 20, a.AllocatedBytes);
        // What a storage's finalizer does: queue only. The device is full, so the next request must take a queued block.
        foreach (var b in blocks) a.FreeFromFinalizer(b, 0, 1 << 20);
        var block = a.Allocate(0, 1 << 20, out _, out bool reused);
        Assert.True(reused);
        Assert.Equal(1L << 20, a.AllocatedBytes);
        Assert.Equal(4L << 20, a.Used);
        // Nothing reclaimable is left for a larger request: the allocator collects, gives its cache back, then fails.
        long retries = a.InducedCollections;
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => a.Allocate(0, 8 << 20, out _, out _));
        Assert.True(a.InducedCollections > retries);
        Assert.Equal(1L << 20, a.Used); // the three cached blocks went back to the device before it gave up
        Assert.Contains("test:0", e.Message);
        Assert.Contains("8.00 MiB", e.Message);
        Assert.Contains("1.00 MiB allocated", e.Message);
        GC.KeepAlive(block);
    }
}

/// <summary>Runs alone: the memory counters are process-wide, so no other test may allocate meanwhile.</summary>
[CollectionDefinition(nameof(MemoryCounters), DisableParallelization = true)]
public sealed class MemoryCounters;

/// <summary>The acceptance loop: 1,000 steps of the MNIST CNN (<see cref="Net"/>) in bounded memory, with and without dispose scopes.</summary>
[Collection(nameof(MemoryCounters))]
public class TrainingMemoryTests(ITestOutputHelper output)
{
    static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _ = Torch.Host.MemoryStats(); // the allocator takes over what the finalizers queued
    }

    const int Steps = 1000, Batch = 4;

    [Fact]
    public void Thousand_steps_without_dispose_keep_reserved_memory_level()
    {
        Settle();
        Torch.ManualSeed(3);
        var model = new Net();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var images = Torch.Rand(16, Batch, 1, 28, 28);
        var labels = Torch.Randint(0, 10, [16, Batch]);
        long at100 = 0, at1000 = 0;
        for (int step = 1; step <= Steps; step++)
        {
            opt.ZeroGrad();
            F.NllLoss(model.Forward(images[step % 16]), labels[step % 16]).Backward();
            opt.Step();
            if (step % 100 == 0)
            {
                var m = Torch.Host.MemoryStats();
                output.WriteLine($"step {step}: allocated {m.Allocated / 1e6:F1} MB, reserved {m.Reserved / 1e6:F1} MB, peak {m.PeakAllocated / 1e6:F1} MB, allocator collections {m.AllocRetries}");
            }
            if (step == 100) at100 = Torch.Host.MemoryReserved();
            if (step == Steps) at1000 = Torch.Host.MemoryReserved();
        }
        output.WriteLine($"reserved after step 100: {at100 / 1e6:F1} MB, after step {Steps}: {at1000 / 1e6:F1} MB");
        Assert.True(Math.Abs(at1000 - at100) < 0.10 * at100, $"reserved {at100} B after step 100, {at1000} B after step {Steps}");
    }

    [Fact]
    public void Thousand_steps_in_dispose_scopes_keep_allocated_memory_flat_without_collections()
    {
        Torch.ManualSeed(4);
        var model = new Net();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var images = Torch.Rand(16, Batch, 1, 28, 28);
        var labels = Torch.Randint(0, 10, [16, Batch]);
        var cpu = BackendRegistry.Get(Device.Cpu);
        void Step(int step)
        {
            using var scope = DisposeScope.Enter();
            opt.ZeroGrad(setToNone: false);
            F.NllLoss(model.Forward(images[step % 16]), labels[step % 16]).Backward();
            opt.Step();
        }
        for (int step = 1; step <= 10; step++) Step(step); // warm-up: optimizer state and cached blocks exist
        Settle();
        long allocated = Torch.Host.MemoryAllocated();
        long collections = InducedCollections(), gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        for (int step = 11; step <= Steps; step++)
        {
            Step(step);
            Assert.Equal(allocated, Torch.Host.MemoryAllocated());
        }
        // The allocator never had to collect: every block came back through Dispose. (The runtime still runs its own
        // collections for small objects — tensor objects, closures — which this reports but cannot forbid.)
        output.WriteLine($"allocated {allocated / 1e6:F1} MB throughout; allocator-induced collections +{InducedCollections() - collections}; " +
                         $"runtime gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2} over {Steps - 10} steps");
        Assert.Equal(collections, InducedCollections());
        GC.KeepAlive(cpu);
    }

    [Fact]
    public void A_convolution_backward_frees_its_copy_of_the_upstream_gradient()
    {
        // The gradient of a sum reaches the convolution as expanded ones; its contiguous copy (128 KiB here, above the
        // cache's floor) goes back to the allocator when the backward returns, so only the input gradient stays held.
        var x = Torch.Randn([4, 8, 32, 32], requiresGrad: true);
        var w = Torch.Randn([8, 1, 3, 3]);
        var y = F.Conv2d(x, w, padding: [1], groups: 8);
        var s = y.Sum();
        Settle();
        long before = Torch.Host.MemoryAllocated();
        s.Backward();
        Assert.Equal(before + x.Numel * sizeof(float), Torch.Host.MemoryAllocated());
        GC.KeepAlive(y);
    }

    static long InducedCollections() => Torch.Host.MemoryStats().AllocRetries;
}
