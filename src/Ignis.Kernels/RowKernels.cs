using System.Text;
using Ignis.Backends;

namespace Ignis.Kernels;

/// <summary>
/// Row kernels over a contiguous [rows, k] input: one work-group of <see cref="Group"/> work-items per row, each
/// work-item striding over the row, then a tree in local memory. Reductions (sum, prod, max/min with the first index,
/// variance in float64 like the CPU's two-pass formula where the device has float64), fused softmax/log-softmax and
/// their gradients. Sums are order-dependent: they agree with the CPU's pairwise sums to float rounding, not bit for bit.
/// The inclusive cumsum runs one work-item per row, in the CPU's order.
/// </summary>
internal static class RowKernels
{
    /// <summary>Work-items per row.</summary>
    public const int Group = 64;

    static string Header(KernelType[] types, bool fp64) =>
        (fp64 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : KernelType.Pragmas(types)) + KernelType.Prelude + $"#define WG {Group}\n";

    /// <summary>Kernel <c>reduce</c>: x[rows,k] → d (strided by sd) and, for max/min, int64 indices.</summary>
    public static string Reduce(ReduceOp op, KernelType x, KernelType dst, bool fp64, bool withIndices)
    {
        string acc = op == ReduceOp.Var ? (fp64 ? "double" : "float") : x.IsFloat ? x.Compute : "long";
        if (op is ReduceOp.Max or ReduceOp.Min) acc = x.Compute;
        var sb = new StringBuilder(Header([x, dst], fp64));
        sb.Append($"__kernel void reduce(long k, __global const {x.Mem}* x, long ox, __global {dst.Mem}* d, long od, long sd");
        sb.Append(withIndices ? ", __global long* ix, long oi, long si" : "");
        sb.Append($", {(fp64 ? "double" : "float")} arg)\n");
        sb.Append("{\n    long row = get_group_id(0); int lid = get_local_id(0);\n    long base = ox + row * k;\n");
        sb.Append($"    __local {acc} va[WG];\n");
        if (op is ReduceOp.Max or ReduceOp.Min)
        {
            string better = op == ReduceOp.Max ? ">" : "<";
            string Nan(string v) => x.IsFloat ? $"isnan({v})" : "false";
            sb.Append("    __local long vi[WG];\n");
            sb.Append($"    {acc} best = 0; long bi = -1;\n");
            sb.Append($"    for (long j = lid; j < k; j += WG) {{ {acc} v = {x.Load("x", "base + j")};\n");
            sb.Append($"        if (bi < 0 || (!{Nan("best")} && ({Nan("v")} || v {better} best))) {{ best = v; bi = j; }} }}\n");
            sb.Append("    va[lid] = best; vi[lid] = bi; barrier(CLK_LOCAL_MEM_FENCE);\n");
            sb.Append("    for (int s = WG / 2; s > 0; s >>= 1) {\n        if (lid < s) {\n");
            sb.Append($"            {acc} a = va[lid], b = va[lid + s]; long ia = vi[lid], ib = vi[lid + s];\n");
            sb.Append($"            bool take = ib >= 0 && (ia < 0 || ({Nan("a")} ? ({Nan("b")} && ib < ia) : ({Nan("b")} || b {better} a || (b == a && ib < ia))));\n");
            sb.Append("            if (take) { va[lid] = b; vi[lid] = ib; }\n        }\n        barrier(CLK_LOCAL_MEM_FENCE);\n    }\n");
            sb.Append("    if (lid == 0) {\n        " + dst.Store("d", "od + row * sd", dst.Convert("va[0]", x)) + "\n");
            if (withIndices) sb.Append("        ix[oi + row * si] = vi[0];\n");
            sb.Append("    }\n}\n");
            return sb.ToString();
        }
        string init = op == ReduceOp.Prod ? "1" : "0";
        string combine = op == ReduceOp.Prod ? "*" : "+";
        sb.Append($"    {acc} a = {init};\n");
        sb.Append($"    for (long j = lid; j < k; j += WG) a {combine}= ({acc}){x.Load("x", "base + j")};\n");
        sb.Append(Tree(acc, combine, "a", "va"));
        if (op == ReduceOp.Var)
        {
            sb.Append($"    {acc} mean = va[0] / ({acc})k;\n    barrier(CLK_LOCAL_MEM_FENCE);\n    {acc} m2 = 0;\n");
            sb.Append($"    for (long j = lid; j < k; j += WG) {{ {acc} e = ({acc}){x.Load("x", "base + j")} - mean; m2 += e * e; }}\n");
            sb.Append(Tree(acc, "+", "m2", "va"));
            sb.Append($"    if (lid == 0) {{ {acc} r = k == 0 ? NAN : va[0] / fmax(({acc})0, ({acc})k - ({acc})arg); " + dst.Store("d", "od + row * sd", $"({dst.Compute})r") + " }\n}\n");
            return sb.ToString();
        }
        sb.Append("    if (lid == 0) { " + dst.Store("d", "od + row * sd", $"({dst.Compute})va[0]") + " }\n}\n");
        return sb.ToString();
    }

    static string Tree(string acc, string combine, string value, string local) =>
        $"    {local}[lid] = {value}; barrier(CLK_LOCAL_MEM_FENCE);\n" +
        $"    for (int s = WG / 2; s > 0; s >>= 1) {{ if (lid < s) {local}[lid] = {local}[lid] {combine} {local}[lid + s]; barrier(CLK_LOCAL_MEM_FENCE); }}\n";

    /// <summary>Kernel <c>softmax</c>: fused, numerically stable softmax or log-softmax of each row.</summary>
    public static string Softmax(KernelType t, bool log)
    {
        string c = t.Compute;
        var sb = new StringBuilder(Header([t], false));
        sb.Append($"__kernel void softmax(long k, __global const {t.Mem}* x, long ox, __global {t.Mem}* d, long od)\n{{\n");
        sb.Append("    long row = get_group_id(0); int lid = get_local_id(0);\n    long xb = ox + row * k, db = od + row * k;\n");
        sb.Append($"    __local {c} sh[WG];\n    {c} m = -INFINITY;\n");
        sb.Append($"    for (long j = lid; j < k; j += WG) {{ {c} v = {t.Load("x", "xb + j")}; m = (isnan(v) || v > m) ? v : m; }}\n");
        sb.Append("    sh[lid] = m; barrier(CLK_LOCAL_MEM_FENCE);\n");
        sb.Append("    for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) { " + c + " o = sh[lid + s]; if (isnan(o) || o > sh[lid]) sh[lid] = o; } barrier(CLK_LOCAL_MEM_FENCE); }\n");
        // As the CPU: an all −∞ row subtracts 0 (giving NaN from 0/0); a +∞ maximum is subtracted (∞ − ∞ = NaN, as ATen).
        sb.Append($"    m = sh[0]; if (isinf(m) && m < 0) m = 0; barrier(CLK_LOCAL_MEM_FENCE);\n    {c} s = 0;\n");
        sb.Append($"    for (long j = lid; j < k; j += WG) s += exp({t.Load("x", "xb + j")} - m);\n");
        sb.Append(Tree(c, "+", "s", "sh"));
        sb.Append("    s = sh[0];\n");
        string value = log ? $"({t.Load("x", "xb + j")} - m) - log(s)" : $"exp({t.Load("x", "xb + j")} - m) / s";
        sb.Append($"    for (long j = lid; j < k; j += WG) {{ {c} r = {value}; {t.Store("d", "db + j", "r")} }}\n}}\n");
        return sb.ToString();
    }

    /// <summary>Kernel <c>softmax_bw</c>: y·(gy − Σ gy·y), or gy − exp(y)·Σ gy for log-softmax.</summary>
    public static string SoftmaxBackward(KernelType t, bool log)
    {
        string c = t.Compute;
        var sb = new StringBuilder(Header([t], false));
        sb.Append($"__kernel void softmax_bw(long k, __global const {t.Mem}* y, long oy, __global const {t.Mem}* g, long og, __global {t.Mem}* d, long od)\n{{\n");
        sb.Append("    long row = get_group_id(0); int lid = get_local_id(0);\n    long yb = oy + row * k, gb = og + row * k, db = od + row * k;\n");
        sb.Append($"    __local {c} sh[WG];\n    {c} s = 0;\n");
        string term = log ? t.Load("g", "gb + j") : $"{t.Load("g", "gb + j")} * {t.Load("y", "yb + j")}";
        sb.Append($"    for (long j = lid; j < k; j += WG) s += {term};\n");
        sb.Append(Tree(c, "+", "s", "sh"));
        sb.Append("    s = sh[0];\n");
        string value = log ? $"{t.Load("g", "gb + j")} - exp({t.Load("y", "yb + j")}) * s" : $"{t.Load("y", "yb + j")} * ({t.Load("g", "gb + j")} - s)";
        sb.Append($"    for (long j = lid; j < k; j += WG) {{ {c} r = {value}; {t.Store("d", "db + j", "r")} }}\n}}\n");
        return sb.ToString();
    }

    /// <summary>Kernel <c>cumsum</c>: one work-item per row, summing in order.</summary>
    public static string Cumsum(KernelType t, bool fp64)
    {
        // The CPU accumulates floats in float64 and integers in int64; so do we where the device has float64.
        string acc = t.IsFloat ? (fp64 ? "double" : "float") : "long";
        return Header([t], fp64 && t.IsFloat) +
            $"__kernel void cumsum(long rows, long k, __global const {t.Mem}* x, long ox, __global {t.Mem}* d, long od)\n{{\n" +
            "    long row = get_global_id(0); if (row >= rows) return;\n" +
            $"    {acc} s = 0;\n" +
            $"    for (long j = 0; j < k; j++) {{ s += {t.Load("x", "ox + row * k + j")}; {t.Store("d", "od + row * k + j", $"({t.Compute})s")} }}\n}}\n";
    }
}
