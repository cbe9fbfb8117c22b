using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Ignis.Backends.Cpu;

internal static partial class ConvKernels
{
    internal static partial class Winograd
    {
        /// <summary>
        /// 4×4 transposes of float vectors (Winograd's tile gathers and scatters): SSE's unpack/move pairs or NEON's
        /// trn1/trn2; elsewhere <see cref="IsSupported"/> is false and the callers copy element by element.
        /// </summary>
        static class Transpose
        {
            public static bool IsSupported => Sse.IsSupported || AdvSimd.Arm64.IsSupported;

            /// <summary>Column i of the rows r0…r3 as c_i: c_i[k] = r_k[i].</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Of4(Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3,
                out Vector128<float> c0, out Vector128<float> c1, out Vector128<float> c2, out Vector128<float> c3)
            {
                if (Sse.IsSupported)
                {
                    // _MM_TRANSPOSE4_PS.
                    var t0 = Sse.UnpackLow(r0, r1); var t1 = Sse.UnpackLow(r2, r3);
                    var t2 = Sse.UnpackHigh(r0, r1); var t3 = Sse.UnpackHigh(r2, r3);
                    c0 = Sse.MoveLowToHigh(t0, t1); c1 = Sse.MoveHighToLow(t1, t0);
                    c2 = Sse.MoveLowToHigh(t2, t3); c3 = Sse.MoveHighToLow(t3, t2);
                }
                else if (AdvSimd.Arm64.IsSupported)
                {
                    var t0 = AdvSimd.Arm64.TransposeEven(r0, r1).AsUInt64(); var t1 = AdvSimd.Arm64.TransposeOdd(r0, r1).AsUInt64();
                    var t2 = AdvSimd.Arm64.TransposeEven(r2, r3).AsUInt64(); var t3 = AdvSimd.Arm64.TransposeOdd(r2, r3).AsUInt64();
                    c0 = AdvSimd.Arm64.TransposeEven(t0, t2).AsSingle(); c2 = AdvSimd.Arm64.TransposeOdd(t0, t2).AsSingle();
                    c1 = AdvSimd.Arm64.TransposeEven(t1, t3).AsSingle(); c3 = AdvSimd.Arm64.TransposeOdd(t1, t3).AsSingle();
                }
                else throw new PlatformNotSupportedException();
            }

            /// <summary>
            /// The six consecutive elements of four windows 4 apart (one window row of four tiles side by side, 18
            /// elements; 20 are read) as six 4-wide vectors, element s of the tiles to <paramref name="o"/> + s·ld.
            /// </summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static unsafe void Quad6(float* f, float* o, int ld)
            {
                var a0 = Vector128.Load(f); var a1 = Vector128.Load(f + 4); var a2 = Vector128.Load(f + 8);
                var a3 = Vector128.Load(f + 12); var a4 = Vector128.Load(f + 16);
                // Element s of tile i is a_i[s] (s < 4), and a_(i+1)[s − 4] for s = 4, 5.
                Of4(a0, a1, a2, a3, out var e0, out var e1, out var e2, out var e3);
                Of4(a1, a2, a3, a4, out var e4, out var e5, out _, out _);
                e0.Store(o); e1.Store(o + ld); e2.Store(o + 2 * ld); e3.Store(o + 3 * ld); e4.Store(o + 4 * ld); e5.Store(o + 5 * ld);
            }

            /// <summary>
            /// The nine taps of four 3×3 kernels (at <paramref name="k0"/> … <paramref name="k3"/>) side by side: tap t of the
            /// kernels to <paramref name="o"/> + t·ld, or to <paramref name="o"/> + (8 − t)·ld when <paramref name="flip"/>
            /// (the kernel read back to front). Gathering them one by one was a sixth of a 256-channel layer's forward pass.
            /// </summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static unsafe void Taps9(float* k0, float* k1, float* k2, float* k3, float* o, int ld, bool flip)
            {
                Of4(Vector128.Load(k0), Vector128.Load(k1), Vector128.Load(k2), Vector128.Load(k3), out var a0, out var a1, out var a2, out var a3);
                Of4(Vector128.Load(k0 + 4), Vector128.Load(k1 + 4), Vector128.Load(k2 + 4), Vector128.Load(k3 + 4), out var a4, out var a5, out var a6, out var a7);
                var a8 = Vector128.Create(k0[8], k1[8], k2[8], k3[8]);
                if (flip)
                {
                    a8.Store(o); a7.Store(o + ld); a6.Store(o + 2 * ld); a5.Store(o + 3 * ld); a4.Store(o + 4 * ld);
                    a3.Store(o + 5 * ld); a2.Store(o + 6 * ld); a1.Store(o + 7 * ld); a0.Store(o + 8 * ld);
                }
                else
                {
                    a0.Store(o); a1.Store(o + ld); a2.Store(o + 2 * ld); a3.Store(o + 3 * ld); a4.Store(o + 4 * ld);
                    a5.Store(o + 5 * ld); a6.Store(o + 6 * ld); a7.Store(o + 7 * ld); a8.Store(o + 8 * ld);
                }
            }

            /// <summary>Four tiles' rows of four (16 consecutive elements): element b of the tiles to <paramref name="o"/> + b·ld.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static unsafe void Quad4(float* f, float* o, int ld)
            {
                Of4(Vector128.Load(f), Vector128.Load(f + 4), Vector128.Load(f + 8), Vector128.Load(f + 12), out var e0, out var e1, out var e2, out var e3);
                e0.Store(o); e1.Store(o + ld); e2.Store(o + 2 * ld); e3.Store(o + 3 * ld);
            }
        }
    }
}
