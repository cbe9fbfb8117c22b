namespace Ignis;

/// <summary>
/// One index in a tensor subscript: an integer (selects and removes a dimension), a slice with optional
/// step, <see cref="Ellipsis"/> or <see cref="None"/> (inserts a dimension). C# integers, <see cref="Index"/>
/// (<c>^1</c>) and <see cref="Range"/> (<c>1..3</c>, <c>..</c>) convert implicitly.
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kind { Single, Slice, Ellipsis, None }

    internal Kind K { get; init; }
    internal long Value { get; init; }
    internal bool FromEnd { get; init; }
    internal long? Start { get; init; }
    internal long? Stop { get; init; }
    internal long Step { get; init; }

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

    /// <summary>A C# range such as <c>1..^1</c>.</summary>
    public static implicit operator TensorIndex(Range r) => new()
    {
        K = Kind.Slice,
        Start = r.Start.IsFromEnd ? -r.Start.Value : r.Start.Value,
        Stop = r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value,
        Step = 1,
    };
}
