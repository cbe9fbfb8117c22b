using System.Text;
using Ignis.Backends;

namespace Ignis.Kernels;

/// <summary>
/// The strided elementwise kernel template: one work-item per output element walks up to eight (coalesced) dimensions
/// and reads every operand through its own strides and offset, so broadcast (stride 0), transposed and sliced operands
/// need no copies. One template serves copy/convert, fill, unary, binary, scalar, where and the masked gradient; the op
/// is an OpenCL C expression over <c>x</c>, <c>y</c>, <c>z</c> (the loaded operands, in their compute type) and the scalar
/// arguments <c>p0</c>, <c>p1</c>.
/// </summary>
internal static class Elementwise
{
    public const int MaxRank = 8;

    static readonly string[] Names = ["x", "y", "z"];

    /// <summary>Renders the kernel <c>ew</c> for the given operand types and expression.</summary>
    public static string Source(KernelType dst, KernelType[] inputs, string expr, string? scalarType, string? scalarOperand = null, bool errorWord = false)
    {
        var names = Names.Where(n => n != scalarOperand).ToArray();
        var sb = new StringBuilder();
        sb.Append(KernelType.Pragmas([dst, .. inputs]));
        if (scalarType == "double" && !inputs.Any(t => t.DType == DType.Float64)) sb.Append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
        sb.Append(KernelType.Prelude);
        sb.Append(Helpers).Append(ElementwiseOps.FloatHelpers);
        if (errorWord) sb.Append(ElementwiseOps.IntegerHelpers(inputs[0].Compute));
        sb.Append("__kernel void ew(long n, int rank, long8 shape, __global ").Append(dst.Mem).Append("* d, long od, long8 sd");
        for (int i = 0; i < inputs.Length; i++)
            sb.Append($", __global const {inputs[i].Mem}* a{i}, long o{i}, long8 s{i}v");
        if (scalarType is not null) sb.Append($", {scalarType} p0, {scalarType} p1");
        if (errorWord) sb.Append(", __global volatile int* err");
        sb.Append(")\n{\n    long i = get_global_id(0);\n    if (i >= n) return;\n    long od_ = od;\n");
        for (int i = 0; i < inputs.Length; i++) sb.Append($"    long o{i}_ = o{i};\n");
        sb.Append("    if (rank > 0) {\n        long sh[8], sdd[8];\n        vstore8(shape, 0, sh); vstore8(sd, 0, sdd);\n");
        for (int i = 0; i < inputs.Length; i++) sb.Append($"        long s{i}[8]; vstore8(s{i}v, 0, s{i});\n");
        sb.Append("        long r = i;\n        for (int k = rank - 1; k >= 0; k--) {\n            long c = r % sh[k]; r /= sh[k];\n            od_ += c * sdd[k];\n");
        for (int i = 0; i < inputs.Length; i++) sb.Append($"            o{i}_ += c * s{i}[k];\n");
        sb.Append("        }\n    }\n");
        for (int i = 0; i < inputs.Length; i++)
            sb.Append($"    {inputs[i].Compute} {names[i]} = {inputs[i].Load($"a{i}", $"o{i}_")};\n");
        if (scalarOperand is not null) sb.Append($"    {scalarType} {scalarOperand} = p0;\n");
        sb.Append("    ").Append(dst.Store("d", "od_", expr)).Append("\n}\n");
        return sb.ToString();
    }

    const string Helpers = """
        inline float ig_clamp_impl(float x, float lo, float hi) { if (!isnan(lo) && x < lo) x = lo; if (!isnan(hi) && x > hi) x = hi; return x; }
        #ifdef cl_khr_fp64
        inline double ig_clampd(double x, double lo, double hi) { if (!isnan(lo) && x < lo) x = lo; if (!isnan(hi) && x > hi) x = hi; return x; }
        #endif

        """;

    /// <summary>
    /// Merges dimensions whose strides compose in every operand and drops size-1 dimensions (as the CPU's StridedLoop
    /// does), so contiguous and simply broadcast operands become one long row. Returns the rank, or -1 above <see cref="MaxRank"/>.
    /// </summary>
    public static int Coalesce(ReadOnlySpan<long> shape, TensorView?[] views, out long[] outShape, out long[][] outStrides)
    {
        var dims = new List<int>();
        for (int d = 0; d < shape.Length; d++)
            if (shape[d] != 1) dims.Add(d);
        var sh = new List<long>();
        var st = views.Select(_ => new List<long>()).ToArray();
        foreach (int d in dims)
        {
            int last = sh.Count - 1;
            bool merge = last >= 0;
            for (int v = 0; merge && v < views.Length; v++)
                if (views[v] is { } view && st[v][last] != view.Strides[d] * shape[d]) merge = false;
            if (merge)
            {
                sh[last] *= shape[d];
                for (int v = 0; v < views.Length; v++)
                    if (views[v] is { } view) st[v][last] = view.Strides[d];
            }
            else
            {
                sh.Add(shape[d]);
                for (int v = 0; v < views.Length; v++) st[v].Add(views[v]?.Strides[d] ?? 0);
            }
        }
        outShape = [.. sh];
        outStrides = st.Select(s => s.ToArray()).ToArray();
        return sh.Count > MaxRank ? -1 : sh.Count;
    }
}
