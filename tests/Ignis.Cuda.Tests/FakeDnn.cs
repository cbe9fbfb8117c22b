using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ignis.Cuda.Tests;

/// <summary>
/// cuDNN's legacy convolution API made of unmanaged-callable methods over <see cref="FakeDriver"/>'s memory: descriptors
/// are recorded, the algorithm search offers an unusable algorithm before a usable one, and the three passes compute
/// what cuDNN documents (cross-correlation with padding, stride, dilation and groups on NCHW data, beta 0) by direct
/// loops — so a descriptor built wrong gives wrong numbers. Every search and pass is recorded. Batch norm (training
/// forward and backward, spatial mode) computes what cuDNN documents, running variance unbiased; the library can be
/// installed without it, as a cuDNN lacking those entry points.
/// </summary>
internal static unsafe class FakeDnn
{
    public sealed record Tensor4d(int Type, int N, int C, int H, int W, int SN, int SC, int SH, int SW);
    public sealed record Filter(int Type, int Format, int K, int C, int H, int W);
    public sealed record Conv(int PadH, int PadW, int StrideH, int StrideW, int DilH, int DilW, int Mode, int Type)
    {
        public int Groups = 1, Math;
    }

    public static readonly Dictionary<nint, object> Descriptors = [];
    public static readonly List<string> Calls = [];
    static nint nextDescriptor = 0x9000;
    static readonly nint ErrorText = Marshal.StringToHGlobalAnsi("CUDNN_STATUS_BAD_PARAM");

    [UnmanagedCallersOnly] static int Create(nint* h) { *h = 0xD11; return 0; }
    [UnmanagedCallersOnly] static int Destroy(nint h) => 0;
    [UnmanagedCallersOnly] static int SetStream(nint h, nint s) { Calls.Add($"stream {s}"); return 0; }
    [UnmanagedCallersOnly] static nint ErrorString(int status) => ErrorText;
    [UnmanagedCallersOnly] static int CreateDescriptor(nint* d) { *d = nextDescriptor++; return 0; }
    [UnmanagedCallersOnly] static int DestroyDescriptor(nint d) => Descriptors.Remove(d) ? 0 : 3;

    [UnmanagedCallersOnly]
    static int SetTensor(nint d, int type, int n, int c, int h, int w, int sn, int sc, int sh, int sw) { Descriptors[d] = new Tensor4d(type, n, c, h, w, sn, sc, sh, sw); return 0; }

    [UnmanagedCallersOnly]
    static int SetFilter(nint d, int type, int format, int k, int c, int h, int w) { Descriptors[d] = new Filter(type, format, k, c, h, w); return 0; }

    [UnmanagedCallersOnly]
    static int SetConv(nint d, int ph, int pw, int sh, int sw, int dh, int dw, int mode, int type) { Descriptors[d] = new Conv(ph, pw, sh, sw, dh, dw, mode, type); return 0; }

    [UnmanagedCallersOnly] static int SetGroups(nint d, int groups) { ((Conv)Descriptors[d]).Groups = groups; return 0; }
    [UnmanagedCallersOnly] static int SetMath(nint d, int math) { ((Conv)Descriptors[d]).Math = math; return 0; }

    /// <summary>
    /// The perf structs of a search (48 bytes each: algo, status, time, memory, determinism, …): algorithm 5 (status 3,
    /// not supported), then algorithm 1 (usable, nondeterministic), then algorithm 2 (usable, deterministic).
    /// </summary>
    static int Search(string name, int requested, int* returned, byte* perf)
    {
        Calls.Add(name);
        *returned = Math.Min(requested, 3);
        (int Algo, int Status, int Deterministic)[] entries = [(5, 3, 0), (1, 0, 0), (2, 0, 1)];
        for (int i = 0; i < *returned; i++)
        {
            byte* e = perf + 48 * i;
            *(int*)e = entries[i].Algo; *(int*)(e + 4) = entries[i].Status; *(int*)(e + 24) = entries[i].Deterministic;
        }
        return 0;
    }

    [UnmanagedCallersOnly] static int GetFwd(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("heuristics forward", n, r, p);
    [UnmanagedCallersOnly] static int FindFwd(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("find forward", n, r, p);
    [UnmanagedCallersOnly] static int GetBwdData(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("heuristics backward data", n, r, p);
    [UnmanagedCallersOnly] static int FindBwdData(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("find backward data", n, r, p);
    [UnmanagedCallersOnly] static int GetBwdFilter(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("heuristics backward filter", n, r, p);
    [UnmanagedCallersOnly] static int FindBwdFilter(nint h, nint a, nint b, nint c, nint d, int n, int* r, byte* p) => Search("find backward filter", n, r, p);

    [UnmanagedCallersOnly]
    static int WorkspaceSize(nint h, nint a, nint b, nint c, nint d, int algo, nuint* bytes) { *bytes = algo == 1 ? 4096u : 0u; return algo is 1 or 2 ? 0 : 3; }

    /// <summary>Which buffer a pass writes.</summary>
    enum Into { Y, X, W }

    static double Read(int type, nint p, long i) => type == 1 ? BitConverter.ToDouble(FakeDriver.At((ulong)p + (ulong)(i * 8))) : BitConverter.ToSingle(FakeDriver.At((ulong)p + (ulong)(i * 4)));

    static void Add(int type, nint p, long i, double v)
    {
        var at = FakeDriver.At((ulong)p + (ulong)(i * (type == 1 ? 8 : 4)));
        if (type == 1) BitConverter.TryWriteBytes(at, BitConverter.ToDouble(at) + v); else BitConverter.TryWriteBytes(at, (float)(BitConverter.ToSingle(at) + v));
    }

    /// <summary>Cross-correlation over NCHW with padding, stride, dilation and groups, accumulated into one of its three operands.</summary>
    static int Run(string name, int algo, nint workspace, nuint bytes, double beta, Tensor4d x, Filter w, Conv c, Tensor4d y, nint px, nint pw, nint py, Into into)
    {
        Calls.Add($"{name} algo {algo} workspace {(workspace != 0 ? bytes : 0)} beta {beta} groups {c.Groups} math {c.Math}");
        if (algo is not (1 or 2) || (bytes > 0 && workspace == 0) || beta != 0) return 3;
        int type = x.Type;
        var (target, count) = into switch { Into.Y => (py, (long)y.N * y.C * y.H * y.W), Into.X => (px, (long)x.N * x.C * x.H * x.W), _ => (pw, (long)w.K * w.C * w.H * w.W) };
        for (long i = 0; i < count; i++) Add(type, target, i, -Read(type, target, i)); // beta 0
        int kPerGroup = w.K / c.Groups;
        for (int n = 0; n < x.N; n++)
            for (int k = 0; k < w.K; k++)
                for (int oh = 0; oh < y.H; oh++)
                    for (int ow = 0; ow < y.W; ow++)
                        for (int ci = 0; ci < w.C; ci++)
                            for (int i = 0; i < w.H; i++)
                                for (int j = 0; j < w.W; j++)
                                {
                                    int ih = oh * c.StrideH - c.PadH + i * c.DilH, iw = ow * c.StrideW - c.PadW + j * c.DilW;
                                    if (ih < 0 || ih >= x.H || iw < 0 || iw >= x.W) continue;
                                    long xi = (long)n * x.SN + (long)(k / kPerGroup * w.C + ci) * x.SC + (long)ih * x.SH + iw * x.SW;
                                    long wi = (((long)k * w.C + ci) * w.H + i) * w.W + j;
                                    long yi = (long)n * y.SN + (long)k * y.SC + (long)oh * y.SH + ow * y.SW;
                                    switch (into)
                                    {
                                        case Into.Y: Add(type, py, yi, Read(type, px, xi) * Read(type, pw, wi)); break;
                                        case Into.X: Add(type, px, xi, Read(type, py, yi) * Read(type, pw, wi)); break;
                                        default: Add(type, pw, wi, Read(type, px, xi) * Read(type, py, yi)); break;
                                    }
                                }
        return 0;
    }

    static double Beta(int type, void* beta) => type == 1 ? *(double*)beta : *(float*)beta;

    [UnmanagedCallersOnly]
    static int Forward(nint h, void* alpha, nint xd, nint x, nint wd, nint w, nint cd, int algo, nint ws, nuint bytes, void* beta, nint yd, nint y)
    {
        var t = (Tensor4d)Descriptors[xd];
        return Run("forward", algo, ws, bytes, Beta(t.Type, beta), t, (Filter)Descriptors[wd], (Conv)Descriptors[cd], (Tensor4d)Descriptors[yd], x, w, y, Into.Y);
    }

    [UnmanagedCallersOnly]
    static int BackwardData(nint h, void* alpha, nint wd, nint w, nint dyd, nint dy, nint cd, int algo, nint ws, nuint bytes, void* beta, nint dxd, nint dx)
    {
        var t = (Tensor4d)Descriptors[dxd];
        return Run("backward data", algo, ws, bytes, Beta(t.Type, beta), t, (Filter)Descriptors[wd], (Conv)Descriptors[cd], (Tensor4d)Descriptors[dyd], dx, w, dy, Into.X);
    }

    [UnmanagedCallersOnly]
    static int BackwardFilter(nint h, void* alpha, nint xd, nint x, nint dyd, nint dy, nint cd, int algo, nint ws, nuint bytes, void* beta, nint dwd, nint dw)
    {
        var t = (Tensor4d)Descriptors[xd];
        return Run("backward filter", algo, ws, bytes, Beta(t.Type, beta), t, (Filter)Descriptors[dwd], (Conv)Descriptors[cd], (Tensor4d)Descriptors[dyd], x, dw, dy, Into.W);
    }

    static void Set(int type, nint p, long i, double v)
    {
        var at = FakeDriver.At((ulong)p + (ulong)(i * (type == 1 ? 8 : 4)));
        if (type == 1) BitConverter.TryWriteBytes(at, v); else BitConverter.TryWriteBytes(at, (float)v);
    }

    /// <summary>The element indices of channel <paramref name="c"/> of a [N, C, H, W] descriptor.</summary>
    static IEnumerable<long> Channel(Tensor4d t, int c)
    {
        for (int n = 0; n < t.N; n++)
            for (int h = 0; h < t.H; h++)
                for (int w = 0; w < t.W; w++) yield return (long)n * t.SN + (long)c * t.SC + (long)h * t.SH + (long)w * t.SW;
    }

    /// <summary>Checks the descriptors of a spatial batch norm: data [N, C, H, W], per-channel parameters [1, C, 1, 1].</summary>
    static bool BatchNormShapes(int mode, nint xd, nint cd, out Tensor4d x)
    {
        x = (Tensor4d)Descriptors[xd];
        var ch = (Tensor4d)Descriptors[cd];
        return mode == 1 && ch is { N: 1, H: 1, W: 1 } && ch.C == x.C && ch.Type == x.Type;
    }

    [UnmanagedCallersOnly]
    static int BatchNormTraining(nint h, int mode, void* alpha, void* beta, nint xd, nint x, nint yd, nint y, nint cd, nint scale, nint bias,
        double factor, nint runningMean, nint runningVar, double eps, nint saveMean, nint saveInvStd)
    {
        Calls.Add($"batch norm forward factor {factor} eps {eps} running {runningMean != 0 && runningVar != 0}");
        if (!BatchNormShapes(mode, xd, cd, out var t) || Beta(t.Type, beta) != 0) return 3;
        int type = t.Type;
        long m = (long)t.N * t.H * t.W;
        for (int c = 0; c < t.C; c++)
        {
            double mean = Channel(t, c).Sum(i => Read(type, x, i)) / m;
            double var = Channel(t, c).Sum(i => (Read(type, x, i) - mean) * (Read(type, x, i) - mean)) / m;
            double inv = 1 / Math.Sqrt(var + eps);
            foreach (long i in Channel(t, c)) Set(type, y, i, (Read(type, x, i) - mean) * inv * Read(type, scale, c) + Read(type, bias, c));
            Set(type, saveMean, c, mean);
            Set(type, saveInvStd, c, inv);
            if (runningMean != 0) Set(type, runningMean, c, (1 - factor) * Read(type, runningMean, c) + factor * mean);
            if (runningVar != 0) Set(type, runningVar, c, (1 - factor) * Read(type, runningVar, c) + factor * var * m / (m - 1));
        }
        return 0;
    }

    [UnmanagedCallersOnly]
    static int BatchNormBackward(nint h, int mode, void* alphaData, void* betaData, void* alphaParam, void* betaParam, nint xd, nint x, nint dyd, nint dy,
        nint dxd, nint dx, nint cd, nint scale, nint dScale, nint dBias, double eps, nint saveMean, nint saveInvStd)
    {
        Calls.Add($"batch norm backward eps {eps}");
        if (!BatchNormShapes(mode, xd, cd, out var t) || Beta(t.Type, betaData) != 0 || Beta(t.Type, betaParam) != 0) return 3;
        int type = t.Type;
        long m = (long)t.N * t.H * t.W;
        for (int c = 0; c < t.C; c++)
        {
            double mean = Read(type, saveMean, c), inv = Read(type, saveInvStd, c), g = Read(type, scale, c);
            double sumDy = Channel(t, c).Sum(i => Read(type, dy, i));
            double sumDyXhat = Channel(t, c).Sum(i => Read(type, dy, i) * (Read(type, x, i) - mean) * inv);
            foreach (long i in Channel(t, c))
                Set(type, dx, i, g * inv / m * (m * Read(type, dy, i) - sumDy - (Read(type, x, i) - mean) * inv * sumDyXhat));
            Set(type, dScale, c, sumDyXhat);
            Set(type, dBias, c, sumDy);
        }
        return 0;
    }

    /// <summary>Puts the fake cuDNN on <paramref name="host"/> as the library <paramref name="path"/> (without batch norm when <paramref name="batchNorm"/> is false).</summary>
    public static void Install(FakeHost host, string path, bool batchNorm = true)
    {
        nint search = (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&GetFwd;
        (string, nint)[] exports =
        [
            ("cudnnCreate", (nint)(delegate* unmanaged<nint*, int>)&Create),
            ("cudnnDestroy", (nint)(delegate* unmanaged<nint, int>)&Destroy),
            ("cudnnSetStream", (nint)(delegate* unmanaged<nint, nint, int>)&SetStream),
            ("cudnnGetErrorString", (nint)(delegate* unmanaged<int, nint>)&ErrorString),
            ("cudnnCreateTensorDescriptor", (nint)(delegate* unmanaged<nint*, int>)&CreateDescriptor),
            ("cudnnSetTensor4dDescriptorEx", (nint)(delegate* unmanaged<nint, int, int, int, int, int, int, int, int, int, int>)&SetTensor),
            ("cudnnDestroyTensorDescriptor", (nint)(delegate* unmanaged<nint, int>)&DestroyDescriptor),
            ("cudnnCreateFilterDescriptor", (nint)(delegate* unmanaged<nint*, int>)&CreateDescriptor),
            ("cudnnSetFilter4dDescriptor", (nint)(delegate* unmanaged<nint, int, int, int, int, int, int, int>)&SetFilter),
            ("cudnnDestroyFilterDescriptor", (nint)(delegate* unmanaged<nint, int>)&DestroyDescriptor),
            ("cudnnCreateConvolutionDescriptor", (nint)(delegate* unmanaged<nint*, int>)&CreateDescriptor),
            ("cudnnSetConvolution2dDescriptor", (nint)(delegate* unmanaged<nint, int, int, int, int, int, int, int, int, int>)&SetConv),
            ("cudnnSetConvolutionGroupCount", (nint)(delegate* unmanaged<nint, int, int>)&SetGroups),
            ("cudnnSetConvolutionMathType", (nint)(delegate* unmanaged<nint, int, int>)&SetMath),
            ("cudnnDestroyConvolutionDescriptor", (nint)(delegate* unmanaged<nint, int>)&DestroyDescriptor),
            ("cudnnGetConvolutionForwardAlgorithm_v7", search),
            ("cudnnFindConvolutionForwardAlgorithm", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&FindFwd),
            ("cudnnGetConvolutionForwardWorkspaceSize", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, nuint*, int>)&WorkspaceSize),
            ("cudnnConvolutionForward", (nint)(delegate* unmanaged<nint, void*, nint, nint, nint, nint, nint, int, nint, nuint, void*, nint, nint, int>)&Forward),
            ("cudnnGetConvolutionBackwardDataAlgorithm_v7", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&GetBwdData),
            ("cudnnFindConvolutionBackwardDataAlgorithm", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&FindBwdData),
            ("cudnnGetConvolutionBackwardDataWorkspaceSize", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, nuint*, int>)&WorkspaceSize),
            ("cudnnConvolutionBackwardData", (nint)(delegate* unmanaged<nint, void*, nint, nint, nint, nint, nint, int, nint, nuint, void*, nint, nint, int>)&BackwardData),
            ("cudnnGetConvolutionBackwardFilterAlgorithm_v7", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&GetBwdFilter),
            ("cudnnFindConvolutionBackwardFilterAlgorithm", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, int*, byte*, int>)&FindBwdFilter),
            ("cudnnGetConvolutionBackwardFilterWorkspaceSize", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int, nuint*, int>)&WorkspaceSize),
            ("cudnnConvolutionBackwardFilter", (nint)(delegate* unmanaged<nint, void*, nint, nint, nint, nint, nint, int, nint, nuint, void*, nint, nint, int>)&BackwardFilter),
        ];
        if (batchNorm)
            exports =
            [
                .. exports,
                ("cudnnBatchNormalizationForwardTraining",
                    (nint)(delegate* unmanaged<nint, int, void*, void*, nint, nint, nint, nint, nint, nint, nint, double, nint, nint, double, nint, nint, int>)&BatchNormTraining),
                ("cudnnBatchNormalizationBackward",
                    (nint)(delegate* unmanaged<nint, int, void*, void*, void*, void*, nint, nint, nint, nint, nint, nint, nint, nint, nint, nint, double, nint, nint, int>)&BatchNormBackward),
            ];
        host.Libraries[path] = [.. host.Libraries.GetValueOrDefault(path, []), .. exports.Select(e => e.Item1)];
        foreach (var (n, a) in exports) host.Addresses[n] = a;
    }
}
