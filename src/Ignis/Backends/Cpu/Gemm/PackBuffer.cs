namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// Per-thread scratch for packed GEMM panels, on the pinned object heap and 64-byte aligned, so the micro-kernel's
/// vector loads of packed B never straddle two cache lines (a managed array's data is only 16-byte aligned: every
/// 512-bit load from an ArrayPool buffer was a cache-line split). Pinned, so the alignment holds for its lifetime.
/// One A slot and one B slot per thread: a thread is inside at most one GEMM at a time (nested parallel calls run inline).
/// </summary>
internal static unsafe class PackBuffer<T> where T : unmanaged
{
    [ThreadStatic] static T[]? a, b;

    /// <summary>This thread's A panel buffer: an array and the 64-byte-aligned element offset to pack from.</summary>
    public static (T[] Array, int Offset) A(int length) => Get(ref a, length);

    /// <summary>This thread's B panel buffer (shared by the workers of one product, which the calling thread owns).</summary>
    public static (T[] Array, int Offset) B(int length) => Get(ref b, length);

    static (T[] Array, int Offset) Get(ref T[]? slot, int length)
    {
        int pad = 64 / sizeof(T);
        if (slot is null || slot.Length < length + pad)
            slot = GC.AllocateUninitializedArray<T>(Math.Max(length + pad, (slot?.Length ?? 0) * 5 / 4), pinned: true);
        fixed (T* p = slot)
            return (slot, (int)(((64 - ((nint)p & 63)) & 63) / sizeof(T)));
    }
}
