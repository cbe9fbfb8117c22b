using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ignis.Cuda.Tests;

/// <summary>
/// cuBLAS made of unmanaged-callable methods over <see cref="FakeDriver"/>'s memory: <c>cublasGemmStridedBatchedEx</c>
/// computes what cuBLAS documents — column-major C = α·op(A)·op(B) + β·C per batch — in float32 or float64, so a
/// row-major product that reaches it through the wrong mapping gives wrong numbers. Every call is recorded.
/// </summary>
internal static unsafe class FakeBlas
{
    /// <summary>One GEMM call: ops, sizes, leading dimensions, batch strides, count and compute type.</summary>
    public sealed record Call(int TransA, int TransB, int M, int N, int K, int Lda, long StrideA, int Ldb, long StrideB, int Ldc, long StrideC, int Batches, int Compute, double Beta);

    public static readonly List<Call> Calls = [];
    public static readonly List<(nint Handle, nint Stream)> Streams = [];

    [UnmanagedCallersOnly] static int Create(nint* h) { *h = 0xB1A5; return 0; }
    [UnmanagedCallersOnly] static int Destroy(nint h) => 0;
    [UnmanagedCallersOnly] static int SetStream(nint h, nint s) { Streams.Add((h, s)); return 0; }

    [UnmanagedCallersOnly]
    static int Gemm(nint h, int ta, int tb, int m, int n, int k, void* alpha, ulong a, int atype, int lda, long sa,
        ulong b, int btype, int ldb, long sb, void* beta, ulong c, int ctype, int ldc, long sc, int batches, int compute, int algo)
    {
        bool f64 = atype == 1;
        int size = f64 ? 8 : 4;
        double al = f64 ? *(double*)alpha : *(float*)alpha, be = f64 ? *(double*)beta : *(float*)beta;
        Calls.Add(new Call(ta, tb, m, n, k, lda, sa, ldb, sb, ldc, sc, batches, compute, be));
        double Read(ulong p, long i) => f64 ? BitConverter.ToDouble(FakeDriver.At(p + (ulong)(i * size))) : BitConverter.ToSingle(FakeDriver.At(p + (ulong)(i * size)));
        for (int z = 0; z < batches; z++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                {
                    double acc = 0;
                    for (int l = 0; l < k; l++)
                    {
                        // op(A)[i,l] and op(B)[l,j], column-major with leading dimensions lda/ldb.
                        double x = Read(a, z * sa + (ta == 0 ? i + (long)l * lda : l + (long)i * lda));
                        double y = Read(b, z * sb + (tb == 0 ? l + (long)j * ldb : j + (long)l * ldb));
                        acc += x * y;
                    }
                    long ci = z * sc + i + (long)j * ldc;
                    double v = al * acc + (be == 0 ? 0 : be * Read(c, ci));
                    var dst = FakeDriver.At(c + (ulong)(ci * size));
                    if (f64) BitConverter.TryWriteBytes(dst, v); else BitConverter.TryWriteBytes(dst, (float)v);
                }
        return 0;
    }

    /// <summary>Puts the fake cuBLAS on <paramref name="host"/> as the library <paramref name="path"/>.</summary>
    public static void Install(FakeHost host, string path)
    {
        (string, nint)[] exports =
        [
            ("cublasCreate_v2", (nint)(delegate* unmanaged<nint*, int>)&Create),
            ("cublasDestroy_v2", (nint)(delegate* unmanaged<nint, int>)&Destroy),
            ("cublasSetStream_v2", (nint)(delegate* unmanaged<nint, nint, int>)&SetStream),
            ("cublasGemmStridedBatchedEx", (nint)(delegate* unmanaged<nint, int, int, int, int, int, void*, ulong, int, int, long, ulong, int, int, long, void*, ulong, int, int, long, int, int, int, int>)&Gemm),
        ];
        host.Libraries[path] = [.. host.Libraries.GetValueOrDefault(path, []), .. exports.Select(e => e.Item1)];
        foreach (var (n, a) in exports) host.Addresses[n] = a;
    }
}
