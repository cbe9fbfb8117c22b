using System.Text;

namespace Ignis.Kernels;

/// <summary>
/// Sort and top-k of the rows of a contiguous [rows, n] input by ranking: a work-item per element counts the elements
/// that rank before it (by value in the requested direction, NaN above every number, ties by index), and that count is
/// its place. Ranks are unique, so the result is the CPU's stable order exactly, with no merging passes and no atomics;
/// top-k keeps the places below k. The work is n² per row, so rows longer than <see cref="MaxRow"/> use the host.
/// </summary>
internal static class SortKernels
{
    /// <summary>The longest row ranked on the device (n² comparisons per row).</summary>
    public const long MaxRow = 16384;

    /// <summary>Kernel <c>rank_sort</c>; <paramref name="t"/> is one of the CPU's sortable dtypes.</summary>
    public static string RankSort(KernelType t)
    {
        string c = t.Compute;
        var sb = new StringBuilder(KernelType.Pragmas([t]));
        // order(a, b): -1, 0, 1 with NaN the largest (ATen's order for sort and topk).
        sb.Append($"inline int ig_order({c} a, {c} b) {{\n");
        if (t.IsFloat)
            sb.Append("    bool na = isnan(a), nb = isnan(b);\n    if (na || nb) return na == nb ? 0 : na ? 1 : -1;\n");
        sb.Append("    return a < b ? -1 : a > b ? 1 : 0;\n}\n");
        sb.Append($"__kernel void rank_sort(long total, long n, long k, int desc, __global const {t.Mem}* x, long ox, __global {t.Mem}* v, long ov, __global long* ix, long oi)\n{{\n");
        sb.Append("    long g = get_global_id(0);\n    if (g >= total) return;\n    long row = g / n, i = g - row * n, base = ox + row * n;\n");
        sb.Append($"    {c} a = x[base + i];\n    long rank = 0;\n");
        sb.Append($"    for (long j = 0; j < n; j++) {{\n        int o = ig_order(x[base + j], a);\n        if (desc) o = -o;\n        rank += (o < 0 || (o == 0 && j < i)) ? 1 : 0;\n    }}\n");
        sb.Append("    if (rank < k) { v[ov + row * k + rank] = a; ix[oi + row * k + rank] = i; }\n}\n");
        return sb.ToString();
    }
}
