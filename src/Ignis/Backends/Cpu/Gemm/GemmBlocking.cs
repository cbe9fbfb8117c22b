using System.Runtime.Intrinsics;

namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// PackedGemm's panel sizes, from the CPU's caches (<see cref="CpuCaches"/>) after the BLIS analytical model: a
/// KC×NR sliver of packed B stays in L1 (two thirds of it, the rest for the A sliver and C tile streaming through),
/// an MC×KC block of packed A in half of L2, and a KC×NC panel of packed B in half of L3.
/// </summary>
/// <param name="Kc">Depth of a packed panel (elements).</param>
/// <param name="Mc">Rows of A packed per block (a multiple of 12, so every micro-kernel's row count divides it).</param>
/// <param name="Nc">Columns of B packed per panel (a multiple of every register tile width).</param>
internal sealed record GemmBlocking(int Kc, int Mc, int Nc)
{
    // A block's rows are a multiple of every register tile's (6 with 16 vector registers, 12 with 32).
    const int MR = 12;

    static readonly Lazy<GemmBlocking> current = new(() => For(CpuCaches.Current, Vector512.IsHardwareAccelerated ? 64 : Vector256.IsHardwareAccelerated ? 32 : 16));

    /// <summary>This process' blocking (its caches, its widest vector).</summary>
    public static GemmBlocking Current => current.Value;

    /// <summary>The blocking for the given caches and vector width (bytes); float32 panels.</summary>
    public static GemmBlocking For(CpuCaches caches, int vectorBytes)
    {
        long nrBytes = 2L * vectorBytes;  // the micro-kernel's tile is two vectors wide
        int kc = (int)Math.Clamp(caches.L1Data * 2 / 3 / nrBytes / 32 * 32, 128, 512);
        int mc = (int)Math.Clamp(caches.L2 / 2 / (kc * 4L) / MR * MR, 8 * MR, 85 * MR);
        long l3 = caches.L3 > 0 ? caches.L3 : caches.L2;
        int nc = (int)Math.Clamp(l3 / 2 / (kc * 4L) / 64 * 64, 512, 4096);
        return new GemmBlocking(kc, mc, nc);
    }
}
