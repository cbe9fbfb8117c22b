using System.Diagnostics.CodeAnalysis;

namespace Ignis.Backends;

/// <summary>
/// What a backend receives instead of a <see cref="Tensor"/>: a strided view (storage, shape, strides, offset,
/// dtype) with no autograd state — Candle's storage + layout, or the arguments of ATen's <c>as_strided</c>.
/// A backend in another assembly reads it through the public members; the arrays are never mutated.
/// </summary>
public sealed class TensorView
{
    // Fields are shared with the tensor that made the view (no copies on the hot path); nothing writes them.
    internal readonly Storage storage;
    internal readonly long[] shape;
    internal readonly long[] strides;
    internal readonly long offset;

    internal TensorView(Storage storage, long[] shape, long[] strides, long offset, DType dtype, bool copyArrays)
    {
        this.storage = storage;
        this.shape = copyArrays ? (long[])shape.Clone() : shape;
        this.strides = copyArrays ? (long[])strides.Clone() : strides;
        this.offset = offset;
        DType = dtype;
    }

    /// <summary>A view of <paramref name="storage"/>; the arrays are copied. Throws when an element lies outside the storage.</summary>
    public TensorView(Storage storage, ReadOnlySpan<long> shape, ReadOnlySpan<long> strides, long offset)
        : this(storage ?? throw new ArgumentNullException(nameof(storage)), shape.ToArray(), strides.ToArray(), offset, storage.DType, copyArrays: false)
    {
        if (shape.Length != strides.Length)
            throw new ArgumentException($"shape {Tensor.ShapeStr(this.shape)} and strides {Tensor.ShapeStr(this.strides)} differ in rank");
        long lo = offset, hi = offset;
        foreach (long s in shape)
            if (s < 0) throw new ArgumentException($"negative dimension in shape {Tensor.ShapeStr(this.shape)}");
        if (Numel > 0)
            for (int d = 0; d < shape.Length; d++)
            {
                long span = (shape[d] - 1) * strides[d];
                if (span < 0) lo += span; else hi += span;
            }
        if (Numel > 0 && (lo < 0 || hi >= storage.Length))
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"view of shape {Tensor.ShapeStr(this.shape)}, strides {Tensor.ShapeStr(this.strides)}, offset {offset} reaches outside a storage of {storage.Length} elements");
    }

    /// <summary>A contiguous (row-major) view of a whole storage with the given shape.</summary>
    public static TensorView Contiguous(Storage storage, ReadOnlySpan<long> shape) =>
        new(storage, shape, Tensor.ContiguousStrides(shape.ToArray()), 0);

    /// <summary>The elements' storage (<c>untyped_storage()</c>).</summary>
    public Storage Storage => storage;

    /// <summary>Sizes of each dimension.</summary>
    public ReadOnlySpan<long> Shape => shape;

    /// <summary>Strides in elements; 0 for broadcast dimensions.</summary>
    public ReadOnlySpan<long> Strides => strides;

    /// <summary>Element offset of the first element in <see cref="Storage"/> (<c>storage_offset()</c>).</summary>
    public long Offset => offset;

    /// <summary>Element type (equals the storage's).</summary>
    public DType DType { get; }

    /// <summary>The device of the storage.</summary>
    public Device Device => storage.Device;

    /// <summary>Number of dimensions.</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements.</summary>
    public long Numel => NumelOf(shape);

    /// <summary>True when elements are row-major without gaps (size-1 dimensions ignored).</summary>
    public bool IsContiguous => IsRowMajor(shape, strides);

    /// <summary>Product of the sizes (shared with <see cref="Tensor.Numel"/>).</summary>
    internal static long NumelOf(long[] shape)
    {
        long n = 1;
        foreach (long s in shape) n *= s;
        return n;
    }

    /// <summary>Row-major without gaps, size-1 dimensions ignored (shared with <see cref="Tensor.IsContiguous"/>).</summary>
    internal static bool IsRowMajor(long[] shape, long[] strides)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>
    /// The same elements broadcast to <paramref name="newShape"/> (stride 0 in new or size-1 dimensions), as
    /// <c>expand</c> does; the shapes must be compatible.
    /// </summary>
    public TensorView Expand(ReadOnlySpan<long> newShape)
    {
        int nd = newShape.Length, extra = nd - shape.Length;
        if (extra < 0) throw new ArgumentException($"cannot expand shape {Tensor.ShapeStr(shape)} to {Tensor.ShapeStr(newShape.ToArray())}");
        var st = new long[nd];
        for (int d = 0; d < nd; d++)
        {
            int sd = d - extra;
            if (sd < 0) { st[d] = 0; continue; }
            if (shape[sd] == newShape[d]) st[d] = strides[sd];
            else if (shape[sd] == 1) st[d] = 0;
            else throw new ArgumentException($"cannot expand shape {Tensor.ShapeStr(shape)} to {Tensor.ShapeStr(newShape.ToArray())}");
        }
        return new TensorView(storage, newShape.ToArray(), st, offset, DType, copyArrays: false);
    }

    /// <summary>Describes the view, e.g. <c>float32[2, 3] strides [3, 1] +0 on cpu</c>.</summary>
    public override string ToString() =>
        $"{DType.TorchName()[6..]}{Tensor.ShapeStr(shape)} strides {Tensor.ShapeStr(strides)} +{offset} on {Device}";
}
