using System.Runtime.CompilerServices;
namespace Ignis.Backends.Cpu;

/// <summary>
/// Walks N operands that share a shape, one innermost row at a time. Adjacent dimensions whose strides
/// compose are merged first, so contiguous and simply-broadcast tensors become a single long row that
/// the kernels hand to vectorised span routines; per-element index arithmetic happens only for
/// genuinely strided layouts.
/// </summary>
internal static class StridedLoop
{
    /// <summary>Processes one row: <paramref name="offs"/> are the first element of each operand.</summary>
    internal delegate void Row(long[] offs, long[] innerStrides, int n);

    const long ParallelGrain = 1 << 15;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(long[] shape, long[][] strides, long[] offsets, Row body)
    {
        int nops = strides.Length;
        long numel = 1;
        foreach (long s in shape) numel *= s;
        if (numel == 0) return;

        var sizes = new List<long>(shape.Length);
        var st = new List<long[]>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var cur = new long[nops];
            for (int k = 0; k < nops; k++) cur[k] = strides[k][d];
            if (sizes.Count > 0)
            {
                var prev = st[^1];
                bool merge = true;
                for (int k = 0; k < nops && merge; k++) merge = prev[k] == cur[k] * shape[d];
                if (merge)
                {
                    sizes[^1] *= shape[d];
                    st[^1] = cur;
                    continue;
                }
            }
            sizes.Add(shape[d]);
            st.Add(cur);
        }
        if (sizes.Count == 0)
        {
            sizes.Add(1);
            st.Add(new long[nops]);
        }

        int nd = sizes.Count;
        long inner = sizes[nd - 1];
        long[] innerStrides = st[nd - 1];
        long rows = numel / inner;
        int workers = numel >= ParallelGrain ? Numerics.IntraOpThreads.Available : 1;

        if (rows == 1)
        {
            if (workers <= 1)
            {
                body((long[])offsets.Clone(), innerStrides, (int)inner);
                return;
            }
            long chunk = (inner + workers - 1) / workers;
            IntraOpPool.For(workers, w =>
            {
                long start = w * chunk, len = Math.Min(chunk, inner - start);
                if (len <= 0) return;
                var o = new long[nops];
                for (int k = 0; k < nops; k++) o[k] = offsets[k] + start * innerStrides[k];
                body(o, innerStrides, (int)len);
            });
            return;
        }

        void DoRows(long r0, long r1)
        {
            var idx = new long[nd - 1];
            var offs = new long[nops];
            var call = new long[nops];
            long rem = r0;
            for (int d = nd - 2; d >= 0; d--)
            {
                idx[d] = rem % sizes[d];
                rem /= sizes[d];
            }
            for (int k = 0; k < nops; k++)
            {
                offs[k] = offsets[k];
                for (int d = 0; d < nd - 1; d++) offs[k] += idx[d] * st[d][k];
            }
            for (long r = r0; r < r1; r++)
            {
                Array.Copy(offs, call, nops);
                body(call, innerStrides, (int)inner);
                for (int d = nd - 2; d >= 0; d--)
                {
                    idx[d]++;
                    var sd = st[d];
                    for (int k = 0; k < nops; k++) offs[k] += sd[k];
                    if (idx[d] < sizes[d]) break;
                    for (int k = 0; k < nops; k++) offs[k] -= sd[k] * sizes[d];
                    idx[d] = 0;
                }
            }
        }

        if (workers > 1 && rows > 1)
        {
            int chunks = (int)Math.Min(rows, workers * 4);
            long per = (rows + chunks - 1) / chunks;
            IntraOpPool.For(chunks, c =>
            {
                long r0 = c * per, r1 = Math.Min(rows, r0 + per);
                if (r0 < r1) DoRows(r0, r1);
            });
        }
        else DoRows(0, rows);
    }

    /// <summary>Runs <paramref name="body"/> over [0, n) in parallel chunks when the work is large enough.</summary>
    public static void ParallelRange(long n, long costPerItem, Action<long, long> body)
    {
        int workers = n < 2 || n * costPerItem < ParallelGrain ? 1 : Numerics.IntraOpThreads.Available;
        if (workers <= 1)
        {
            body(0, n);
            return;
        }
        int chunks = (int)Math.Min(n, workers * 4);
        long per = (n + chunks - 1) / chunks;
        IntraOpPool.For(chunks, c =>
        {
            long a = c * per, b = Math.Min(n, a + per);
            if (a < b) body(a, b);
        });
    }
}
