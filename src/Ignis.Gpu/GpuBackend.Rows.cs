using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Row reductions, softmax and its gradient, cumsum (Kernels/RowKernels.cs); sort and top-k (Kernels/SortKernels.cs).
internal sealed partial class GpuBackend
{
    static bool Rows2D(TensorView x) => x.Dim == 2 && x.IsContiguous;

    bool TryReduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg)
    {
        if (!Rows2D(x) || dst.Dim != 1 || (indices is not null && indices.Dim != 1)) return false;
        long rows = x.Shape[0], k = x.Shape[1];
        if (rows == 0) return true;
        if (k == 0 && op is ReduceOp.Max or ReduceOp.Min) return false;
        if (op == ReduceOp.Var && !x.DType.IsFloatingPoint()) return false;
        if (!x.DType.IsFloatingPoint() && x.DType == DType.Bool) return false;
        var device = DeviceOf(x);
        var xt = KernelType.Of(x.DType);
        var dt = KernelType.Of(dst.DType);
        bool fp64 = device.HasFp64 && op == ReduceOp.Var;
        if (NeedsFp64(device, [xt, dt], null)) return false;
        var kernel = Kernel(device, $"reduce {op} {xt.DType.Kind} {dt.DType.Kind} {fp64} {indices is not null}", "reduce", () => RowKernels.Reduce(op, xt, dt, fp64, indices is not null));
        var args = new KernelArgs();
        args.Long(k);
        args.Buffer(x.Storage); args.Long(x.Offset);
        args.Buffer(dst.Storage); args.Long(dst.Offset); args.Long(dst.Strides[0]);
        if (indices is not null) { args.Buffer(indices.Storage); args.Long(indices.Offset); args.Long(indices.Strides[0]); }
        if (fp64) args.Double(arg); else args.Float((float)arg);
        device.Launch(kernel, args, [rows * RowKernels.Group], [RowKernels.Group]);
        GC.KeepAlive(x); GC.KeepAlive(dst); GC.KeepAlive(indices);
        return true;
    }

    bool TrySoftmax(TensorView x, TensorView dst, bool log)
    {
        if (!Rows2D(x) || !Rows2D(dst) || !x.DType.IsFloatingPoint() || x.DType != dst.DType) return false;
        var device = DeviceOf(x);
        var t = KernelType.Of(x.DType);
        if (NeedsFp64(device, [t], null)) return false;
        long rows = x.Shape[0], k = x.Shape[1];
        if (rows == 0 || k == 0) return true;
        var args = new KernelArgs();
        args.Long(k);
        args.Buffer(x.Storage); args.Long(x.Offset);
        args.Buffer(dst.Storage); args.Long(dst.Offset);
        device.Launch(Kernel(device, $"softmax {t.DType.Kind} {log}", "softmax", () => RowKernels.Softmax(t, log)), args, [rows * RowKernels.Group], [RowKernels.Group]);
        GC.KeepAlive(x); GC.KeepAlive(dst);
        return true;
    }

    bool TrySoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log)
    {
        if (!Rows2D(y) || !Rows2D(gy) || !Rows2D(dst) || !y.DType.IsFloatingPoint() || gy.DType != y.DType || dst.DType != y.DType) return false;
        var device = DeviceOf(y);
        var t = KernelType.Of(y.DType);
        if (NeedsFp64(device, [t], null)) return false;
        long rows = y.Shape[0], k = y.Shape[1];
        if (rows == 0 || k == 0) return true;
        var args = new KernelArgs();
        args.Long(k);
        args.Buffer(y.Storage); args.Long(y.Offset);
        args.Buffer(gy.Storage); args.Long(gy.Offset);
        args.Buffer(dst.Storage); args.Long(dst.Offset);
        device.Launch(Kernel(device, $"softmax-bw {t.DType.Kind} {log}", "softmax_bw", () => RowKernels.SoftmaxBackward(t, log)), args, [rows * RowKernels.Group], [RowKernels.Group]);
        GC.KeepAlive(y); GC.KeepAlive(gy); GC.KeepAlive(dst);
        return true;
    }

    bool TryCumsum(TensorView x, TensorView dst)
    {
        if (!Rows2D(x) || !Rows2D(dst) || x.DType != dst.DType || x.DType == DType.Bool) return false;
        var device = DeviceOf(x);
        var t = KernelType.Of(x.DType);
        if (NeedsFp64(device, [t], null)) return false;
        long rows = x.Shape[0], k = x.Shape[1];
        if (rows == 0 || k == 0) return true;
        var args = new KernelArgs();
        args.Long(rows); args.Long(k);
        args.Buffer(x.Storage); args.Long(x.Offset);
        args.Buffer(dst.Storage); args.Long(dst.Offset);
        device.Launch(Kernel(device, $"cumsum {t.DType.Kind}", "cumsum", () => RowKernels.Cumsum(t, device.HasFp64)), args, [rows]);
        GC.KeepAlive(x); GC.KeepAlive(dst);
        return true;
    }

    bool TryRankSort(TensorView x, long k, bool descending, TensorView values, TensorView indices)
    {
        // The CPU's sortable dtypes only: others take the host path, which raises the CPU's error.
        if (!Rows2D(x) || !values.IsContiguous || !indices.IsContiguous || x.Shape[1] > SortKernels.MaxRow
            || x.DType.Kind is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.UInt8))
            return false;
        var device = DeviceOf(x);
        var t = KernelType.Of(x.DType);
        if (NeedsFp64(device, [t], null)) return false;
        long rows = x.Shape[0], n = x.Shape[1];
        if (rows == 0 || n == 0 || k == 0) return true;
        var args = new KernelArgs();
        args.Long(rows * n); args.Long(n); args.Long(k); args.Int(descending ? 1 : 0);
        args.Buffer(x.Storage); args.Long(x.Offset);
        args.Buffer(values.Storage); args.Long(values.Offset);
        args.Buffer(indices.Storage); args.Long(indices.Offset);
        device.Launch(Kernel(device, $"rank-sort {t.DType.Kind}", "rank_sort", () => SortKernels.RankSort(t)), args, [rows * n]);
        GC.KeepAlive(x); GC.KeepAlive(values); GC.KeepAlive(indices);
        return true;
    }
}
