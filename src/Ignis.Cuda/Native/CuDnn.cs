using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Ignis.Backends;
using Ignis.Gpu;

namespace Ignis.Cuda.Native;

/// <summary>A cuDNN call failed; the message names the call and cuDNN's words for the status.</summary>
public sealed class CudnnException : Exception
{
    internal CudnnException(string call, int status, string text) : base($"{call} failed: {text} ({status})") => Status = status;

    /// <summary>The <c>cudnnStatus_t</c>.</summary>
    public int Status { get; }
}

/// <summary>
/// cuDNN's convolutions (the legacy API, present in cuDNN 8 and 9), bound at run time: NCHW tensor, filter and
/// convolution descriptors built from a <see cref="ConvShape"/>, the algorithm chosen by cuDNN's heuristics
/// (<c>cudnnGet…Algorithm_v7</c>) or, in benchmark mode, by timing them (<c>cudnnFind…Algorithm</c>, as
/// <c>torch.backends.cudnn.benchmark</c>), remembered per problem, and a workspace from the device's allocator.
/// </summary>
internal sealed unsafe class CuDnn
{
    static readonly string[] Names =
    [
        "cudnnCreate", "cudnnDestroy", "cudnnSetStream", "cudnnGetErrorString",
        "cudnnCreateTensorDescriptor", "cudnnSetTensor4dDescriptorEx", "cudnnDestroyTensorDescriptor",
        "cudnnCreateFilterDescriptor", "cudnnSetFilter4dDescriptor", "cudnnDestroyFilterDescriptor",
        "cudnnCreateConvolutionDescriptor", "cudnnSetConvolution2dDescriptor", "cudnnSetConvolutionGroupCount",
        "cudnnSetConvolutionMathType", "cudnnDestroyConvolutionDescriptor",
        "cudnnGetConvolutionForwardAlgorithm_v7", "cudnnFindConvolutionForwardAlgorithm",
        "cudnnGetConvolutionForwardWorkspaceSize", "cudnnConvolutionForward",
        "cudnnGetConvolutionBackwardDataAlgorithm_v7", "cudnnFindConvolutionBackwardDataAlgorithm",
        "cudnnGetConvolutionBackwardDataWorkspaceSize", "cudnnConvolutionBackwardData",
        "cudnnGetConvolutionBackwardFilterAlgorithm_v7", "cudnnFindConvolutionBackwardFilterAlgorithm",
        "cudnnGetConvolutionBackwardFilterWorkspaceSize", "cudnnConvolutionBackwardFilter",
    ];

    /// <summary>Batch norm's entry points (deprecated in cuDNN 9 but present; bound separately so their absence costs only batch norm).</summary>
    static readonly string[] BatchNormNames = ["cudnnBatchNormalizationForwardTraining", "cudnnBatchNormalizationBackward"];

    readonly nint[] f;
    readonly nint[]? bn;
    readonly ConcurrentDictionary<(ConvPass, ConvShape, bool Benchmark, bool Deterministic), (int Algo, long Workspace)> algorithms = new();

    CuDnn(nint[] functions, nint[]? batchNorm) => (f, bn) = (functions, batchNorm);

    /// <summary>The entry points bound (tests give a fake library these): the convolutions', then batch norm's (optional).</summary>
    internal static IReadOnlyList<string> Exports => [.. Names, .. BatchNormNames];

    /// <summary>Binds cuDNN's entry points; null and the missing names when the library lacks some convolution entry point.</summary>
    public static CuDnn? Bind(nint library, INativeHost host, out string? missing) =>
        NativeExports.Bind(host, library, Names, out missing) is { } f ? new CuDnn(f, NativeExports.Bind(host, library, BatchNormNames, out _)) : null;

    /// <summary>Whether the library has the batch-norm entry points.</summary>
    public bool HasBatchNorm => bn is not null;

    /// <summary>cuDNN's smallest batch-norm epsilon (<c>CUDNN_BN_MIN_EPSILON</c>: 1e-5 before cuDNN 7.5, 0 since; the stricter one).</summary>
    public const double BatchNormMinEpsilon = 1e-5;

    const int BatchNormSpatial = 1; // CUDNN_BATCHNORM_SPATIAL: one mean/variance per channel over N×H×W

    /// <summary>Algorithm searches run (heuristics or timing), once per problem (tests).</summary>
    internal int Searches;

    void Check(int status, string call)
    {
        if (status == 0) return;
        nint text = ((delegate* unmanaged<int, nint>)f[3])(status);
        throw new CudnnException(call, status, text != 0 ? Marshal.PtrToStringUTF8(text) ?? "CUDNN_STATUS_UNKNOWN" : "CUDNN_STATUS_UNKNOWN");
    }

    /// <summary>A handle on the current context (<c>cudnnCreate</c>).</summary>
    public nint Create()
    {
        nint h;
        Check(((delegate* unmanaged<nint*, int>)f[0])(&h), "cudnnCreate");
        return h;
    }

    public void SetStream(nint handle, nint stream) => Check(((delegate* unmanaged<nint, nint, int>)f[2])(handle, stream), "cudnnSetStream");

    // cudnnDataType_t, cudnnMathType_t, cudnnConvolutionMode_t, cudnnTensorFormat_t values (cudnn_ops.h / cudnn_cnn.h).
    internal const int DataFloat = 0, DataDouble = 1, DefaultMath = 0, FmaMath = 3, CrossCorrelation = 1, Nchw = 0;

    /// <summary>Descriptors of one problem, destroyed together.</summary>
    readonly struct Descriptors(CuDnn dnn, nint x, nint w, nint conv, nint y) : IDisposable
    {
        public readonly nint X = x, W = w, Conv = conv, Y = y;

        public void Dispose()
        {
            ((delegate* unmanaged<nint, int>)dnn.f[6])(X);
            ((delegate* unmanaged<nint, int>)dnn.f[6])(Y);
            ((delegate* unmanaged<nint, int>)dnn.f[9])(W);
            ((delegate* unmanaged<nint, int>)dnn.f[14])(Conv);
        }
    }

    Descriptors Describe(ConvShape s, bool allowTf32)
    {
        nint x, w, conv, y;
        Check(((delegate* unmanaged<nint*, int>)f[4])(&x), "cudnnCreateTensorDescriptor");
        Check(((delegate* unmanaged<nint*, int>)f[4])(&y), "cudnnCreateTensorDescriptor");
        Check(((delegate* unmanaged<nint*, int>)f[7])(&w), "cudnnCreateFilterDescriptor");
        Check(((delegate* unmanaged<nint*, int>)f[10])(&conv), "cudnnCreateConvolutionDescriptor");
        var d = new Descriptors(this, x, w, conv, y);
        try
        {
            int type = s.DType == DType.Float64 ? DataDouble : DataFloat;
            Tensor4d(x, type, s.N, s.C, s.H, s.W);
            Tensor4d(y, type, s.N, s.K, s.OH, s.OW);
            Check(((delegate* unmanaged<nint, int, int, int, int, int, int, int>)f[8])(w, type, Nchw, s.K, s.C / s.G.Groups, s.KH, s.KW), "cudnnSetFilter4dDescriptor");
            var g = s.G;
            Check(((delegate* unmanaged<nint, int, int, int, int, int, int, int, int, int>)f[11])(conv, g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW,
                CrossCorrelation, type), "cudnnSetConvolution2dDescriptor");
            Check(((delegate* unmanaged<nint, int, int>)f[12])(conv, g.Groups), "cudnnSetConvolutionGroupCount");
            // float32: TF32 tensor cores unless turned off (torch.backends.cudnn.allow_tf32, true by default in PyTorch).
            Check(((delegate* unmanaged<nint, int, int>)f[13])(conv, type == DataFloat && !allowTf32 ? FmaMath : DefaultMath), "cudnnSetConvolutionMathType");
            return d;
        }
        catch
        {
            d.Dispose();
            throw;
        }
    }

    void Tensor4d(nint desc, int type, int n, int c, int h, int w) =>
        Check(((delegate* unmanaged<nint, int, int, int, int, int, int, int, int, int, int>)f[5])(desc, type, n, c, h, w, c * h * w, h * w, w, 1), "cudnnSetTensor4dDescriptorEx");

    /// <summary>The scaling factors cuDNN takes by pointer — α = 1, β = 0 — as double 1, double 0, float 1, float 0 (process lifetime).</summary>
    static readonly nint Scalars = MakeScalars();

    static nint MakeScalars()
    {
        var p = (byte*)NativeMemory.Alloc(24);
        *(double*)p = 1; *(double*)(p + 8) = 0; *(float*)(p + 16) = 1; *(float*)(p + 20) = 0;
        return (nint)p;
    }

    /// <summary>1 in the scalar type cuDNN uses for <paramref name="dtype"/> data (double for double, float otherwise).</summary>
    static void* One(DType dtype) => (byte*)Scalars + (dtype == DType.Float64 ? 0 : 16);

    /// <summary>0 in the scalar type cuDNN uses for <paramref name="dtype"/> data.</summary>
    static void* Zero(DType dtype) => (byte*)Scalars + (dtype == DType.Float64 ? 8 : 20);

    /// <summary>The descriptors of a batch norm over [N, C, S]: the data as NCHW (N, C, S, 1) and the per-channel (1, C, 1, 1) parameters.</summary>
    readonly struct BatchNormDescriptors : IDisposable
    {
        readonly CuDnn dnn;
        public readonly nint X, Channel;

        public BatchNormDescriptors(CuDnn dnn, DType dtype, int n, int c, int s)
        {
            this.dnn = dnn;
            nint x, channel;
            dnn.Check(((delegate* unmanaged<nint*, int>)dnn.f[4])(&x), "cudnnCreateTensorDescriptor");
            X = x;
            dnn.Check(((delegate* unmanaged<nint*, int>)dnn.f[4])(&channel), "cudnnCreateTensorDescriptor");
            Channel = channel;
            int type = dtype == DType.Float64 ? DataDouble : DataFloat;
            try
            {
                dnn.Tensor4d(X, type, n, c, s, 1);
                dnn.Tensor4d(Channel, type, 1, c, 1, 1);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            ((delegate* unmanaged<nint, int>)dnn.f[6])(X);
            ((delegate* unmanaged<nint, int>)dnn.f[6])(Channel);
        }
    }

    /// <summary>
    /// <c>cudnnBatchNormalizationForwardTraining</c> over [N, C, S] at device address <paramref name="x"/>: y, the batch
    /// mean and inverse std (<paramref name="saveMean"/>, <paramref name="saveInvStd"/>) and, when the addresses are
    /// not 0, the running mean and (unbiased) variance moved by <paramref name="momentum"/>.
    /// </summary>
    public void BatchNormTraining(nint handle, nint stream, DType dtype, int n, int c, int s, nint x, nint y, nint scale, nint bias,
        double momentum, nint runningMean, nint runningVar, double eps, nint saveMean, nint saveInvStd)
    {
        SetStream(handle, stream);
        using var d = new BatchNormDescriptors(this, dtype, n, c, s);
        void* one = One(dtype), zero = Zero(dtype);
        Check(((delegate* unmanaged<nint, int, void*, void*, nint, nint, nint, nint, nint, nint, nint, double, nint, nint, double, nint, nint, int>)bn![0])(
            handle, BatchNormSpatial, one, zero, d.X, x, d.X, y, d.Channel, scale, bias, momentum, runningMean, runningVar, eps, saveMean, saveInvStd),
            BatchNormNames[0]);
    }

    /// <summary>
    /// <c>cudnnBatchNormalizationBackward</c> from the forward's saved mean and inverse std: dx, and the scale and bias
    /// gradients (all three replace what their buffers held).
    /// </summary>
    public void BatchNormBackward(nint handle, nint stream, DType dtype, int n, int c, int s, nint x, nint dy, nint dx, nint scale,
        nint dScale, nint dBias, double eps, nint saveMean, nint saveInvStd)
    {
        SetStream(handle, stream);
        using var d = new BatchNormDescriptors(this, dtype, n, c, s);
        void* one = One(dtype), zero = Zero(dtype);
        Check(((delegate* unmanaged<nint, int, void*, void*, void*, void*, nint, nint, nint, nint, nint, nint, nint, nint, nint, nint, double, nint, nint, int>)bn![1])(
            handle, BatchNormSpatial, one, zero, one, zero, d.X, x, d.X, dy, d.X, dx, d.Channel, scale, dScale, dBias, eps, saveMean, saveInvStd),
            BatchNormNames[1]);
    }

    /// <summary>cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: algo, status, time, memory, … (48 bytes, the same layout for all three).</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct AlgoPerf
    {
        public int Algo, Status;
        public float Time;
        public nuint Memory;
        public int Determinism, MathType, R0, R1, R2;
    }

    const int MaxAlgos = 8;

    /// <summary>CUDNN_DETERMINISTIC in an algorithm's perf struct.</summary>
    const int Deterministic = 1;

    /// <summary>
    /// The algorithm for a problem and its workspace size: the first cuDNN reports usable (its heuristics, or its timings
    /// in benchmark mode) — and deterministic, when asked — searched once per problem.
    /// </summary>
    (int Algo, long Workspace) Algorithm(nint handle, ConvPass pass, ConvShape s, Descriptors d, bool benchmark, bool deterministic) =>
        algorithms.GetOrAdd((pass, s, benchmark, deterministic), _ =>
        {
            Interlocked.Increment(ref Searches);
            var perf = stackalloc AlgoPerf[MaxAlgos];
            int count = 0;
            int search = (pass, benchmark) switch
            {
                (ConvPass.Forward, false) => 15, (ConvPass.Forward, true) => 16,
                (ConvPass.BackwardData, false) => 19, (ConvPass.BackwardData, true) => 20,
                (ConvPass.BackwardFilter, false) => 23, _ => 24,
            };
            int sizeOf = pass switch { ConvPass.Forward => 17, ConvPass.BackwardData => 21, _ => 25 };
            // cuDNN orders a pass's descriptors (x, w, conv, y), (w, dy, conv, dx), (x, dy, conv, dw) in the search, the
            // workspace query and the call alike.
            var (a, b, c) = Order(pass, d);
            Check(((delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, AlgoPerf*, int>)f[search])(handle, a, b, d.Conv, c, MaxAlgos, &count, perf),
                Names[search]);
            for (int i = 0; i < count; i++)
            {
                if (perf[i].Status != 0 || (deterministic && perf[i].Determinism != Deterministic)) continue;
                nuint bytes;
                Check(((delegate* unmanaged<nint, nint, nint, nint, nint, int, nuint*, int>)f[sizeOf])(handle, a, b, d.Conv, c, perf[i].Algo, &bytes), Names[sizeOf]);
                return (perf[i].Algo, (long)bytes);
            }
            throw new CudnnException(Names[search], 9, deterministic
                ? "no deterministic convolution algorithm is usable for this problem (CudaBackend.CudnnDeterministic is set)"
                : "no convolution algorithm is usable for this problem");
        });

    static (nint A, nint B, nint C) Order(ConvPass pass, Descriptors d) => pass switch
    {
        ConvPass.Forward => (d.X, d.W, d.Y),
        ConvPass.BackwardData => (d.W, d.Y, d.X),
        _ => (d.X, d.Y, d.W),
    };

    /// <summary>
    /// Runs one pass of <paramref name="s"/> on device addresses <paramref name="x"/>, <paramref name="w"/>,
    /// <paramref name="y"/>: forward y = x ⋆ w, backward data x = y ⋆ᵀ w, backward filter w = x ⋆ y (beta 0: the result
    /// replaces what was there). The workspace comes from and goes back to the device's allocator.
    /// </summary>
    public void Run(nint handle, nint stream, ConvPass pass, ConvShape s, nint x, nint w, nint y, bool benchmark, bool deterministic, bool allowTf32,
        Func<long, GpuBuffer> allocate, Action<GpuBuffer> free)
    {
        SetStream(handle, stream);
        using var d = Describe(s, allowTf32);
        var (algo, workspaceBytes) = Algorithm(handle, pass, s, d, benchmark, deterministic);
        var workspace = workspaceBytes > 0 ? allocate(workspaceBytes) : null;
        try
        {
            void* alpha = One(s.DType), beta = Zero(s.DType);
            var (a, b, c) = Order(pass, d);
            var (pa, pb, pc) = pass switch { ConvPass.Forward => (x, w, y), ConvPass.BackwardData => (w, y, x), _ => (x, y, w) };
            int call = pass switch { ConvPass.Forward => 18, ConvPass.BackwardData => 22, _ => 26 };
            // cudnnConvolutionForward/BackwardData/BackwardFilter share one signature: (handle, alpha, aDesc, a, bDesc, b,
            // convDesc, algo, workspace, bytes, beta, cDesc, c).
            Check(((delegate* unmanaged<nint, void*, nint, nint, nint, nint, nint, int, nint, nuint, void*, nint, nint, int>)f[call])(
                handle, alpha, a, pa, b, pb, d.Conv, algo, workspace?.Mem ?? 0, (nuint)workspaceBytes, beta, c, pc), Names[call]);
        }
        finally
        {
            if (workspace is not null) free(workspace);
        }
    }
}
