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
        }
    }
}
