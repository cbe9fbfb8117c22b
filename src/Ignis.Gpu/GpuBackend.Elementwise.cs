using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Copy, fill, unary, binary, scalar, where and the masked gradient: one strided template (Kernels/Elementwise.cs).
internal sealed partial class GpuBackend
{
    void ZeroFill(GpuStorage s)
    {
        if (s.Length > 0) Fill(TensorView.Contiguous(s, [s.Length]), 0);
    }

    /// <summary>
    /// Runs the elementwise template over dst's shape; false when it cannot (more than eight non-mergeable dimensions),
    /// so the caller falls back. Scalars are passed in <paramref name="scalarType"/> (the op's compute type).
    /// </summary>
    bool RunElementwise(TensorView dst, TensorView[] inputs, string expr, string? scalarType = null, double p0 = 0, double p1 = 0, long l0 = 0, long l1 = 0,
        string? scalarOperand = null, bool errorWord = false)
    {
        if (dst.Numel == 0) return true;
        var views = new TensorView?[inputs.Length + 1];
        views[0] = dst;
        for (int i = 0; i < inputs.Length; i++) views[i + 1] = inputs[i];
        int rank = Elementwise.Coalesce(dst.Shape, views, out var shape, out var strides);
        if (rank < 0) return false;
        var device = DeviceOf(dst);
        foreach (var v in inputs)
            if (DeviceOf(v) != device) throw new ArgumentException($"elementwise operands on {v.Device} and {dst.Device}");
        var types = inputs.Select(v => KernelType.Of(v.DType)).ToArray();
        var dt = KernelType.Of(dst.DType);
        if (NeedsFp64(device, [dt, .. types], scalarType)) return false;
        string program = string.Join('\u001f', "ew", dt.DType.Kind, string.Join(',', types.Select(x => x.DType.Kind)), scalarType, scalarOperand, errorWord, expr);
        var kernel = Kernel(device, program, "ew", () => Elementwise.Source(dt, types, expr, scalarType, scalarOperand, errorWord));
        var args = new KernelArgs();
        args.Long(dst.Numel);
        args.Int(rank);
        args.Long8(shape, 1);
        args.Buffer(dst.Storage);
        args.Long(dst.Offset);
        args.Long8(strides[0]);
        for (int i = 0; i < inputs.Length; i++)
        {
            args.Buffer(inputs[i].Storage);
            args.Long(inputs[i].Offset);
            args.Long8(strides[i + 1]);
        }
        if (scalarType is not null)
        {
            args.Scalar(scalarType, p0, l0);
            args.Scalar(scalarType, p1, l1);
        }
        if (errorWord) args.Buffer(device.ErrorWord);
        device.Launch(kernel, args, [dst.Numel]);
        GC.KeepAlive(dst);
        GC.KeepAlive(inputs);
        if (errorWord)
            switch (device.TakeError())
            {
                case ElementwiseOps.ZeroDivision: throw new DivideByZeroException("ZeroDivisionError");
                case ElementwiseOps.NegativePower: throw new ArgumentException("Integers to negative integer powers are not allowed.");
            }
        return true;
    }

    /// <summary>True when a kernel would need float64 on a device without cl_khr_fp64 (the caller then uses the host).</summary>
    static bool NeedsFp64(GpuDevice device, IEnumerable<KernelType> types, string? scalarType) =>
        !device.HasFp64 && (scalarType == "double" || types.Any(t => t.DType == DType.Float64));

    /// <inheritdoc/>
    public void Copy(TensorView src, TensorView dst)
    {
        CheckShapes("Copy", src, dst);
        if (DeviceOf(src) != DeviceOf(dst)) { CopyAcrossDevices(src, dst); return; }
        var st = KernelType.Of(src.DType);
        var dt = KernelType.Of(dst.DType);
        if (!RunElementwise(dst, [src], dt.Convert("x", st)))
            Fallback("Copy", [src, dst], [1], v => cpu.Copy(v[0]!, v[1]!));
    }

    /// <inheritdoc/>
    public void CopyAcrossDevices(TensorView src, TensorView dst)
    {
        GpuDevice from = DeviceOf(src), to = DeviceOf(dst);
        if (to.CopiesFromPeer(from))
        {
            CopyFromPeer(from, to, src, dst);
            return;
        }
        // Devices that cannot reach each other's memory: stage through the host.
        var host = ToHost(src);
        var staged = TensorView.Contiguous(FromHost(dst.Device, host, src.DType), src.Shape);
        Copy(staged, dst);
        staged.Storage.Dispose();
    }

    /// <summary>
    /// A copy between two GPUs that reach each other's memory: the source made contiguous on its device, its bytes copied
    /// device to device straight into <paramref name="dst"/> when that is contiguous with the same dtype (what
    /// <c>to(device)</c> makes), else into a staging buffer on the destination that an ordinary copy then converts and
    /// lays out.
    /// </summary>
    void CopyFromPeer(GpuDevice from, GpuDevice to, TensorView src, TensorView dst)
    {
        TensorView? compact = src.IsContiguous ? null : TensorView.Contiguous(AllocateUninitialized(src.Device, src.DType, src.Numel), src.Shape);
        if (compact is not null) Copy(src, compact);
        var source = compact ?? src;
        bool direct = dst.IsContiguous && dst.DType == src.DType;
        var target = direct ? dst : TensorView.Contiguous(AllocateUninitialized(dst.Device, src.DType, src.Numel), src.Shape);
        try
        {
            int size = src.DType.ElementSize();
            to.CopyFromPeer(from, GpuStorage.Of(source.Storage).Mem, source.Offset * size, GpuStorage.Of(target.Storage).Mem, target.Offset * size, src.Numel * size);
            if (!direct) Copy(target, dst);
        }
        finally
        {
            compact?.Storage.Dispose();
            if (!direct) target.Storage.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Fill(TensorView dst, double value)
    {
        var dt = KernelType.Of(dst.DType);
        if (dst.DType == DType.Bool) value = value != 0 ? 1 : 0;
        if (!RunElementwise(dst, [], "p0", dt.Compute, value, 0, (long)value))
            Fallback("Fill", [dst], [0], v => cpu.Fill(v[0]!, value));
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, TensorView x, TensorView dst, double a = 0, double b = 0)
    {
        CheckShapes($"Unary {op}", x, dst);
        var t = KernelType.Of(x.DType);
        string? expr = ElementwiseOps.Unary(op, t);
        if (expr is not null && !ElementwiseOps.IsPredicate(op)) expr = KernelType.Of(dst.DType).Convert(expr, t);
        if (expr is null || !RunElementwise(dst, [x], expr, t.Compute, a, b, (long)a, (long)b, errorWord: ElementwiseOps.NeedsErrorWord(op, t)))
            Fallback($"Unary {op}", [x, dst], [1], v => cpu.Unary(op, v[0]!, v[1]!, a, b));
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView dst)
    {
        var t = KernelType.Of(a.DType);
        string? expr = a.DType == b.DType ? ElementwiseOps.Binary(op, t) : null;
        if (expr is null || !RunElementwise(dst, [a, b], expr, errorWord: ElementwiseOps.NeedsErrorWord(op, t)))
            Fallback($"Binary {op}", [a, b, dst], [2], v => cpu.Binary(op, v[0]!, v[1]!, v[2]!));
    }

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOp op, TensorView a, Scalar s, TensorView dst, bool scalarFirst)
    {
        var t = KernelType.Of(a.DType);
        string? expr = ElementwiseOps.Binary(op, t);
        if (expr is not null)
        {
            // The scalar argument p0 stands in for operand y (x when the scalar comes first).
            double d = s.IsIntegral ? s.Long : s.Double;
            if (RunElementwise(dst, [a], expr, t.Compute, d, 0, s.Long, scalarOperand: scalarFirst ? "x" : "y", errorWord: ElementwiseOps.NeedsErrorWord(op, t))) return;
        }
        Fallback($"BinaryScalar {op}", [a, dst], [1], v => cpu.BinaryScalar(op, v[0]!, s, v[1]!, scalarFirst));
    }

    /// <inheritdoc/>
    public void Where(TensorView cond, TensorView a, TensorView b, TensorView dst)
    {
        if (a.DType != dst.DType || b.DType != dst.DType || !RunElementwise(dst, [cond, a, b], "(x != 0 ? y : z)"))
            Fallback("Where", [cond, a, b, dst], [3], v => cpu.Where(v[0]!, v[1]!, v[2]!, v[3]!));
    }

    /// <inheritdoc/>
    public void MaskedGrad(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst)
    {
        var t = KernelType.Of(x.DType);
        string zero = $"({t.Compute})0";
        string expr = lowerExclusive
            ? $"(y <= p0 ? {zero} : x)"
            : $"(y >= (isnan(p0) ? -INFINITY : p0) && y <= (isnan(p1) ? INFINITY : p1) ? x : {zero})";
        if (!t.IsFloat || grad.DType != x.DType || !RunElementwise(dst, [grad, x], expr, t.Compute, lo, hi))
            Fallback("MaskedGrad", [grad, x, dst], [2], v => cpu.MaskedGrad(v[0]!, v[1]!, lo, hi, lowerExclusive, v[2]!));
    }

    static void CheckShapes(string op, TensorView a, TensorView dst)
    {
        if (!a.Shape.SequenceEqual(dst.Shape))
            throw new ArgumentException($"{op}: operand shape [{string.Join(", ", a.Shape.ToArray())}] differs from output shape [{string.Join(", ", dst.Shape.ToArray())}]");
    }
}
