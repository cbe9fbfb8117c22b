namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// A row-major GEMM operand whose rows are produced on demand instead of stored: PackedGemm packs straight from
/// it, so a matrix that only exists to be multiplied (a convolution's im2col column matrix, 9× its input for a 3×3
/// kernel) is never written to memory. Implementations must be safe to call from several packing threads at once.
/// </summary>
internal interface IRowSource<T>
{
    /// <summary>Writes elements [c0, c0 + count) of row <paramref name="r"/> to <paramref name="dst"/>.</summary>
    void Row(int r, int c0, int count, Span<T> dst);
}

/// <summary>Per-thread scratch for one materialised row segment while packing from an <see cref="IRowSource{T}"/>.</summary>
internal static class RowScratch<T>
{
    [ThreadStatic] static T[]? buffer;

    public static T[] Get(int length)
    {
        var b = buffer;
        if (b is null || b.Length < length) buffer = b = new T[Math.Max(length, 4096)];
        return b;
    }
}
