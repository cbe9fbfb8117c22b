using Ignis.Backends;

namespace Ignis;

public partial class Tensor
{
    /// <summary>
    /// <c>torch.result_type</c>: dimensioned tensors decide first; zero-dim tensors and then C# scalars
    /// only raise the result when they are of a higher category (bool &lt; integer &lt; floating point).
    /// </summary>
    internal static DType ResultType(params Tensor[] operands)
    {
        DType? dimR = null, zeroR = null, wrapR = null;
        foreach (var t in operands)
        {
            if (t.isWrappedNumber)
            {
                var d = t.DType.IsFloatingPoint() ? Torch.DefaultDType : t.DType;
                wrapR = wrapR is null ? d : DTypeInfo.Promote(wrapR.Value, d);
            }
            else if (t.Dim == 0) zeroR = zeroR is null ? t.DType : DTypeInfo.Promote(zeroR.Value, t.DType);
            else dimR = dimR is null ? t.DType : DTypeInfo.Promote(dimR.Value, t.DType);
        }
        return Combine(dimR, Combine(zeroR, wrapR)) ?? Torch.DefaultDType;
    }

    static DType? Combine(DType? higher, DType? lower)
    {
        if (higher is null) return lower;
        if (lower is null) return higher;
        if (higher.Value.IsFloatingPoint()) return higher;
        if (higher == DType.Bool || lower.Value.IsFloatingPoint()) return DTypeInfo.Promote(higher.Value, lower.Value);
        return higher;
    }

    /// <summary>
    /// Wraps a C# number as a zero-dim host tensor that promotes like a Python scalar. Binary ops pass its value to the
    /// kernel as an argument (<see cref="IBackend.BinaryScalar"/>), so no device memory holds it; the device parameter
    /// is where the result goes and only matters for ops that need a real tensor, which move it there.
    /// </summary>
    internal static Tensor Wrap(double value, Device device) => Wrapped(() => Torch.Full([], value, DType.Float64), new Scalar(value));

    internal static Tensor Wrap(long value, Device device) => Wrapped(() => Torch.Full([], value, DType.Int64), new Scalar(value));

    internal static Tensor Wrap(bool value, Device device) => Wrapped(() => Torch.Full([], value ? 1 : 0, DType.Bool), new Scalar(value ? 1L : 0L));

    // Wrapped numbers are tiny host tensors that belong to no dispose scope.
    static Tensor Wrapped(Func<Tensor> make, Scalar s)
    {
        Tensor t;
        using (DisposeScope.SuspendIfOpen()) t = make();
        t.isWrappedNumber = true;
        t.wrappedScalar = s;
        return t;
    }

    /// <summary>
    /// C# scalars and 0-dim CPU tensors join the other operand's device (PyTorch lets a CPU scalar tensor meet a CUDA
    /// tensor); any other device mismatch is an error naming both devices.
    /// </summary>
    internal static (Tensor, Tensor) SameDeviceOperands(Tensor a, Tensor b)
    {
        if (!a.Device.SameAs(b.Device))
        {
            if (IsHostScalar(b)) b = b.To(a.Device);
            else if (IsHostScalar(a)) a = a.To(b.Device);
        }
        CheckSameDevice(a, b);
        return (a, b);
    }

    static bool IsHostScalar(Tensor t) => t.isWrappedNumber || (t.Dim == 0 && t.Device.Type == DeviceType.Cpu);

    internal static void CheckSameDevice(Tensor a, Tensor b)
    {
        if (!a.Device.SameAs(b.Device))
            throw new ArgumentException($"Expected all tensors to be on the same device, but found at least two devices, {a.Device} and {b.Device}!");
    }

    /// <summary>Runs a binary kernel after promotion to <paramref name="compute"/> and broadcasting.</summary>
    internal static Tensor BinaryRaw(Backends.BinaryOp op, Tensor a, Tensor b, DType compute, DType outType)
    {
        if (b.wrappedScalar is { } sb && a.wrappedScalar is null) return BinaryScalarRaw(op, a, sb, compute, outType, scalarFirst: false);
        if (a.wrappedScalar is { } sa && b.wrappedScalar is null) return BinaryScalarRaw(op, b, sa, compute, outType, scalarFirst: true);
        (a, b) = SameDeviceOperands(a, b);
        var shape = BroadcastShapes(a.shape, b.shape);
        var ac = a.DType == compute ? a : a.ToDTypeRaw(compute);
        var bc = b.DType == compute ? b : b.ToDTypeRaw(compute);
        var dst = Output(shape, outType, a.Device);
        a.Backend.Binary(op, ac.ExpandRaw(shape), bc.ExpandRaw(shape), dst);
        // Converted operands are this op's own temporaries, never handed out: release them now.
        if (!ReferenceEquals(ac, a)) ac.storage.Dispose();
        if (!ReferenceEquals(bc, b)) bc.storage.Dispose();
        return dst;
    }

    /// <summary>t op s (or s op t) with the C# scalar passed to the kernel as an argument.</summary>
    static Tensor BinaryScalarRaw(Backends.BinaryOp op, Tensor t, Scalar s, DType compute, DType outType, bool scalarFirst)
    {
        var tc = t.DType == compute ? t : t.ToDTypeRaw(compute);
        var dst = Output(t.shape, outType, t.Device);
        t.Backend.BinaryScalar(op, tc, s, dst, scalarFirst);
        if (!ReferenceEquals(tc, t)) tc.storage.Dispose(); // a temporary no one else can reach
        return dst;
    }

    /// <summary>Floating dtype used when an integer input meets a floating-point-only op.</summary>
    internal Tensor AsFloating() => DType.IsFloatingPoint() ? this : ToDTypeRaw(Torch.DefaultDType);
}
