using System.Text;

namespace Ignis.Kernels;

/// <summary>
/// Gather, scatter and scatter-add along one dimension, over up to eight dimensions of the index tensor, every operand
/// read through its own strides. Gather runs a work-item per index element. Scatter and scatter-add run a work-item per
/// line along <c>dim</c> and walk the line in order: lines write disjoint destination elements, so no atomics are
/// needed, and each destination element receives its contributions in the CPU's order — sums are bit-identical and,
/// for scatter, the last duplicate wins as on the CPU. An out-of-range index is not written; its row-major position
/// goes to an error word (<c>atomic_min</c>, so the host reports the first one, as the CPU does).
/// </summary>
internal static class IndexKernels
{
    /// <summary>The integer type of an element's size: gather and scatter move bits, so float64 needs no cl_khr_fp64.</summary>
    public static string Bits(DType t) => t.ElementSize() switch { 8 => "ulong", 4 => "uint", 2 => "ushort", _ => "uchar" };

    const string Walk = """
            long sh[8], ca[8], cb[8], cc[8], rm[8];
            vstore8(shape, 0, sh); vstore8(sa, 0, ca); vstore8(sb, 0, cb); vstore8(sc, 0, cc); vstore8(rmv, 0, rm);
            long pa = oa, pb = ob, pc = oc, lin = 0, r = g;
            for (int k = rank - 1; k >= 0; k--) {
                long q = r % sh[k]; r /= sh[k];
                pa += q * ca[k]; pb += q * cb[k]; pc += q * cc[k]; lin += q * rm[k];
            }

        """;

    /// <summary>Kernel <c>gather</c>: d[pc] = x[pa + i·xsd] with i = ix[pb]; a = x (dim stride zeroed), b = index, c = dst.</summary>
    public static string Gather(DType t)
    {
        string e = Bits(t);
        var sb = new StringBuilder();
        sb.Append($"__kernel void gather(long n, int rank, long8 shape, long8 rmv, long size, long xsd,\n");
        sb.Append($"    __global const {e}* x, long oa, long8 sa, __global const long* ix, long ob, long8 sb, __global {e}* d, long oc, long8 sc,\n");
        sb.Append("    __global volatile int* err)\n{\n    long g = get_global_id(0);\n    if (g >= n) return;\n");
        sb.Append(Walk);
        sb.Append("    long i = ix[pb];\n    if (i < -size || i >= size) { atomic_min(err, (int)lin); return; }\n");
        sb.Append("    if (i < 0) i += size;\n    d[pc] = x[pa + i * xsd];\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Kernel <c>scatter</c>: for each line (the index shape with dim's extent 1), for j along dim, d[pa + i·dsd] ← s[pc + j·ssd]
    /// (assigned, or added when <paramref name="add"/>) with i = ix[pb + j·isd]; a = dst (dim stride zeroed), b = index, c = src.
    /// </summary>
    public static string Scatter(KernelType t, bool add)
    {
        string e = add ? t.Mem : Bits(t.DType);
        var sb = new StringBuilder(add ? KernelType.Pragmas([t]) : "");
        sb.Append("__kernel void scatter(long n, int rank, long8 shape, long8 rmv, long size, long len, long dsd, long isd, long ssd, long rmd,\n");
        sb.Append($"    __global {e}* d, long oa, long8 sa, __global const long* ix, long ob, long8 sb, __global const {e}* s, long oc, long8 sc,\n");
        sb.Append("    __global volatile int* err)\n{\n    long g = get_global_id(0);\n    if (g >= n) return;\n");
        sb.Append(Walk);
        sb.Append("    for (long j = 0; j < len; j++) {\n        long i = ix[pb + j * isd];\n");
        sb.Append("        if (i < -size || i >= size) { atomic_min(err, (int)(lin + j * rmd)); return; }\n");
        sb.Append("        if (i < 0) i += size;\n");
        sb.Append(add ? $"        d[pa + i * dsd] = ({e})(d[pa + i * dsd] + s[pc + j * ssd]);\n" : "        d[pa + i * dsd] = s[pc + j * ssd];\n");
        sb.Append("    }\n}\n");
        return sb.ToString();
    }
}
