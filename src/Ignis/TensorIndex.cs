namespace Ignis;

/// <summary>
/// One index in a tensor subscript: an integer (selects and removes a dimension), a slice with optional
/// step, <see cref="Ellipsis"/>, <see cref="None"/> (inserts a dimension), or a tensor — int64 positions or a
/// bool/uint8 mask — for PyTorch's advanced indexing. C# integers, <see cref="Index"/> (<c>^1</c>),
/// <see cref="Range"/> (<c>1..3</c>, <c>..</c>), <see cref="Ignis.Tensor"/> and <c>long[]</c> convert implicitly.
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kind { Single, Slice, Ellipsis, None, Tensor }

    internal Kind K { get; init; }
    internal long Value { get; init; }
    internal bool FromEnd { get; init; }
    internal long? Start { get; init; }
    internal long? Stop { get; init; }
    internal long Step { get; init; }
    internal Tensor? Indices { get; init; }

    /// <summary><c>...</c></summary>
    public static readonly TensorIndex Ellipsis = new() { K = Kind.Ellipsis };

    /// <summary><c>None</c>: inserts a size-1 dimension.</summary>
    public static readonly TensorIndex None = new() { K = Kind.None };

    /// <summary>A Python-style slice <c>start:stop:step</c>; null bounds are open; negative bounds count from the end.</summary>
    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1) =>
        new() { K = Kind.Slice, Start = start, Stop = stop, Step = step };

    /// <summary>An integer index; negative values count from the end.</summary>
    public static implicit operator TensorIndex(long i) => new() { K = Kind.Single, Value = i };

    /// <summary>An integer index.</summary>
    public static implicit operator TensorIndex(int i) => new() { K = Kind.Single, Value = i };

    /// <summary>A C# index such as <c>^1</c>.</summary>
    public static implicit operator TensorIndex(Index i) =>
        i.IsFromEnd ? new() { K = Kind.Single, Value = -i.Value } : new() { K = Kind.Single, Value = i.Value };

    /// <summary>An index tensor (int64 positions) or mask (bool or uint8): advanced indexing, <c>x[idx]</c>, <c>x[mask]</c>.</summary>
    public static implicit operator TensorIndex(Tensor t) => new() { K = Kind.Tensor, Indices = t ?? throw new ArgumentNullException(nameof(t)) };

    /// <summary>A list of positions, as <c>x[[0, 2]]</c> in Python.</summary>
    public static implicit operator TensorIndex(long[] positions) => new() { K = Kind.Tensor, Indices = Ignis.Torch.Tensor(positions) };

    /// <summary>A C# range such as <c>1..^1</c>.</summary>
    public static implicit operator TensorIndex(Range r) => new()
    {
        K = Kind.Slice,
        Start = r.Start.IsFromEnd ? -r.Start.Value : r.Start.Value,
        Stop = r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value,
        Step = 1,
    };
}
