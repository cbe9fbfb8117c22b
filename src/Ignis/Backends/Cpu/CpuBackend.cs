using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Ignis.Backends.Cpu;

/// <summary>The portable managed CPU backend: generic kernels over strided managed arrays.</summary>
public sealed class CpuBackend : IBackend
{
    /// <summary>The shared instance.</summary>
    public static readonly CpuBackend Instance = new();

    CpuBackend() { }

    /// <inheritdoc/>
    public DeviceType DeviceType => DeviceType.Cpu;

    /// <inheritdoc/>
    public bool IsAvailable => true;

    internal static T[] Data<T>(Tensor t) => ((CpuStorage)t.storage).As<T>();

    /// <inheritdoc/>
    public Storage Allocate(Device device, DType dtype, long length) => AllocateCore(dtype, length, zeroed: true);

    /// <inheritdoc/>
    public Storage AllocateUninitialized(Device device, DType dtype, long length) => AllocateCore(dtype, length, zeroed: false);

    static Storage AllocateCore(DType dtype, long length, bool zeroed)
    {
        if (length > Array.MaxLength)
            throw new OutOfMemoryException($"Cannot allocate {length} elements of {dtype.TorchName()} on the CPU: more than a managed array holds.");
        int n = (int)length;
        Torch.Memory.RecordAllocation(length * dtype.ElementSize());
        if (BufferPool.Poolable(length * dtype.ElementSize()))
            return new CpuStorage(BufferPool.Rent(dtype, n, zeroed), dtype, pooled: true);
        return new CpuStorage(BufferPool.NewArray(dtype, n), dtype, pooled: false);
    }

    /// <inheritdoc/>
    public Storage FromHost(Device device, Array data, DType dtype) => new CpuStorage((Array)data.Clone(), dtype);

    /// <inheritdoc/>
    public Array ToHost(Tensor t)
    {
        // The array escapes to the caller, so it must never come from (or go back to) the pool.
        var data = BufferPool.NewArray(t.DType, checked((int)t.Numel));
        var dst = new Tensor(new CpuStorage(data, t.DType), t.shape, Tensor.ContiguousStrides(t.shape), 0, t.DType);
        Copy(t, dst);
        GC.KeepAlive(t);
        return data;
    }

    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: CopyFrom<float>(src, dst); break;
            case DType.Float64: CopyFrom<double>(src, dst); break;
            case DType.Int64: CopyFrom<long>(src, dst); break;
            case DType.Int32: CopyFrom<int>(src, dst); break;
            default: CopyFrom<byte>(src, dst); break;
        }
        KeepAlive(src, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CopyFrom<TS>(Tensor src, Tensor dst) where TS : unmanaged, INumber<TS>
    {
        switch (dst.DType)
        {
            case DType.Float32: Convert<TS, float>(src, dst); break;
            case DType.Float64: Convert<TS, double>(src, dst); break;
            case DType.Int64: Convert<TS, long>(src, dst); break;
            case DType.Int32: Convert<TS, int>(src, dst); break;
            case DType.UInt8: Convert<TS, byte>(src, dst); break;
            default: UnaryKernels.Test<TS, NonZero<TS>>(default, src, dst); break;
        }
    }

    struct NonZero<T> : IPredicate<T> where T : INumber<T> { public bool Test(T x) => x != T.Zero; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Convert<TS, TD>(Tensor src, Tensor dst) where TS : unmanaged, INumber<TS> where TD : unmanaged, INumber<TD>
    {
        TS[] s = Data<TS>(src);
        TD[] d = Data<TD>(dst);
        bool same = typeof(TS) == typeof(TD);
        StridedLoop.Run(dst.shape, [src.strides, dst.strides], [src.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, st, n) =>
        {
            if (st[0] == 1 && st[1] == 1)
            {
                if (same) s.AsSpan((int)o[0], n).CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<TD, TS>(d.AsSpan((int)o[1], n)));
                else for (int i = 0; i < n; i++) d[o[1] + i] = TD.CreateTruncating(s[o[0] + i]);
                return;
            }
            if (st[0] == 0)
            {
                TD v = TD.CreateTruncating(s[o[0]]);
                if (st[1] == 1) { d.AsSpan((int)o[1], n).Fill(v); return; }
                for (long i = 0, j = o[1]; i < n; i++, j += st[1]) d[j] = v;
                return;
            }
            long si = o[0], di = o[1];
            for (int i = 0; i < n; i++, si += st[0], di += st[1]) d[di] = TD.CreateTruncating(s[si]);
        });
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        var scalar = new Tensor(Allocate(dst.Device, DType.Float64, 1), [], [], 0, DType.Float64);
        Data<double>(scalar)[0] = value;
        Copy(scalar.ExpandRaw(dst.shape), dst);
        KeepAlive(dst);
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor dst, double a = 0, double b = 0)
    {
        switch (x.DType)
        {
            case DType.Float32: UnaryKernels.Float<float>(op, x, dst, a, b); break;
            case DType.Float64: UnaryKernels.Float<double>(op, x, dst, a, b); break;
            case DType.Int64: UnaryKernels.Integer<long>(op, x, dst, a, b); break;
            case DType.Int32: UnaryKernels.Integer<int>(op, x, dst, a, b); break;
            default: UnaryKernels.Integer<byte>(op, x, dst, a, b); break;
        }
        KeepAlive(x, dst);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        switch (a.DType)
        {
            case DType.Float32: BinaryKernels.Float<float>(op, a, b, dst); break;
            case DType.Float64: BinaryKernels.Float<double>(op, a, b, dst); break;
            case DType.Int64: BinaryKernels.Integer<long>(op, a, b, dst); break;
            case DType.Int32: BinaryKernels.Integer<int>(op, a, b, dst); break;
            default: BinaryKernels.Integer<byte>(op, a, b, dst); break;
        }
        KeepAlive(a, b, dst);
    }

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor dst)
    {
        switch (a.DType)
        {
            case DType.Float32: WhereT<float>(cond, a, b, dst); break;
            case DType.Float64: WhereT<double>(cond, a, b, dst); break;
            case DType.Int64: WhereT<long>(cond, a, b, dst); break;
            case DType.Int32: WhereT<int>(cond, a, b, dst); break;
            default: WhereT<byte>(cond, a, b, dst); break;
        }
        KeepAlive(cond, a, b, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void WhereT<T>(Tensor cond, Tensor a, Tensor b, Tensor dst)
    {
        byte[] c = Data<byte>(cond);
        T[] xa = Data<T>(a), xb = Data<T>(b), xd = Data<T>(dst);
        StridedLoop.Run(dst.shape, [cond.strides, a.strides, b.strides, dst.strides],
            [cond.offset, a.offset, b.offset, dst.offset], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, s, n) =>
            {
                long ic = o[0], ia = o[1], ib = o[2], id = o[3];
                for (int i = 0; i < n; i++, ic += s[0], ia += s[1], ib += s[2], id += s[3])
                    xd[id] = c[ic] != 0 ? xa[ia] : xb[ib];
            });
    }

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, Tensor x, Tensor dst, Tensor? indices, double arg = 0)
    {
        switch (x.DType)
        {
            case DType.Float32: ReduceKernels.Float<float>(op, x, dst, indices, arg); break;
            case DType.Float64: ReduceKernels.Float<double>(op, x, dst, indices, arg); break;
            case DType.Int64: ReduceKernels.Integer<long>(op, x, dst, indices); break;
            case DType.Int32: ReduceKernels.Integer<int>(op, x, dst, indices); break;
            default: ReduceKernels.Integer<byte>(op, x, dst, indices); break;
        }
        KeepAlive(x, dst, indices);
    }

    /// <inheritdoc/>
    public void Cumsum(Tensor x, Tensor dst)
    {
        switch (x.DType)
        {
            case DType.Float32: ReduceKernels.Cumsum<float>(x, dst); break;
            case DType.Float64: ReduceKernels.Cumsum<double>(x, dst); break;
            case DType.Int64: ReduceKernels.Cumsum<long>(x, dst); break;
            default: throw new NotSupportedException($"cumsum kernel for {x.DType.TorchName()}");
        }
        KeepAlive(x, dst);
    }

    /// <inheritdoc/>
    public void MatMul(Tensor a, Tensor b, Tensor dst)
    {
        switch (a.DType)
        {
            case DType.Float32: MatMulKernels.Run<float>(a, b, dst); break;
            case DType.Float64: MatMulKernels.Run<double>(a, b, dst); break;
            case DType.Int64: MatMulKernels.Run<long>(a, b, dst); break;
            case DType.Int32: MatMulKernels.Run<int>(a, b, dst); break;
            default: MatMulKernels.Run<byte>(a, b, dst); break;
        }
        KeepAlive(a, b, dst);
    }

    /// <inheritdoc/>
    public void Gather(Tensor x, int dim, Tensor index, Tensor dst)
    {
        switch (x.DType)
        {
            case DType.Float32: IndexKernels.Gather<float>(x, dim, index, dst); break;
            case DType.Float64: IndexKernels.Gather<double>(x, dim, index, dst); break;
            case DType.Int64: IndexKernels.Gather<long>(x, dim, index, dst); break;
            case DType.Int32: IndexKernels.Gather<int>(x, dim, index, dst); break;
            default: IndexKernels.Gather<byte>(x, dim, index, dst); break;
        }
        KeepAlive(x, index, dst);
    }

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        switch (dst.DType)
        {
            case DType.Float32: IndexKernels.ScatterAdd<float>(dst, dim, index, src); break;
            case DType.Float64: IndexKernels.ScatterAdd<double>(dst, dim, index, src); break;
            case DType.Int64: IndexKernels.ScatterAdd<long>(dst, dim, index, src); break;
            case DType.Int32: IndexKernels.ScatterAdd<int>(dst, dim, index, src); break;
            default: IndexKernels.ScatterAdd<byte>(dst, dim, index, src); break;
        }
        KeepAlive(dst, index, src);
    }

    /// <summary>
    /// Keeps tensors (and so their storages) reachable until a kernel has finished with their arrays: a pooled
    /// storage that became unreachable mid-kernel could otherwise hand its array to another allocation.
    /// </summary>
    static void KeepAlive(params Tensor?[] tensors) => GC.KeepAlive(tensors);

    static void Floating(Tensor?[] alive, string op, Action f32, Action f64)
    {
        var t = alive[0]!;
        if (t.DType == DType.Float32) f32();
        else if (t.DType == DType.Float64) f64();
        else throw new NotSupportedException($"\"{op}\" not implemented for '{t.DType.ScalarTypeName()}'");
        GC.KeepAlive(alive);
    }

    /// <inheritdoc/>
    public void Conv2d(Tensor input, Tensor weight, Tensor? bias, Conv2dGeometry g, Tensor output) =>
        Floating([input, weight, bias, output], "conv2d", () => ConvKernels.Forward<float>(input, weight, bias, g, output), () => ConvKernels.Forward<double>(input, weight, bias, g, output));

    /// <inheritdoc/>
    public void Conv2dBackwardInput(Tensor gradOutput, Tensor weight, Conv2dGeometry g, Tensor gradInput) =>
        Floating([weight, gradOutput, gradInput], "conv2d_backward", () => ConvKernels.BackwardInput<float>(gradOutput, weight, g, gradInput), () => ConvKernels.BackwardInput<double>(gradOutput, weight, g, gradInput));

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(Tensor gradOutput, Tensor input, Conv2dGeometry g, Tensor gradWeight) =>
        Floating([input, gradOutput, gradWeight], "conv2d_backward", () => ConvKernels.BackwardWeight<float>(gradOutput, input, g, gradWeight), () => ConvKernels.BackwardWeight<double>(gradOutput, input, g, gradWeight));

    /// <inheritdoc/>
    public void MaxPool2d(Tensor input, Pool2dGeometry g, Tensor output, Tensor indices) =>
        Floating([input, output, indices], "max_pool2d", () => PoolKernels.MaxForward<float>(input, g, output, indices), () => PoolKernels.MaxForward<double>(input, g, output, indices));

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor gradOutput, Tensor indices, Tensor gradInput) =>
        Floating([gradOutput, indices, gradInput], "max_pool2d_backward", () => PoolKernels.MaxBackward<float>(gradOutput, indices, gradInput), () => PoolKernels.MaxBackward<double>(gradOutput, indices, gradInput));

    /// <inheritdoc/>
    public void AvgPool2d(Tensor input, Pool2dGeometry g, bool countIncludePad, bool adaptive, Tensor output) =>
        Floating([input, output], "avg_pool2d", () => PoolKernels.AvgForward<float>(input, g, countIncludePad, adaptive, output), () => PoolKernels.AvgForward<double>(input, g, countIncludePad, adaptive, output));

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, Tensor gradInput) =>
        Floating([gradOutput, gradInput], "avg_pool2d_backward", () => PoolKernels.AvgBackward<float>(gradOutput, g, countIncludePad, adaptive, gradInput), () => PoolKernels.AvgBackward<double>(gradOutput, g, countIncludePad, adaptive, gradInput));

    /// <inheritdoc/>
    public void BatchNorm(Tensor input, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training,
        double momentum, double eps, Tensor output, Tensor saveMean, Tensor saveInvStd) =>
        Floating([input, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd], "batch_norm",
            () => NormKernels.BatchNorm<float>(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd),
            () => NormKernels.BatchNorm<double>(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd));

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor gradOutput, Tensor input, Tensor? weight, Tensor saveMean, Tensor saveInvStd, bool training,
        Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias) =>
        Floating([input, gradOutput, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias], "batch_norm_backward",
            () => NormKernels.BatchNormBackward<float>(gradOutput, input, weight, saveMean, saveInvStd, training, gradInput, gradWeight, gradBias),
            () => NormKernels.BatchNormBackward<double>(gradOutput, input, weight, saveMean, saveInvStd, training, gradInput, gradWeight, gradBias));

    /// <inheritdoc/>
    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, AdamHyper h) =>
        Floating([param, grad, expAvg, expAvgSq, maxExpAvgSq], "adam",
            () => OptimKernels.Adam<float>(param, grad, expAvg, expAvgSq, maxExpAvgSq, h),
            () => OptimKernels.Adam<double>(param, grad, expAvg, expAvgSq, maxExpAvgSq, h));

    /// <inheritdoc/>
    public void MaskedGrad(Tensor grad, Tensor x, double lo, double hi, bool lowerExclusive, Tensor dst) =>
        Floating([dst, grad, x], "masked_grad",
            () => MaskKernels.MaskedGrad<float>(grad, x, lo, hi, lowerExclusive, dst),
            () => MaskKernels.MaskedGrad<double>(grad, x, lo, hi, lowerExclusive, dst));

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor dst, bool log) =>
        Floating([x, dst], "softmax", () => SoftmaxKernels.Forward<float>(x, dst, log), () => SoftmaxKernels.Forward<double>(x, dst, log));

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor gy, Tensor dst, bool log) =>
        Floating([y, gy, dst], "softmax_backward", () => SoftmaxKernels.Backward<float>(y, gy, dst, log), () => SoftmaxKernels.Backward<double>(y, gy, dst, log));
}
