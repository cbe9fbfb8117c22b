using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ignis.Backends.Cpu.Gemm;

/// <summary>
/// The few vector operations the GEMM micro-kernel needs, as static members so one generic kernel is
/// specialised by the JIT for each register width (Vector512 on AVX-512, Vector256 on AVX2, Vector128 on
/// NEON/SSE) and element type with no indirection.
/// </summary>
internal unsafe interface IVectorOps<TV, T> where TV : struct where T : unmanaged
{
    static abstract int Width { get; }
    /// <summary>Rows of the micro-kernel's register tile: 12 where there are 32 vector registers (AVX-512: 24
    /// accumulators, two B vectors, a broadcast), 6 where there are 16 (AVX2, SSE; NEON's 32 are not yet used).</summary>
    static abstract int Rows { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(T* p);
    static abstract void Store(T* p, TV v);
    static abstract TV Broadcast(T x);
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Add(TV a, TV b);
    /// <summary>The sum of the lanes.</summary>
    static abstract T Sum(TV v);
    /// <summary>dst[0..4] += the lane sums of a, b, c and d (one transposing reduction where the ISA has one).</summary>
    static abstract void AddSums4(TV a, TV b, TV c, TV d, T* dst);
}

internal unsafe struct V512F : IVectorOps<Vector512<float>, float>
{
    public static int Width => 16;
    public static int Rows => 12;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    /// <summary>Halves added, then two rounds of vhaddps: 13 instructions for four sums where Vector512.Sum takes ~22 for one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* dst)
    {
        if (Avx.IsSupported)
        {
            var ab = Avx.HorizontalAdd(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper());   // a01 a23 b01 b23 | a45 a67 b45 b67
            var cd = Avx.HorizontalAdd(c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());
            var abcd = Avx.HorizontalAdd(ab, cd);                                                      // a b c d (low 4) | a b c d (high 4)
            (Vector128.Load(dst) + abcd.GetLower() + abcd.GetUpper()).Store(dst);
            return;
        }
        dst[0] += Vector512.Sum(a); dst[1] += Vector512.Sum(b); dst[2] += Vector512.Sum(c); dst[3] += Vector512.Sum(d);
    }
}

internal unsafe struct V256F : IVectorOps<Vector256<float>, float>
{
    public static int Width => 8;
    public static int Rows => 6;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d, float* dst)
    { dst[0] += Vector256.Sum(a); dst[1] += Vector256.Sum(b); dst[2] += Vector256.Sum(c); dst[3] += Vector256.Sum(d); }
}

// Without a hardware FMA (x64 below AVX2, e.g. a NativeAOT build for the baseline target) Vector128.FusedMultiplyAdd
// is emulated one element at a time in software, which made that build's GEMM ~20x slower: multiply then add instead.
internal unsafe struct V128F : IVectorOps<Vector128<float>, float>
{
    public static int Width => 4;
    public static int Rows => 6;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => CpuIsa.HasVectorFma ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d, float* dst)
    { dst[0] += Vector128.Sum(a); dst[1] += Vector128.Sum(b); dst[2] += Vector128.Sum(c); dst[3] += Vector128.Sum(d); }
}

internal unsafe struct V512D : IVectorOps<Vector512<double>, double>
{
    public static int Width => 8;
    public static int Rows => 12;
    public static Vector512<double> Zero => Vector512<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(double* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, Vector512<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Broadcast(double x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Mul(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector512<double> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> d, double* dst)
    {
        if (Avx.IsSupported)
        {
            var ab = Avx.HorizontalAdd(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper());   // a01 b01 | a23 b23
            var cd = Avx.HorizontalAdd(c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());
            (Vector256.Load(dst) + Vector256.Create(ab.GetLower() + ab.GetUpper(), cd.GetLower() + cd.GetUpper())).Store(dst);
            return;
        }
        dst[0] += Vector512.Sum(a); dst[1] += Vector512.Sum(b); dst[2] += Vector512.Sum(c); dst[3] += Vector512.Sum(d);
    }
}

internal unsafe struct V256D : IVectorOps<Vector256<double>, double>
{
    public static int Width => 4;
    public static int Rows => 6;
    public static Vector256<double> Zero => Vector256<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Load(double* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, Vector256<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Broadcast(double x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector256<double> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d, double* dst)
    { dst[0] += Vector256.Sum(a); dst[1] += Vector256.Sum(b); dst[2] += Vector256.Sum(c); dst[3] += Vector256.Sum(d); }
}

internal unsafe struct V128D : IVectorOps<Vector128<double>, double>
{
    public static int Width => 2;
    public static int Rows => 6;
    public static Vector128<double> Zero => Vector128<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Load(double* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, Vector128<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Broadcast(double x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c) => CpuIsa.HasVectorFma ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Mul(Vector128<double> a, Vector128<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector128<double> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddSums4(Vector128<double> a, Vector128<double> b, Vector128<double> c, Vector128<double> d, double* dst)
    { dst[0] += Vector128.Sum(a); dst[1] += Vector128.Sum(b); dst[2] += Vector128.Sum(c); dst[3] += Vector128.Sum(d); }
}
