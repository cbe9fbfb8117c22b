using Ignis.Gpu;

namespace Ignis.Cuda.Native;

/// <summary>A cuBLAS call failed; the message names the call and cuBLAS' name for the status.</summary>
public sealed class CublasException : Exception
{
    internal CublasException(string call, int status) : base($"{call} failed: {CuBlas.StatusName(status)} ({status})") => Status = status;

    /// <summary>The <c>cublasStatus_t</c>.</summary>
    public int Status { get; }
}

/// <summary>
/// One cuBLAS call of a row-major GEMM: cuBLAS is column-major, so row-major C = A·B is computed as Cᵀ = Bᵀ·Aᵀ — the
/// operands swap, M and N swap, and each operand is passed as stored (<c>N</c>, leading dimension = its row stride) or,
/// for a transposed view (column stride 1), as <c>T</c> with its column stride.
/// </summary>
/// <param name="TransA">cuBLAS' first operand (row-major B): 0 = N, 1 = T.</param>
/// <param name="TransB">cuBLAS' second operand (row-major A).</param>
/// <param name="M">Rows of cuBLAS' C (= N of the row-major product).</param>
/// <param name="N">Columns of cuBLAS' C (= M).</param>
/// <param name="K">The summed dimension.</param>
/// <param name="Lda">Leading dimension of cuBLAS' first operand.</param>
/// <param name="Ldb">Leading dimension of cuBLAS' second operand.</param>
/// <param name="Ldc">Leading dimension of C (its row stride).</param>
internal readonly record struct BlasGemm(int TransA, int TransB, int M, int N, int K, int Lda, int Ldb, int Ldc);

/// <summary>
/// cuBLAS' GEMM, bound at run time from the library discovery found: a handle per device (created on its context), the
/// stream set per call, <c>cublasGemmStridedBatchedEx</c> with float32 (TF32 tensor cores only when
/// <see cref="CudaBackend.AllowTf32"/>, as <c>torch.backends.cuda.matmul.allow_tf32</c>) or float64 compute.
/// </summary>
internal sealed unsafe class CuBlas
{
    static readonly string[] Names = ["cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2", "cublasGemmStridedBatchedEx"];

    readonly nint[] f;

    CuBlas(nint[] functions) => f = functions;

    /// <summary>The entry points bound (tests give a fake library these).</summary>
    internal static IReadOnlyList<string> Exports => Names;

    /// <summary>Binds cuBLAS' entry points; null and the missing names when the library lacks some.</summary>
    public static CuBlas? Bind(nint library, INativeHost host, out string? missing) =>
        NativeExports.Bind(host, library, Names, out missing) is { } f ? new CuBlas(f) : null;

    internal static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => "CUBLAS_STATUS_UNKNOWN",
    };

    static void Check(int status, string call)
    {
        if (status != 0) throw new CublasException(call, status);
    }

    /// <summary>A handle on the current context (<c>cublasCreate</c>).</summary>
    public nint Create()
    {
        nint h;
        Check(((delegate* unmanaged<nint*, int>)f[0])(&h), "cublasCreate_v2");
        return h;
    }

    public void Destroy(nint handle) => Check(((delegate* unmanaged<nint, int>)f[1])(handle), "cublasDestroy_v2");

    public void SetStream(nint handle, nint stream) => Check(((delegate* unmanaged<nint, nint, int>)f[2])(handle, stream), "cublasSetStream_v2");

    // cudaDataType_t and cublasComputeType_t values (library_types.h, cublas_api.h).
    internal const int R32F = 0, R64F = 1, Compute32F = 68, Compute32FFastTf32 = 77, Compute64F = 70, GemmDefault = -1;

    /// <summary>
    /// The column-major call for row-major C[M,N] = A[M,K]·B[K,N] with the given strides, or null when a layout has no
    /// cuBLAS form (neither stride 1, overlapping rows, a zero stride, or a size past 32 bits).
    /// </summary>
    public static BlasGemm? Plan(long m, long n, long k, GemmOperand a, GemmOperand b, GemmOperand c)
    {
        if (c.Stride2 != 1 || c.Stride1 < Math.Max(1, n)) return null;
        if (Layout(b, rows: k, cols: n) is not var (opA, lda) || Layout(a, rows: m, cols: k) is not var (opB, ldb)) return null;
        if (m > int.MaxValue || n > int.MaxValue || k > int.MaxValue || c.Stride1 > int.MaxValue) return null;
        return new BlasGemm(opA, opB, (int)n, (int)m, (int)k, lda, ldb, (int)c.Stride1);
    }

    /// <summary>
    /// How cuBLAS reads the transpose of a row-major [rows, cols] operand: N with leading dimension = row stride when its
    /// rows are contiguous, T with leading dimension = column stride when its columns are; null otherwise.
    /// </summary>
    static (int Op, int Ld)? Layout(GemmOperand x, long rows, long cols)
    {
        if (x.Stride2 == 1 && (x.Stride1 >= cols || rows == 1) && Math.Max(x.Stride1, cols) <= int.MaxValue)
            return (0, (int)Math.Max(1, Math.Max(x.Stride1, cols)));
        if (x.Stride1 == 1 && (x.Stride2 >= rows || cols == 1) && Math.Max(x.Stride2, rows) <= int.MaxValue)
            return (1, (int)Math.Max(1, Math.Max(x.Stride2, rows)));
        return null;
    }

    /// <summary>
    /// One <c>cublasGemmStridedBatchedEx</c>: row-major C[z] = A[z]·B[z] (+ C[z] when <paramref name="accumulate"/>)
    /// for z &lt; <paramref name="batches"/>, with element strides; <paramref name="elementSize"/> 4 (float32) or 8.
    /// </summary>
    public void Gemm(nint handle, BlasGemm p, int elementSize, bool tf32, GemmOperand a, GemmOperand b, GemmOperand c, long extraA, long extraB, long batches, bool accumulate)
    {
        ulong Address(GemmOperand o, long extra) => (ulong)o.Mem + (ulong)((o.Offset + extra) * elementSize);
        int type = elementSize == 8 ? R64F : R32F;
        int compute = elementSize == 8 ? Compute64F : tf32 ? Compute32FFastTf32 : Compute32F;
        double alpha64 = 1, beta64 = accumulate ? 1 : 0;
        float alpha32 = 1, beta32 = accumulate ? 1 : 0;
        void* alpha = elementSize == 8 ? &alpha64 : &alpha32;
        void* beta = elementSize == 8 ? &beta64 : &beta32;
        Check(((delegate* unmanaged<nint, int, int, int, int, int, void*, ulong, int, int, long, ulong, int, int, long, void*, ulong, int, int, long, int, int, int, int>)f[3])(
            handle, p.TransA, p.TransB, p.M, p.N, p.K, alpha,
            Address(b, extraB), type, p.Lda, b.BatchStride,
            Address(a, extraA), type, p.Ldb, a.BatchStride,
            beta, Address(c, 0), type, p.Ldc, c.BatchStride, checked((int)batches), compute, GemmDefault), "cublasGemmStridedBatchedEx");
    }
}
