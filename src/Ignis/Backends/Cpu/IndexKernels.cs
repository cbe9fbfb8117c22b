using System.Runtime.CompilerServices;
using System.Numerics;

namespace Ignis.Backends.Cpu;

/// <summary>Gather and scatter-add along one dimension, walking the index tensor's shape.</summary>
internal static class IndexKernels
{
    /// <summary>Calls <paramref name="body"/> for every position of <paramref name="shape"/> with the running offsets of each operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Walk(long[] shape, long[][] strides, long[] offsets, int dim, Action<long[], long> body)
    {
        int nd = shape.Length, nops = strides.Length;
        long numel = 1;
        foreach (long s in shape) numel *= s;
        if (numel == 0) return;
        var idx = new long[nd];
        var offs = (long[])offsets.Clone();
        for (long e = 0; e < numel; e++)
        {
            body(offs, nd == 0 ? 0 : idx[dim]);
            for (int d = nd - 1; d >= 0; d--)
            {
                idx[d]++;
                for (int k = 0; k < nops; k++) offs[k] += strides[k][d];
                if (idx[d] < shape[d]) break;
                for (int k = 0; k < nops; k++) offs[k] -= strides[k][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    static long Checked(long i, long size, int dim)
    {
        if (i < -size || i >= size)
            throw new ArgumentOutOfRangeException(null, $"index {i} is out of bounds for dimension {dim} with size {size}");
        return i < 0 ? i + size : i;
    }

    public static void Gather<T>(TensorView x, int dim, TensorView index, TensorView dst)
    {
        T[] xs = CpuBackend.Data<T>(x), ds = CpuBackend.Data<T>(dst);
        long[] ix = CpuBackend.Data<long>(index);
        long size = x.Dim == 0 ? 1 : x.shape[dim];
        long xStride = x.Dim == 0 ? 0 : x.strides[dim];
        var xStrides = (long[])x.strides.Clone();
        if (x.Dim > 0) xStrides[dim] = 0;
        Walk(index.shape, [xStrides, index.strides, dst.strides], [x.offset, index.offset, dst.offset], dim, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, _) =>
        {
            long i = Checked(ix[o[1]], size, dim);
            ds[o[2]] = xs[o[0] + i * xStride];
        });
    }

    /// <summary><c>dst[… index …] += src</c>; repeated positions accumulate.</summary>
    public static void ScatterAdd<T>(TensorView dst, int dim, TensorView index, TensorView src) where T : INumber<T> =>
        ScatterInto<T, Accumulate<T>>(dst, dim, index, src);

    /// <summary>Overwriting scatter; elements are visited in index order, so the last duplicate wins.</summary>
    public static void Scatter<T>(TensorView dst, int dim, TensorView index, TensorView src) where T : unmanaged =>
        ScatterInto<T, Assign<T>>(dst, dim, index, src);

    /// <summary>How a scattered element lands in its destination (specialised per struct, no delegate per element).</summary>
    interface IStore<T> { static abstract void Store(ref T dst, T value); }
    struct Assign<T> : IStore<T> { public static void Store(ref T dst, T value) => dst = value; }
    struct Accumulate<T> : IStore<T> where T : INumber<T> { public static void Store(ref T dst, T value) => dst += value; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ScatterInto<T, TStore>(TensorView dst, int dim, TensorView index, TensorView src) where TStore : IStore<T>
    {
        T[] ds = CpuBackend.Data<T>(dst), ss = CpuBackend.Data<T>(src);
        long[] ix = CpuBackend.Data<long>(index);
        long size = dst.Dim == 0 ? 1 : dst.shape[dim];
        long dStride = dst.Dim == 0 ? 0 : dst.strides[dim];
        var dStrides = (long[])dst.strides.Clone();
        if (dst.Dim > 0) dStrides[dim] = 0;
        Walk(index.shape, [dStrides, index.strides, src.strides], [dst.offset, index.offset, src.offset], dim, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o, _) =>
        {
            long i = Checked(ix[o[1]], size, dim);
            TStore.Store(ref ds[o[0] + i * dStride], ss[o[2]]);
        });
    }
}
