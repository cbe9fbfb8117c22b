using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>The CPU's caching allocator: reuse after tensors die, zeroed on reuse, and safe under concurrent collection.</summary>
public class CpuAllocatorTests
{
    [Fact]
    public void Buffers_of_dead_tensors_are_reused_and_come_back_zeroed()
    {
        const int n = 1 << 16;
        static void Drop()
        {
            for (int i = 0; i < 8; i++) Torch.Full([n + 7], 3.0);
        }
        Drop();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        static long Cached() { var m = Torch.Host.MemoryStats(); return m.Reserved - m.Allocated; }
        long pooled = Cached();
        Assert.True(pooled >= (n + 7) * 4L, $"pooled {pooled}");
        var fresh = Torch.Zeros(n + 7);
        Assert.True(Cached() < pooled);
        Assert.Equal(0f, fresh.Abs().Max().Item<float>());
    }

    [Fact]
    public void Kernels_stay_correct_while_collections_recycle_buffers()
    {
        const int rounds = 12;
        using var done = new CancellationTokenSource();
        var gc = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Thread.Sleep(1);
            }
        });
        var workers = Enumerable.Range(0, 3).Select(seed => Task.Run(() =>
        {
            var rng = new Random(seed);
            for (int r = 0; r < rounds; r++)
            {
                int len = 20000 + rng.Next(50000);
                float v = rng.Next(1, 100);
                // Temporaries die immediately; their buffers get recycled while later kernels run.
                var y = (Torch.Full([len], v) * 2 + 1).Relu().Sum().Item<float>();
                Assert.Equal((2 * v + 1) * len, y, (2 * v + 1) * len * 1e-5f);
                var m = Torch.Full([64, len / 64], v).Mm(Torch.Ones(len / 64, 8));
                Assert.Equal(v * (len / 64), m[0, 0].Item<float>());
                Assert.Equal(v * (len / 64), m[63, 7].Item<float>());
            }
        })).ToArray();
        try { Assert.True(Task.WaitAll(workers, TimeSpan.FromMinutes(2)), "workers did not finish"); }
        finally
        {
            done.Cancel();
            gc.Wait();
        }
    }
}
