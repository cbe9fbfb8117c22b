using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>Row sorting and top-k over a contiguous [rows, n] input; rows in parallel.</summary>
internal static class SortKernels
{
    /// <summary>
    /// Sorts each row (k &lt; 0) or selects its best k entries (k ≥ 0), best first. Ties keep index order; NaN ranks above
    /// every number (ATen's order for sort and topk). For small k a bounded heap keeps the selection O(n log k).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sort<T>(TensorView x, TensorView values, TensorView indices, bool descending, int k) where T : unmanaged, INumber<T>
    {
        T[] xs = CpuBackend.Data<T>(x), vs = CpuBackend.Data<T>(values);
        long[] ix = CpuBackend.Data<long>(indices);
        long rows = x.shape[0];
        int n = (int)x.shape[1], take = k < 0 ? n : k;
        long xo = x.offset, vo = values.offset, io = indices.offset;
        StridedLoop.ParallelRange(rows, Math.Max(1, n) * 8L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            var order = new int[n];
            for (long r = r0; r < r1; r++)
            {
                int b0 = (int)(xo + r * n);
                // "a ranks before b": by value in the requested direction, then by index so equal values stay stable.
                int Compare(int a, int b)
                {
                    int c = Order(xs[b0 + a], xs[b0 + b]);
                    if (descending) c = -c;
                    return c != 0 ? c : a.CompareTo(b);
                }
                int chosen;
                if (k >= 0 && (long)k * 8 < n) chosen = HeapSelect(n, k, order, Compare);
                else
                {
                    for (int i = 0; i < n; i++) order[i] = i;
                    order.AsSpan().Sort(Compare);
                    chosen = take;
                }
                for (int j = 0; j < chosen; j++)
                {
                    vs[vo + r * take + j] = xs[b0 + order[j]];
                    ix[io + r * take + j] = order[j];
                }
            }
        });
    }

    // Total order with NaN above +∞ (ATen sorts NaN last ascending, first descending).
    static int Order<T>(T a, T b) where T : INumber<T>
    {
        bool na = T.IsNaN(a), nb = T.IsNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a < b ? -1 : a > b ? 1 : 0;
    }

    // The k best of n indices into order[0..k), best first: a max-heap (by rank) of the best seen so far.
    static int HeapSelect(int n, int k, int[] order, Comparison<int> rank)
    {
        if (k == 0) return 0;
        var heap = order.AsSpan(0, k);
        for (int i = 0; i < k; i++) { heap[i] = i; SiftUp(heap, i, rank); }
        for (int i = k; i < n; i++)
            if (rank(i, heap[0]) < 0) { heap[0] = i; SiftDown(heap, 0, k, rank); }
        heap.Sort(rank);
        return k;
    }

    // Heap order: the root is the worst-ranked element kept.
    static void SiftUp(Span<int> h, int i, Comparison<int> rank)
    {
        while (i > 0)
        {
            int p = (i - 1) / 2;
            if (rank(h[i], h[p]) <= 0) return;
            (h[i], h[p]) = (h[p], h[i]);
            i = p;
        }
    }

    static void SiftDown(Span<int> h, int i, int size, Comparison<int> rank)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && rank(h[l], h[worst]) > 0) worst = l;
            if (r < size && rank(h[r], h[worst]) > 0) worst = r;
            if (worst == i) return;
            (h[i], h[worst]) = (h[worst], h[i]);
            i = worst;
        }
    }
}
