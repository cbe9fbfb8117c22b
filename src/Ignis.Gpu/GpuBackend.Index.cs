using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Gather, scatter and scatter-add (Kernels/IndexKernels.cs). Index bounds are checked on the device; the launch is
// followed by a read of the device's error word, so a bad index raises the CPU's message before the call returns.
internal sealed partial class GpuBackend
{
    /// <summary>A 0-d operand walked as one element of a 1-d one (its only "dimension" has stride 0).</summary>
    static (long[] Shape, long[] Strides) Dims(TensorView v) => v.Dim == 0 ? ([1], [0]) : (v.Shape.ToArray(), v.Strides.ToArray());

    static long[] RowMajor(long[] shape)
    {
        var rm = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { rm[d] = s; s *= shape[d]; }
        return rm;
    }

    bool TryGather(TensorView x, int dim, TensorView index, TensorView dst)
    {
        if (index.Dim > Elementwise.MaxRank || index.Numel >= int.MaxValue) return false;
        if (index.Numel == 0) return true;
        var device = DeviceOf(dst);
        var (shape, si) = Dims(index);
        var (_, sx) = Dims(x);
        var (_, sd) = Dims(dst);
        long size = x.Dim == 0 ? 1 : x.Shape[dim], xsd = x.Dim == 0 ? 0 : x.Strides[dim];
        sx[dim] = 0;
        var args = new KernelArgs();
        args.Long(index.Numel); args.Int(shape.Length); args.Long8(shape, 1); args.Long8(RowMajor(shape));
        args.Long(size); args.Long(xsd);
        args.Buffer(x.Storage); args.Long(x.Offset); args.Long8(sx);
        args.Buffer(index.Storage); args.Long(index.Offset); args.Long8(si);
        args.Buffer(dst.Storage); args.Long(dst.Offset); args.Long8(sd);
        args.Buffer(device.ErrorWord);
        device.Launch(Kernel(device, $"gather {x.DType.Kind}", "gather", () => IndexKernels.Gather(x.DType)), args, [index.Numel]);
        ThrowOnBadIndex(device, index, dim, size);
        GC.KeepAlive(x); GC.KeepAlive(index); GC.KeepAlive(dst);
        return true;
    }

    bool TryScatter(TensorView dst, int dim, TensorView index, TensorView src, bool add)
    {
        if (index.Dim > Elementwise.MaxRank || index.Numel >= int.MaxValue) return false;
        var t = KernelType.Of(dst.DType);
        var device = DeviceOf(dst);
        // Adds in float16/bfloat16 would round per add (the CPU adds in float32 and rounds once); bool adds saturate.
        if (add && (dst.DType.Kind is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Bool || NeedsFp64(device, [t], null))) return false;
        if (index.Numel == 0) return true;
        var (shape, si) = Dims(index);
        var (_, sd) = Dims(dst);
        var (_, ss) = Dims(src);
        var rm = RowMajor(shape);
        long len = shape[dim], size = dst.Dim == 0 ? 1 : dst.Shape[dim], dsd = sd[dim];
        long isd = si[dim], ssd = ss[dim], rmd = rm[dim];
        shape[dim] = 1;
        sd[dim] = 0;
        var args = new KernelArgs();
        args.Long(index.Numel / len); args.Int(shape.Length); args.Long8(shape, 1); args.Long8(rm);
        args.Long(size); args.Long(len); args.Long(dsd); args.Long(isd); args.Long(ssd); args.Long(rmd);
        args.Buffer(dst.Storage); args.Long(dst.Offset); args.Long8(sd);
        args.Buffer(index.Storage); args.Long(index.Offset); args.Long8(si);
        args.Buffer(src.Storage); args.Long(src.Offset); args.Long8(ss);
        args.Buffer(device.ErrorWord);
        device.Launch(Kernel(device, $"scatter {t.DType.Kind} {add}", "scatter", () => IndexKernels.Scatter(t, add)), args, [index.Numel / len]);
        ThrowOnBadIndex(device, index, dim, size);
        GC.KeepAlive(dst); GC.KeepAlive(index); GC.KeepAlive(src);
        return true;
    }

    /// <summary>Reads the error word; when a kernel reported a position, fetches that index and throws the CPU's error.</summary>
    static void ThrowOnBadIndex(GpuDevice device, TensorView index, int dim, long size)
    {
        long pos = device.TakeError();
        if (pos < 0) return;
        var (shape, strides) = Dims(index);
        long offset = index.Offset;
        for (int d = shape.Length - 1; d >= 0; d--) { offset += pos % shape[d] * strides[d]; pos /= shape[d]; }
        Span<byte> value = stackalloc byte[8];
        device.Read(GpuStorage.Of(index.Storage).Mem, offset * 8, value);
        throw new ArgumentOutOfRangeException(null, $"index {BitConverter.ToInt64(value)} is out of bounds for dimension {dim} with size {size}");
    }
}
