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

    /// <inheritdoc/>
    public int DeviceCount => 1;

    /// <inheritdoc/>
    public DeviceProperties GetDeviceProperties(int index) =>
        new(CpuModelName(), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Environment.ProcessorCount);

    static string CpuModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int c and > 0)
                        return line[(c + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture + " CPU";
    }

    /// <inheritdoc/>
    public MemoryStats GetMemoryStats(int index)
    {
        CpuAllocator.Instance.DrainFinalized(); // count blocks that finalizers already returned
        return CpuAllocator.Instance.Stats;
    }

    /// <inheritdoc/>
    public void ResetPeakMemoryStats(int index) => CpuAllocator.Instance.ResetPeak();

    /// <inheritdoc/>
    public void EmptyCache() => CpuAllocator.Instance.EmptyCache();

    /// <inheritdoc/>
    public void CopyAcrossDevices(TensorView src, TensorView dst) => Copy(src, dst);

    internal static T[] Data<T>(TensorView t) => ((CpuStorage)t.storage).As<T>();

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
        if (CpuAllocator.Cached(length * dtype.ElementSize()))
            return new CpuStorage.Pooled(CpuAllocator.Instance.Rent(dtype, n, zeroed, out long blockBytes), dtype, blockBytes);
        return new CpuStorage(zeroed ? HostArrays.New(dtype, n) : HostArrays.NewUninitialized(dtype, n), dtype);
    }

    /// <inheritdoc/>
    public Storage FromHost(Device device, Array data, DType dtype) => new CpuStorage((Array)data.Clone(), dtype);

    /// <inheritdoc/>
    public Array ToHost(TensorView t)
    {
        // The array escapes to the caller, so it must never come from (or go back to) the pool.
        var data = HostArrays.New(t.DType, checked((int)t.Numel));
        var dst = TensorView.Contiguous(new CpuStorage(data, t.DType), t.shape);
        Copy(t, dst);
        GC.KeepAlive(t);
        return data;
    }

    /// <inheritdoc/>
    public void Copy(TensorView src, TensorView dst)
    {
        // c10::Half and c10::BFloat16 convert only from and to float, so every conversion that involves them goes
        // through float32 (double → float → half rounds twice, exactly as PyTorch does).
        if ((src.DType.IsReducedFloat() || dst.DType.IsReducedFloat()) && src.DType != dst.DType)
        {
            ReducedFloat.Copy(this, src, dst);
            KeepAlive(src, dst);
            return;
        }
        switch (src.DType.Kind)
        {
            case ScalarType.Float32: CopyFrom<float>(src, dst); break;
            case ScalarType.Float64: CopyFrom<double>(src, dst); break;
            case ScalarType.Int64: CopyFrom<long>(src, dst); break;
            case ScalarType.Int32: CopyFrom<int>(src, dst); break;
            case ScalarType.Int16: CopyFrom<short>(src, dst); break;
            case ScalarType.Int8: CopyFrom<sbyte>(src, dst); break;
            case ScalarType.UInt8 or ScalarType.Bool: CopyFrom<byte>(src, dst); break;
            case ScalarType.Float16: Convert<Half, Half>(src, dst); break;
            case ScalarType.BFloat16: ReducedFloat.SameType<BFloat16>(src, dst); break;
            default: throw new UnsupportedDTypeException("copy_", src.DType);
        }
        KeepAlive(src, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CopyFrom<TS>(TensorView src, TensorView dst) where TS : unmanaged, INumber<TS>
    {
        switch (dst.DType.Kind)
        {
            case ScalarType.Float32: Convert<TS, float>(src, dst); break;
            case ScalarType.Float64: Convert<TS, double>(src, dst); break;
            case ScalarType.Int64: Convert<TS, long>(src, dst); break;
            case ScalarType.Int32: Convert<TS, int>(src, dst); break;
            case ScalarType.Int16: Convert<TS, short>(src, dst); break;
            case ScalarType.Int8: Convert<TS, sbyte>(src, dst); break;
            case ScalarType.UInt8: Convert<TS, byte>(src, dst); break;
            case ScalarType.Bool: UnaryKernels.Test<TS, NonZero<TS>>(default, src, dst); break;
            default: throw new UnsupportedDTypeException("copy_", dst.DType);
        }
    }

    struct NonZero<T> : IPredicate<T> where T : INumber<T> { public bool Test(T x) => x != T.Zero; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Convert<TS, TD>(TensorView src, TensorView dst) where TS : unmanaged, INumber<TS> where TD : unmanaged, INumber<TD>
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
    public void Fill(TensorView dst, double value)
    {
        // The value goes through the copy kernel for PyTorch's conversion rules; its one-element buffer is no tensor's.
        TensorView scalar;
        using (DisposeScope.SuspendIfOpen()) scalar = TensorView.Contiguous(new CpuStorage(new[] { value }, DType.Float64), []);
        Copy(scalar.Expand(dst.shape), dst);
        KeepAlive(dst);
    }

    /// <inheritdoc/>
    public void Unary(UnaryOp op, TensorView x, TensorView dst, double a = 0, double b = 0)
    {
        if (ReducedFloat.Any(x, dst)) { ReducedFloat.InFloat32(this, [x, dst], v => Unary(op, v[0]!, v[1]!, a, b), written: 1); return; }
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: UnaryKernels.Float<float>(op, x, dst, a, b); break;
            case ScalarType.Float64: UnaryKernels.Float<double>(op, x, dst, a, b); break;
            case ScalarType.Int64: UnaryKernels.Integer<long>(op, x, dst, a, b); break;
            case ScalarType.Int32: UnaryKernels.Integer<int>(op, x, dst, a, b); break;
            case ScalarType.Int16: UnaryKernels.Integer<short>(op, x, dst, a, b); break;
            case ScalarType.Int8: UnaryKernels.Integer<sbyte>(op, x, dst, a, b); break;
            case ScalarType.UInt8 or ScalarType.Bool: UnaryKernels.Integer<byte>(op, x, dst, a, b); break;
            default: throw new UnsupportedDTypeException(op.ToString(), x.DType);
        }
        KeepAlive(x, dst);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, TensorView a, TensorView b, TensorView dst)
    {
        if (ReducedFloat.Any(a, b, dst)) { ReducedFloat.InFloat32(this, [a, b, dst], v => Binary(op, v[0]!, v[1]!, v[2]!), written: 2); return; }
        switch (a.DType.Kind)
        {
            case ScalarType.Float32: BinaryKernels.Float<float>(op, a, b, dst); break;
            case ScalarType.Float64: BinaryKernels.Float<double>(op, a, b, dst); break;
            case ScalarType.Int64: BinaryKernels.Integer<long>(op, a, b, dst); break;
            case ScalarType.Int32: BinaryKernels.Integer<int>(op, a, b, dst); break;
            case ScalarType.Int16: BinaryKernels.Integer<short>(op, a, b, dst); break;
            case ScalarType.Int8: BinaryKernels.Integer<sbyte>(op, a, b, dst); break;
            case ScalarType.UInt8 or ScalarType.Bool: BinaryKernels.Integer<byte>(op, a, b, dst); break;
            default: throw new UnsupportedDTypeException(op.ToString(), a.DType);
        }
        KeepAlive(a, b, dst);
    }

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOp op, TensorView a, Scalar s, TensorView dst, bool scalarFirst)
    {
        // The scalar lives in a one-element host array converted by the copy kernel (PyTorch's conversion rules,
        // double → float → half included); it belongs to no dispose scope and is read through a zero stride.
        TensorView one;
        using (DisposeScope.SuspendIfOpen())
        {
            // float32/float64 and int64 directly (the copy kernel's conversions are these casts): a third of the
            // allocations and no kernel call for `2.0 * x`.
            Array? direct = (a.DType.Kind, s.IsIntegral) switch
            {
                (ScalarType.Float32, false) => new[] { (float)s.Double },
                (ScalarType.Float64, false) => new[] { s.Double },
                (ScalarType.Int64, true) => new[] { s.Long },
                _ => null,
            };
            if (direct is not null) one = TensorView.Contiguous(new CpuStorage(direct, a.DType), []);
            else
            {
                var src = s.IsIntegral ? TensorView.Contiguous(new CpuStorage(new[] { s.Long }, DType.Int64), [])
                    : TensorView.Contiguous(new CpuStorage(new[] { s.Double }, DType.Float64), []);
                one = TensorView.Contiguous(new CpuStorage(HostArrays.New(a.DType, 1), a.DType), []);
                Copy(src, one);
            }
        }
        var b = one.Expand(dst.shape);
        if (scalarFirst) Binary(op, b, a, dst); else Binary(op, a, b, dst);
    }

    /// <inheritdoc/>
    public void Where(TensorView cond, TensorView a, TensorView b, TensorView dst)
    {
        switch (a.DType.Kind)
        {
            case ScalarType.Float32: WhereT<float>(cond, a, b, dst); break;
            case ScalarType.Float64: WhereT<double>(cond, a, b, dst); break;
            case ScalarType.Int64: WhereT<long>(cond, a, b, dst); break;
            case ScalarType.Int32: WhereT<int>(cond, a, b, dst); break;
            case ScalarType.Int16: WhereT<short>(cond, a, b, dst); break;
            case ScalarType.Float16: WhereT<Half>(cond, a, b, dst); break;
            case ScalarType.BFloat16: WhereT<BFloat16>(cond, a, b, dst); break;
            case ScalarType.Int8: WhereT<sbyte>(cond, a, b, dst); break;
            case ScalarType.UInt8 or ScalarType.Bool: WhereT<byte>(cond, a, b, dst); break;
            default: throw new UnsupportedDTypeException("where", a.DType);
        }
        KeepAlive(cond, a, b, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void WhereT<T>(TensorView cond, TensorView a, TensorView b, TensorView dst)
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
    public void Reduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg = 0)
    {
        if (ReducedFloat.Any(x, dst)) { ReducedFloat.InFloat32(this, [x, dst, indices], v => Reduce(op, v[0]!, v[1]!, v[2], arg), written: 1); return; }
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: ReduceKernels.Float<float>(op, x, dst, indices, arg); break;
            case ScalarType.Float64: ReduceKernels.Float<double>(op, x, dst, indices, arg); break;
            case ScalarType.Int64: ReduceKernels.Integer<long>(op, x, dst, indices); break;
            case ScalarType.Int32: ReduceKernels.Integer<int>(op, x, dst, indices); break;
            case ScalarType.Int16: ReduceKernels.Integer<short>(op, x, dst, indices); break;
            case ScalarType.Int8: ReduceKernels.Integer<sbyte>(op, x, dst, indices); break;
            case ScalarType.UInt8 or ScalarType.Bool: ReduceKernels.Integer<byte>(op, x, dst, indices); break;
            default: throw new UnsupportedDTypeException(op.ToString().ToLowerInvariant(), x.DType);
        }
        KeepAlive(x, dst, indices);
    }

    /// <inheritdoc/>
    public void Cumsum(TensorView x, TensorView dst)
    {
        if (ReducedFloat.Any(x, dst)) { ReducedFloat.InFloat32(this, [x, dst], v => Cumsum(v[0]!, v[1]!), written: 1); return; }
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: ReduceKernels.Cumsum<float>(x, dst); break;
            case ScalarType.Float64: ReduceKernels.Cumsum<double>(x, dst); break;
            case ScalarType.Int64: ReduceKernels.Cumsum<long>(x, dst); break;
            default: throw new UnsupportedDTypeException("cumsum", x.DType);
        }
        KeepAlive(x, dst);
    }

    /// <inheritdoc/>
    public void Sort(TensorView x, TensorView values, TensorView indices, bool descending)
    {
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: SortKernels.Sort<float>(x, values, indices, descending, -1); break;
            case ScalarType.Float64: SortKernels.Sort<double>(x, values, indices, descending, -1); break;
            case ScalarType.Int64: SortKernels.Sort<long>(x, values, indices, descending, -1); break;
            case ScalarType.Int32: SortKernels.Sort<int>(x, values, indices, descending, -1); break;
            case ScalarType.Int16: SortKernels.Sort<short>(x, values, indices, descending, -1); break;
            case ScalarType.Int8: SortKernels.Sort<sbyte>(x, values, indices, descending, -1); break;
            case ScalarType.UInt8: SortKernels.Sort<byte>(x, values, indices, descending, -1); break;
            default: throw new UnsupportedDTypeException("sort", x.DType);
        }
        KeepAlive(x, values, indices);
    }

    /// <inheritdoc/>
    public void TopK(TensorView x, int k, bool largest, TensorView values, TensorView indices)
    {
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: SortKernels.Sort<float>(x, values, indices, largest, k); break;
            case ScalarType.Float64: SortKernels.Sort<double>(x, values, indices, largest, k); break;
            case ScalarType.Int64: SortKernels.Sort<long>(x, values, indices, largest, k); break;
            case ScalarType.Int32: SortKernels.Sort<int>(x, values, indices, largest, k); break;
            case ScalarType.Int16: SortKernels.Sort<short>(x, values, indices, largest, k); break;
            case ScalarType.Int8: SortKernels.Sort<sbyte>(x, values, indices, largest, k); break;
            case ScalarType.UInt8: SortKernels.Sort<byte>(x, values, indices, largest, k); break;
            default: throw new UnsupportedDTypeException("topk", x.DType);
        }
        KeepAlive(x, values, indices);
    }

    /// <inheritdoc/>
    public void MatMul(TensorView a, TensorView b, TensorView dst)
    {
        // float16/bfloat16 products accumulate in float32 (the widened operands go through the float32 GEMM).
        if (ReducedFloat.Any(a, b, dst)) { ReducedFloat.InFloat32(this, [a, b, dst], v => MatMul(v[0]!, v[1]!, v[2]!), written: 2); return; }
        switch (a.DType.Kind)
        {
            case ScalarType.Float32: MatMulKernels.Run<float>(a, b, dst); break;
            case ScalarType.Float64: MatMulKernels.Run<double>(a, b, dst); break;
            case ScalarType.Int64: MatMulKernels.Run<long>(a, b, dst); break;
            case ScalarType.Int32: MatMulKernels.Run<int>(a, b, dst); break;
            case ScalarType.Int16: MatMulKernels.Run<short>(a, b, dst); break;
            case ScalarType.Int8: MatMulKernels.Run<sbyte>(a, b, dst); break;
            case ScalarType.UInt8: MatMulKernels.Run<byte>(a, b, dst); break;
            default: throw new UnsupportedDTypeException("addmm_impl_cpu_", a.DType);
        }
        KeepAlive(a, b, dst);
    }

    /// <inheritdoc/>
    public void Gather(TensorView x, int dim, TensorView index, TensorView dst)
    {
        switch (x.DType.Kind)
        {
            case ScalarType.Float32: IndexKernels.Gather<float>(x, dim, index, dst); break;
            case ScalarType.Float64: IndexKernels.Gather<double>(x, dim, index, dst); break;
            case ScalarType.Int64: IndexKernels.Gather<long>(x, dim, index, dst); break;
            case ScalarType.Int32: IndexKernels.Gather<int>(x, dim, index, dst); break;
            case ScalarType.Int16: IndexKernels.Gather<short>(x, dim, index, dst); break;
            case ScalarType.Float16: IndexKernels.Gather<Half>(x, dim, index, dst); break;
            case ScalarType.BFloat16: IndexKernels.Gather<BFloat16>(x, dim, index, dst); break;
            case ScalarType.Int8: IndexKernels.Gather<sbyte>(x, dim, index, dst); break;
            case ScalarType.UInt8 or ScalarType.Bool: IndexKernels.Gather<byte>(x, dim, index, dst); break;
            default: throw new UnsupportedDTypeException("gather", x.DType);
        }
        KeepAlive(x, index, dst);
    }

    /// <inheritdoc/>
    public void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src)
    {
        if (ReducedFloat.Any(dst, src)) { ReducedFloat.InFloat32(this, [dst, index, src], v => ScatterAdd(v[0]!, dim, v[1]!, v[2]!), written: 0); return; }
        switch (dst.DType.Kind)
        {
            case ScalarType.Float32: IndexKernels.ScatterAdd<float>(dst, dim, index, src); break;
            case ScalarType.Float64: IndexKernels.ScatterAdd<double>(dst, dim, index, src); break;
            case ScalarType.Int64: IndexKernels.ScatterAdd<long>(dst, dim, index, src); break;
            case ScalarType.Int32: IndexKernels.ScatterAdd<int>(dst, dim, index, src); break;
            case ScalarType.Int16: IndexKernels.ScatterAdd<short>(dst, dim, index, src); break;
            case ScalarType.Int8: IndexKernels.ScatterAdd<sbyte>(dst, dim, index, src); break;
            case ScalarType.UInt8 or ScalarType.Bool: IndexKernels.ScatterAdd<byte>(dst, dim, index, src); break;
            default: throw new UnsupportedDTypeException("scatter_add_", dst.DType);
        }
        KeepAlive(dst, index, src);
    }

    /// <inheritdoc/>
    public void Scatter(TensorView dst, int dim, TensorView index, TensorView src)
    {
        // A plain store, so every dtype is supported, float16/bfloat16 included (no widening).
        switch (dst.DType.Kind)
        {
            case ScalarType.Float32: IndexKernels.Scatter<float>(dst, dim, index, src); break;
            case ScalarType.Float64: IndexKernels.Scatter<double>(dst, dim, index, src); break;
            case ScalarType.Int64: IndexKernels.Scatter<long>(dst, dim, index, src); break;
            case ScalarType.Int32: IndexKernels.Scatter<int>(dst, dim, index, src); break;
            case ScalarType.Int16: IndexKernels.Scatter<short>(dst, dim, index, src); break;
            case ScalarType.Int8: IndexKernels.Scatter<sbyte>(dst, dim, index, src); break;
            case ScalarType.UInt8 or ScalarType.Bool: IndexKernels.Scatter<byte>(dst, dim, index, src); break;
            case ScalarType.Float16: IndexKernels.Scatter<Half>(dst, dim, index, src); break;
            case ScalarType.BFloat16: IndexKernels.Scatter<BFloat16>(dst, dim, index, src); break;
            default: throw new UnsupportedDTypeException("scatter_", dst.DType);
        }
        KeepAlive(dst, index, src);
    }

    /// <summary>
    /// Keeps tensors (and so their storages) reachable until a kernel has finished with their arrays: a pooled
    /// storage that became unreachable mid-kernel could otherwise hand its array to another allocation.
    /// </summary>
    static void KeepAlive(params TensorView?[] tensors) => GC.KeepAlive(tensors);

    /// <summary>
    /// Dispatches a floating-point-only kernel on the dtype of <paramref name="alive"/>[0]. float16/bfloat16 operands
    /// are computed in float32: every reduced-float operand is widened, the float32 kernel runs, and the operands
    /// listed in <paramref name="written"/> are rounded back. Other dtypes raise <see cref="UnsupportedDTypeException"/>.
    /// </summary>
    void Floating(TensorView?[] alive, string op, Action f32, Action f64, Action<TensorView?[]> widened, params int[] written)
    {
        var t = alive[0]!;
        if (ReducedFloat.Any(alive)) ReducedFloat.InFloat32(this, alive, widened, written);
        else if (t.DType == DType.Float32) f32();
        else if (t.DType == DType.Float64) f64();
        else throw new UnsupportedDTypeException(op, t.DType);
        GC.KeepAlive(alive);
    }

    /// <inheritdoc/>
    public void Conv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output) =>
        Floating([input, weight, bias, output], "conv2d", () => ConvKernels.Forward<float>(input, weight, bias, g, output), () => ConvKernels.Forward<double>(input, weight, bias, g, output),
            v => Conv2d(v[0]!, v[1]!, v[2], g, v[3]!), 3);

    /// <inheritdoc/>
    public void Conv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput) =>
        Floating([weight, gradOutput, gradInput], "conv2d_backward", () => ConvKernels.BackwardInput<float>(gradOutput, weight, g, gradInput), () => ConvKernels.BackwardInput<double>(gradOutput, weight, g, gradInput),
            v => Conv2dBackwardInput(v[1]!, v[0]!, g, v[2]!), 2);

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight) =>
        Floating([input, gradOutput, gradWeight], "conv2d_backward", () => ConvKernels.BackwardWeight<float>(gradOutput, input, g, gradWeight), () => ConvKernels.BackwardWeight<double>(gradOutput, input, g, gradWeight),
            v => Conv2dBackwardWeight(v[1]!, v[0]!, g, v[2]!), 2);

    /// <inheritdoc/>
    public void MaxPool2d(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices) =>
        Floating([input, output, indices], "max_pool2d", () => PoolKernels.MaxForward<float>(input, g, output, indices), () => PoolKernels.MaxForward<double>(input, g, output, indices),
            v => MaxPool2d(v[0]!, g, v[1]!, v[2]!), 1);

    /// <inheritdoc/>
    public void MaxPool2dBackward(TensorView gradOutput, TensorView indices, Pool2dGeometry g, TensorView gradInput) =>
        Floating([gradOutput, indices, gradInput], "max_pool2d_backward", () => PoolKernels.MaxBackward<float>(gradOutput, indices, gradInput), () => PoolKernels.MaxBackward<double>(gradOutput, indices, gradInput),
            v => MaxPool2dBackward(v[0]!, v[1]!, g, v[2]!), 2);

    /// <inheritdoc/>
    public void AvgPool2d(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output) =>
        Floating([input, output], "avg_pool2d", () => PoolKernels.AvgForward<float>(input, g, countIncludePad, adaptive, output), () => PoolKernels.AvgForward<double>(input, g, countIncludePad, adaptive, output),
            v => AvgPool2d(v[0]!, g, countIncludePad, adaptive, v[1]!), 1);

    /// <inheritdoc/>
    public void AvgPool2dBackward(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput) =>
        Floating([gradOutput, gradInput], "avg_pool2d_backward", () => PoolKernels.AvgBackward<float>(gradOutput, g, countIncludePad, adaptive, gradInput), () => PoolKernels.AvgBackward<double>(gradOutput, g, countIncludePad, adaptive, gradInput),
            v => AvgPool2dBackward(v[0]!, g, countIncludePad, adaptive, v[1]!), 1);

    /// <inheritdoc/>
    public void BatchNorm(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd) =>
        Floating([input, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd], "batch_norm",
            () => NormKernels.BatchNorm<float>(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd),
            () => NormKernels.BatchNorm<double>(input, weight, bias, runningMean, runningVar, training, momentum, eps, output, saveMean, saveInvStd),
            v => BatchNorm(v[0]!, v[1], v[2], v[3], v[4], training, momentum, eps, v[5]!, v[6]!, v[7]!), 3, 4, 5, 6, 7);

    /// <inheritdoc/>
    public void BatchNormBackward(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training, double eps,
        TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias) =>
        Floating([input, gradOutput, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias], "batch_norm_backward",
            () => NormKernels.BatchNormBackward<float>(gradOutput, input, weight, saveMean, saveInvStd, training, gradInput, gradWeight, gradBias),
            () => NormKernels.BatchNormBackward<double>(gradOutput, input, weight, saveMean, saveInvStd, training, gradInput, gradWeight, gradBias),
            v => BatchNormBackward(v[1]!, v[0]!, v[2], v[3]!, v[4]!, training, eps, v[5], v[6], v[7]), 5, 6, 7);

    /// <inheritdoc/>
    public void AdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h) =>
        Floating([param, grad, expAvg, expAvgSq, maxExpAvgSq], "adam",
            () => OptimKernels.Adam<float>(param, grad, expAvg, expAvgSq, maxExpAvgSq, h),
            () => OptimKernels.Adam<double>(param, grad, expAvg, expAvgSq, maxExpAvgSq, h),
            v => AdamStep(v[0]!, v[1]!, v[2]!, v[3]!, v[4], h), 0, 2, 3, 4);

    /// <inheritdoc/>
    public void MaskedGrad(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst) =>
        Floating([dst, grad, x], "masked_grad",
            () => MaskKernels.MaskedGrad<float>(grad, x, lo, hi, lowerExclusive, dst),
            () => MaskKernels.MaskedGrad<double>(grad, x, lo, hi, lowerExclusive, dst),
            v => MaskedGrad(v[1]!, v[2]!, lo, hi, lowerExclusive, v[0]!), 0);

    /// <inheritdoc/>
    public void Softmax(TensorView x, TensorView dst, bool log) =>
        Floating([x, dst], "softmax", () => SoftmaxKernels.Forward<float>(x, dst, log), () => SoftmaxKernels.Forward<double>(x, dst, log),
            v => Softmax(v[0]!, v[1]!, log), 1);

    /// <inheritdoc/>
    public void SoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log) =>
        Floating([y, gy, dst], "softmax_backward", () => SoftmaxKernels.Backward<float>(y, gy, dst, log), () => SoftmaxKernels.Backward<double>(y, gy, dst, log),
            v => SoftmaxBackward(v[0]!, v[1]!, v[2]!, log), 2);
}
