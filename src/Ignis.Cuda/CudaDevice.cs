using System.Collections.Concurrent;
using Ignis.Backends;
using Ignis.Cuda.Memory;
using Ignis.Cuda.Native;
using Ignis.Gpu;
using Ignis.Kernels;

namespace Ignis.Cuda;

/// <summary>
/// One NVIDIA GPU as a <see cref="GpuDevice"/>: its primary context (shared with cuBLAS and cuDNN, as PyTorch does),
/// the caching <see cref="SegmentAllocator"/> on cuMemAlloc, programs rendered to CUDA C++ (<see cref="Dialect"/>) and
/// compiled by NVRTC for the device's exact <c>sm_XX</c> (CUBINs cached on disk), and launches on the thread's current
/// stream (<see cref="CudaStream"/>; the legacy default stream otherwise). Transfers of 64 KiB and more go through a
/// pinned staging buffer, which the GPU reads and writes by DMA.
/// </summary>
internal sealed unsafe class CudaDevice : GpuDevice
{
    readonly CuDriver driver;
    readonly Nvrtc nvrtc;
    readonly CuBlas? blas;
    readonly CuDnn? dnn;
    nint blasHandle, dnnHandle;
    readonly nint context;
    readonly SegmentAllocator allocator;
    readonly ConcurrentDictionary<string, Lazy<nint>> modules = new();
    readonly ConcurrentDictionary<(nint Module, string Name), nint> functions = new();
    readonly object transferGate = new(), blasGate = new(), dnnGate = new();

    [ThreadStatic] static nint currentContext;

    public CudaDevice(CuDriver driver, Nvrtc nvrtc, CuBlas? blas, CuDnn? dnn, CudaDeviceInfo info)
    {
        this.driver = driver;
        this.nvrtc = nvrtc;
        this.blas = blas;
        this.dnn = dnn;
        Info = info;
        context = driver.PrimaryContext(info.Index);
        currentContext = context;
        allocator = new SegmentAllocator(new DriverMemory(driver, info.TotalMemory), $"cuda:{info.Index}");
        var (major, minor) = nvrtc.Version;
        CompilerVersion = $"{major}.{minor}";
    }

    /// <summary>What the driver reported about this GPU.</summary>
    public CudaDeviceInfo Info { get; }

    /// <summary>NVRTC's version, part of the CUBIN cache key.</summary>
    public string CompilerVersion { get; }

    /// <inheritdoc/>
    public override int Index => Info.Index;

    /// <inheritdoc/>
    public override Device Device => new(DeviceType.Cuda, Info.Index);

    /// <inheritdoc/>
    public override string Name => Info.Name;

    /// <inheritdoc/>
    public override long GlobalMemory => Info.TotalMemory;

    /// <inheritdoc/>
    public override int ComputeUnits => Info.MultiProcessors;

    /// <inheritdoc/>
    public override bool HasFp64 => true;

    /// <inheritdoc/>
    public override (int Major, int Minor)? ComputeCapability => (Info.Major, Info.Minor);

    /// <summary>The compute capability as one number (<c>90</c> for sm_90), which NVRTC compiles for.</summary>
    public int Arch => Info.Major * 10 + Info.Minor;

    /// <summary>Makes this device's context current on the calling thread (once per thread and device switch).</summary>
    internal CuDriver Bound()
    {
        if (currentContext != context)
        {
            driver.SetCurrent(context);
            currentContext = context;
        }
        return driver;
    }

    /// <summary>The stream work goes to on this thread: the innermost <see cref="CudaStream.Use"/> scope's, else 0 (legacy default).</summary>
    nint Stream => CudaStream.CurrentHandle(this);

    /// <summary>The on-disk cache of CUBINs.</summary>
    internal static readonly ProgramCache DiskCache = new("cuda", "IGNIS_CUDA_CACHE", "IGNISCU1", ".cubin");

    /// <summary>Modules loaded from the on-disk cache, and compiles NVRTC ran (tests).</summary>
    public int DiskCacheHits, Compiles;

    /// <inheritdoc/>
    public override nint Kernel(string source, string name)
    {
        nint module = modules.GetOrAdd(source, s => new Lazy<nint>(() => Bound().LoadModule(Cubin(s)))).Value;
        return functions.GetOrAdd((module, name), k => Bound().Function(k.Module, k.Name));
    }

    /// <summary>The CUBIN of an OpenCL-dialect program: from the disk cache, else rendered to CUDA C++ and compiled by NVRTC.</summary>
    byte[] Cubin(string openclSource)
    {
        var (cuda, noFma) = Dialect.ToCuda(openclSource);
        string? folder = DiskCache.Folder;
        string key = folder is null ? "" : ProgramCache.Key(Name, Info.Architecture, CompilerVersion, string.Join(' ', Nvrtc.Options(Arch, noFma)), cuda);
        if (folder is not null && DiskCache.TryRead(folder, key, out _) is { } cached)
        {
            Interlocked.Increment(ref DiskCacheHits);
            return cached;
        }
        var cubin = nvrtc.Compile(cuda, "ignis.cu", Arch, noFma);
        Interlocked.Increment(ref Compiles);
        if (folder is not null) DiskCache.Write(folder, key, cubin);
        return cubin;
    }

    /// <summary>Threads per block when a launch leaves the choice to the device.</summary>
    internal const int DefaultBlock = 256;

    /// <summary>
    /// The grid and block of an OpenCL-style launch: groups of <paramref name="local"/> (or <see cref="DefaultBlock"/>
    /// threads along the first dimension and 1 along the others) and as many blocks as cover <paramref name="global"/>.
    /// </summary>
    internal static ((uint X, uint Y, uint Z) Grid, (uint X, uint Y, uint Z) Block) Geometry(ReadOnlySpan<long> global, ReadOnlySpan<long> local)
    {
        Span<uint> grid = [1, 1, 1], block = [1, 1, 1];
        ReadOnlySpan<long> limits = [int.MaxValue, 65535, 65535];
        for (int i = 0; i < global.Length; i++)
        {
            long b = !local.IsEmpty ? local[i] : i == 0 ? Math.Min(DefaultBlock, global[0]) : 1;
            long g = (global[i] + b - 1) / b;
            if (g > limits[i])
                throw new ArgumentOutOfRangeException(nameof(global), $"a launch over {global[i]} work-items in dimension {i} needs {g} blocks; CUDA allows {limits[i]}");
            grid[i] = (uint)g;
            block[i] = (uint)b;
        }
        return ((grid[0], grid[1], grid[2]), (block[0], block[1], block[2]));
    }

    /// <inheritdoc/>
    public override void Launch(nint kernel, KernelArgs args, ReadOnlySpan<long> global, ReadOnlySpan<long> local = default)
    {
        foreach (long g in global)
            if (g == 0) return;
        var (grid, block) = Geometry(global, local);
        // cuLaunchKernel copies the values behind each pointer before it returns: KernelArgs keeps every argument at the
        // start of its own 8-byte words, so the pointers can point straight into its array.
        nint* parameters = stackalloc nint[Math.Max(1, args.Count)];
        fixed (long* values = &args.Value(0))
        {
            for (int i = 0; i < args.Count; i++) parameters[i] = (nint)(values + args.Slot(i).Start);
            Bound().Launch(kernel, grid, block, (nint)parameters, Stream);
        }
    }

    /// <summary>Bytes of the pinned staging buffer, and the smallest transfer worth staging.</summary>
    const int StagingBytes = 16 << 20, StagingMin = 64 << 10;

    /// <summary>Whether transfers of 64 KiB and more go through the pinned staging buffer (on by default; tests turn it off).</summary>
    internal bool UsePinnedStaging = true;

    /// <summary>Transfers that went through the staging buffer (tests).</summary>
    internal long StagedTransfers;

    byte* staging;

    /// <inheritdoc/>
    public override void Write(nint mem, long byteOffset, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) Transfer(write: true, (ulong)mem + (ulong)byteOffset, p, data.Length);
    }

    /// <inheritdoc/>
    public override void Read(nint mem, long byteOffset, Span<byte> data)
    {
        fixed (byte* p = data) Transfer(write: false, (ulong)mem + (ulong)byteOffset, p, data.Length);
    }

    /// <summary>
    /// One blocking transfer: small ones as a synchronous copy on the legacy default stream (which waits for work on
    /// Ignis' streams, created blocking), larger ones in chunks through the pinned staging buffer on the current stream.
    /// </summary>
    void Transfer(bool write, ulong device, byte* host, int length)
    {
        if (length == 0) return;
        var d = Bound();
        if (!UsePinnedStaging || length < StagingMin)
        {
            if (write) d.CopyToDevice(device, new ReadOnlySpan<byte>(host, length));
            else d.CopyToHost(new Span<byte>(host, length), device);
            return;
        }
        nint stream = Stream;
        lock (transferGate)
        {
            Interlocked.Increment(ref StagedTransfers);
            byte* st = staging != null ? staging : staging = (byte*)d.HostAlloc(StagingBytes);
            for (int done = 0; done < length; done += StagingBytes)
            {
                int n = Math.Min(StagingBytes, length - done);
                if (write)
                {
                    Buffer.MemoryCopy(host + done, st, n, n);
                    d.CopyToDeviceAsync(device + (ulong)done, st, n, stream);
                }
                else d.CopyToHostAsync(st, device + (ulong)done, n, stream);
                d.SynchronizeStream(stream); // the staging buffer is reused by the next chunk
                if (!write) Buffer.MemoryCopy(st, host + done, n, n);
            }
        }
    }

    /// <inheritdoc/>
    public override void CopyBuffer(nint src, long srcOffset, nint dst, long dstOffset, long bytes)
    {
        if (bytes == 0) return;
        Bound().CopyOnDevice((ulong)dst + (ulong)dstOffset, (ulong)src + (ulong)srcOffset, bytes, Stream);
    }

    /// <inheritdoc/>
    public override void Finish() => Bound().Synchronize();

    /// <summary>Peer copies run (tests).</summary>
    internal long PeerCopies;

    /// <inheritdoc/>
    public override bool CopiesFromPeer(GpuDevice source) => source is CudaDevice && source != this;

    /// <inheritdoc/>
    public override void CopyFromPeer(GpuDevice source, nint src, long srcOffset, nint dst, long dstOffset, long bytes)
    {
        if (bytes == 0) return;
        var from = (CudaDevice)source;
        // The source's work on its current stream (and, through the legacy stream, what came before) must be done:
        // the two GPUs' streams are not ordered with each other.
        from.Bound().SynchronizeStream(from.Stream);
        var d = Bound();
        nint stream = Stream;
        d.CopyPeer((ulong)dst + (ulong)dstOffset, context, (ulong)src + (ulong)srcOffset, from.context, bytes, stream);
        d.SynchronizeStream(stream); // complete before the caller frees or reuses the source
        Interlocked.Increment(ref PeerCopies);
    }

    /// <summary>GEMMs cuBLAS ran (tests).</summary>
    internal long VendorGemms;

    /// <inheritdoc/>
    public override bool TryVendorGemm(DType dtype, long batches, long sum, long m, long n, long k, GemmOperand a, GemmOperand b, GemmOperand c, bool accumulate)
    {
        if (blas is null || k == 0 || (dtype != DType.Float32 && dtype != DType.Float64) || batches > int.MaxValue) return false;
        if (CuBlas.Plan(m, n, k, a, b, c) is not { } plan) return false;
        Bound();
        lock (blasGate)
        {
            if (blasHandle == 0) blasHandle = blas.Create();
            blas.SetStream(blasHandle, Stream);
            // Σ over s: the first product writes (or accumulates), the others add — A and B step by S batches per z.
            var (stepA, stepB) = (a with { BatchStride = a.BatchStride * sum }, b with { BatchStride = b.BatchStride * sum });
            for (long s = 0; s < sum; s++)
                blas.Gemm(blasHandle, plan, dtype.ElementSize(), CudaBackend.AllowTf32, stepA, stepB, c, s * a.BatchStride, s * b.BatchStride, batches, accumulate || s > 0);
        }
        Interlocked.Increment(ref VendorGemms);
        return true;
    }

    /// <summary>Convolution passes cuDNN ran (tests).</summary>
    internal long VendorConvs;

    /// <inheritdoc/>
    public override bool TryVendorConv2d(ConvPass pass, ConvShape shape, ConvBuffers b)
    {
        if (dnn is null || !CudaBackend.CudnnEnabled || (shape.DType != DType.Float32 && shape.DType != DType.Float64)) return false;
        int size = shape.DType.ElementSize();
        WithDnn((handle, stream) => dnn.Run(handle, stream, pass, shape, b.X + (nint)(b.XOffset * size), b.W + (nint)(b.WOffset * size), b.Y + (nint)(b.YOffset * size),
            CudaBackend.CudnnBenchmark, CudaBackend.CudnnDeterministic, CudaBackend.CudnnAllowTf32, Allocate, block => Free(block, finalizing: false)));
        Interlocked.Increment(ref VendorConvs);
        return true;
    }

    /// <summary>Batch norms cuDNN ran, forward and backward (tests).</summary>
    internal long VendorBatchNorms;

    /// <summary>The device address of a view's first element.</summary>
    static nint At(TensorView v) => GpuStorage.Of(v.Storage).Mem + (nint)(v.Offset * v.DType.ElementSize());

    static nint AtOrZero(TensorView? v) => v is null ? 0 : At(v);

    /// <summary>Whether cuDNN takes a batch norm over [N, C, S] <paramref name="input"/> (PyTorch's conditions: float, eps, int sizes).</summary>
    bool CudnnBatchNormSuits(TensorView input, double eps) =>
        dnn is { HasBatchNorm: true } && CudaBackend.CudnnEnabled && CudaBackend.CudnnBatchNorm
        && (input.DType == DType.Float32 || input.DType == DType.Float64) && eps >= CuDnn.BatchNormMinEpsilon && input.Numel < int.MaxValue;

    /// <summary>Runs <paramref name="call"/> with the cuDNN handle on the current stream (one handle per device, calls serialised).</summary>
    void WithDnn(Action<nint, nint> call)
    {
        Bound();
        lock (dnnGate)
        {
            if (dnnHandle == 0) dnnHandle = dnn!.Create();
            call(dnnHandle, Stream);
        }
    }

    /// <inheritdoc/>
    public override bool TryVendorBatchNorm(TensorView input, TensorView weight, TensorView bias, TensorView? runningMean, TensorView? runningVar,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd)
    {
        if (!CudnnBatchNormSuits(input, eps)) return false;
        var (n, c, s) = ((int)input.Shape[0], (int)input.Shape[1], (int)input.Shape[2]);
        WithDnn((handle, stream) => dnn!.BatchNormTraining(handle, stream, input.DType, n, c, s, At(input), At(output), At(weight), At(bias),
            momentum, AtOrZero(runningMean), AtOrZero(runningVar), eps, At(saveMean), At(saveInvStd)));
        GC.KeepAlive(input); GC.KeepAlive(weight); GC.KeepAlive(bias); GC.KeepAlive(runningMean); GC.KeepAlive(runningVar);
        GC.KeepAlive(output); GC.KeepAlive(saveMean); GC.KeepAlive(saveInvStd);
        Interlocked.Increment(ref VendorBatchNorms);
        return true;
    }

    /// <inheritdoc/>
    public override bool TryVendorBatchNormBackward(TensorView gradOutput, TensorView input, TensorView weight, TensorView saveMean, TensorView saveInvStd,
        double eps, TensorView gradInput, TensorView? gradWeight, TensorView? gradBias)
    {
        if (!CudnnBatchNormSuits(input, eps)) return false;
        var (n, c, s) = ((int)input.Shape[0], (int)input.Shape[1], (int)input.Shape[2]);
        // cuDNN always writes the scale and bias gradients: unwanted ones go to a scratch block.
        long channelBytes = (long)c * input.DType.ElementSize();
        var scratch = gradWeight is null || gradBias is null ? Allocate(2 * channelBytes) : null;
        try
        {
            nint dScale = gradWeight is null ? scratch!.Mem : At(gradWeight), dBias = gradBias is null ? scratch!.Mem + (nint)channelBytes : At(gradBias);
            WithDnn((handle, stream) => dnn!.BatchNormBackward(handle, stream, input.DType, n, c, s, At(input), At(gradOutput), At(gradInput), At(weight),
                dScale, dBias, eps, At(saveMean), At(saveInvStd)));
        }
        finally
        {
            if (scratch is not null) Free(scratch, finalizing: false);
        }
        GC.KeepAlive(gradOutput); GC.KeepAlive(input); GC.KeepAlive(weight); GC.KeepAlive(saveMean); GC.KeepAlive(saveInvStd);
        GC.KeepAlive(gradInput); GC.KeepAlive(gradWeight); GC.KeepAlive(gradBias);
        Interlocked.Increment(ref VendorBatchNorms);
        return true;
    }

    /// <inheritdoc/>
    public override GpuBuffer Allocate(long bytes)
    {
        Bound();
        long size = SegmentAllocator.Round(bytes);
        return new GpuBuffer((nint)allocator.Allocate(bytes, Stream), size);
    }

    /// <summary>Marks a block as used by <paramref name="stream"/> too (<c>Tensor.record_stream</c>; see <see cref="SegmentAllocator"/>).</summary>
    internal void RecordStream(nint mem, nint stream) => allocator.RecordStream((ulong)mem, stream);

    /// <summary>A stream is being destroyed, its work done: its cached blocks become the default stream's.</summary>
    internal void RetireStream(nint stream) => allocator.RetireStream(stream);

    /// <summary>Freed blocks the allocator holds back for other streams (tests).</summary>
    internal int PendingBlocks => allocator.PendingBlocks;

    /// <inheritdoc/>
    public override void Free(GpuBuffer block, bool finalizing)
    {
        if (finalizing) allocator.FreeFromFinalizer((ulong)block.Mem);
        else
        {
            Bound();
            allocator.Free((ulong)block.Mem);
        }
    }

    /// <inheritdoc/>
    public override MemoryStats MemoryStats => allocator.Stats;

    /// <inheritdoc/>
    public override void ResetPeakMemory() => allocator.ResetPeak();

    /// <inheritdoc/>
    public override void EmptyCache()
    {
        Bound();
        allocator.EmptyCache();
    }
}
