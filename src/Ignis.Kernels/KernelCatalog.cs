using Ignis.Backends;

namespace Ignis.Kernels;

/// <summary>
/// Every kernel program the templates can render, instantiated for every op and dtype combination a backend may ask
/// for: the list the template checks walk (each builds on the OpenCL device in CI; each renders to CUDA and compiles
/// to PTX), so a template that fails for some combination fails a test even if no other test reaches it.
/// </summary>
internal static class KernelCatalog
{
    static readonly DType[] All = [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8, DType.Bool];
    static readonly DType[] Floats = [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16];
    static readonly DType[] NnFloats = [DType.Float32, DType.Float64];

    /// <summary>(name, OpenCL C source) pairs; <paramref name="fp64"/> as the device reports it.</summary>
    public static IEnumerable<(string Name, string Source)> Programs(bool fp64 = true)
    {
        var types = All.Where(d => fp64 || d != DType.Float64).Select(KernelType.Of).ToArray();
        foreach (var src in types)
            foreach (var dst in types)
                yield return ($"copy {src.DType}→{dst.DType}", Elementwise.Source(dst, [src], dst.Convert("x", src), null));
        foreach (var t in types)
        {
            yield return ($"fill {t.DType}", Elementwise.Source(t, [], "p0", t.Compute));
            yield return ($"where {t.DType}", Elementwise.Source(t, [KernelType.Of(DType.Bool), t, t], "(x != 0 ? y : z)", null));
            foreach (var op in Enum.GetValues<UnaryOp>())
            {
                if (ElementwiseOps.Unary(op, t) is not { } expr) continue;
                bool predicate = ElementwiseOps.IsPredicate(op);
                var dst = predicate ? KernelType.Of(DType.Bool) : t;
                if (!predicate) expr = dst.Convert(expr, t);
                yield return ($"unary {op} {t.DType}", Elementwise.Source(dst, [t], expr, t.Compute, null, ElementwiseOps.NeedsErrorWord(op, t)));
            }
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                if (ElementwiseOps.Binary(op, t) is not { } expr) continue;
                var dst = ElementwiseOps.IsPredicate(op) ? KernelType.Of(DType.Bool) : t;
                bool err = ElementwiseOps.NeedsErrorWord(op, t);
                yield return ($"binary {op} {t.DType}", Elementwise.Source(dst, [t, t], expr, null, null, err));
                yield return ($"binary-scalar {op} {t.DType}", Elementwise.Source(dst, [t], expr, t.Compute, "y", err));
            }
            yield return ($"gather {t.DType}", IndexKernels.Gather(t.DType));
            yield return ($"scatter {t.DType}", IndexKernels.Scatter(t, add: false));
            if (!t.DType.IsReducedFloat() && t.DType != DType.Bool) yield return ($"scatter-add {t.DType}", IndexKernels.Scatter(t, add: true));
            if (t.DType != DType.Bool && !t.DType.IsReducedFloat()) yield return ($"sort {t.DType}", SortKernels.RankSort(t));
            if (t.DType != DType.Bool)
            {
                foreach (var op in Enum.GetValues<ReduceOp>())
                {
                    if (op == ReduceOp.Var && !t.IsFloat) continue;
                    var acc = t.IsFloat || op is ReduceOp.Max or ReduceOp.Min ? t : KernelType.Of(DType.Int64);
                    bool indices = op is ReduceOp.Max or ReduceOp.Min;
                    yield return ($"reduce {op} {t.DType}", RowKernels.Reduce(op, t, acc, fp64 && op == ReduceOp.Var, indices));
                }
                yield return ($"cumsum {t.DType}", RowKernels.Cumsum(t, fp64));
            }
        }
        foreach (var t in Floats.Where(d => fp64 || d != DType.Float64).Select(KernelType.Of))
        {
            string zero = $"({t.Compute})0";
            yield return ($"masked-grad {t.DType}", Elementwise.Source(t, [t, t], $"(y <= p0 ? {zero} : x)", t.Compute));
            foreach (bool log in new[] { false, true })
            {
                yield return ($"softmax log={log} {t.DType}", RowKernels.Softmax(t, log));
                yield return ($"softmax-backward log={log} {t.DType}", RowKernels.SoftmaxBackward(t, log));
            }
            yield return ($"gemm {t.DType}", Gemm.Source(t));
            yield return ($"gemm-simple {t.DType}", GemmSimple.Source(t));
            yield return ($"conv {t.DType}", ConvKernels.Source(t));
            yield return ($"depthwise {t.DType}", ConvKernels.Depthwise(t));
            foreach (int distribution in new[] { 0, 1, 2 })
                yield return ($"random {distribution} {t.DType}", RandomKernels.Fill(t, distribution));
        }
        foreach (var t in NnFloats.Where(d => fp64 || d != DType.Float64).Select(KernelType.Of))
        {
            yield return ($"nn {t.DType}", NnKernels.Source(t, fp64));
            yield return ($"sgd {t.DType}", NnKernels.Sgd(t));
        }
    }
}
