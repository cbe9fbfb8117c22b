using Ignis.Backends;

namespace Ignis.Gpu;

/// <summary>One operand of a device GEMM: its buffer, element offset, batch stride and row and column strides (elements).</summary>
internal readonly record struct GemmOperand(nint Mem, long Offset, long BatchStride, long Stride1, long Stride2);

/// <summary>The three passes of a convolution: forward, the input gradient and the weight gradient.</summary>
internal enum ConvPass { Forward, BackwardData, BackwardFilter }

/// <summary>
/// A 2-D convolution problem on contiguous NCHW tensors: input [N,C,H,W], weight [K,C/groups,KH,KW], output
/// [N,K,OH,OW], its geometry and dtype (the key vendor libraries choose algorithms by).
/// </summary>
internal readonly record struct ConvShape(DType DType, int N, int C, int H, int W, int K, int KH, int KW, int OH, int OW, Conv2dGeometry G);

/// <summary>The buffers and element offsets of a convolution's input (or its gradient), weight and output (or its gradient).</summary>
internal readonly record struct ConvBuffers(nint X, long XOffset, nint W, long WOffset, nint Y, long YOffset);

/// <summary>
/// What <see cref="GpuBackend"/> needs of a device — tinygrad's "small device runtime": build a kernel from a rendered
/// template, launch it over a grid, move bytes, hand out memory, report errors kernels raise, and wait. Work is ordered:
/// launches, copies and reads run in the order they were issued (OpenCL's in-order queue; CUDA's default stream), and
/// reads return once the work before them is done. <c>Ignis.OpenCL.ClDevice</c> and <c>Ignis.Cuda.CudaDevice</c>
/// implement it.
/// </summary>
internal abstract class GpuDevice
{
    /// <summary>The device's <c>N</c> in <c>opencl:N</c> / <c>cuda:N</c>.</summary>
    public abstract int Index { get; }

    /// <summary>The device as tensors name it.</summary>
    public abstract Device Device { get; }

    /// <summary>The device's name.</summary>
    public abstract string Name { get; }

    /// <summary>Global memory in bytes.</summary>
    public abstract long GlobalMemory { get; }

    /// <summary>Compute units (OpenCL) or multiprocessors (CUDA).</summary>
    public abstract int ComputeUnits { get; }

    /// <summary>The compute capability of an NVIDIA GPU; null for other devices.</summary>
    public virtual (int Major, int Minor)? ComputeCapability => null;

    /// <summary>Whether float64 kernels can run.</summary>
    public abstract bool HasFp64 { get; }

    /// <summary>True for a CPU device (PoCL, Intel's CPU runtime): kernels that favour CPUs' vectorisers are chosen.</summary>
    public virtual bool IsCpu => false;

    /// <summary>The kernel <paramref name="name"/> of the program rendered as <paramref name="source"/> (OpenCL C), built once.</summary>
    public abstract nint Kernel(string source, string name);

    /// <summary>
    /// Launches <paramref name="kernel"/> over <paramref name="global"/> work-items (1 to 3 dimensions) in groups of
    /// <paramref name="local"/> (empty: the device chooses). Kernels guard against the work-items a rounded-up grid adds.
    /// </summary>
    public abstract void Launch(nint kernel, KernelArgs args, ReadOnlySpan<long> global, ReadOnlySpan<long> local = default);

    /// <summary>Blocking write of host bytes into a buffer.</summary>
    public abstract void Write(nint mem, long byteOffset, ReadOnlySpan<byte> data);

    /// <summary>Blocking read of a buffer's bytes into host memory (after the work issued before it).</summary>
    public abstract void Read(nint mem, long byteOffset, Span<byte> data);

    /// <summary>Device-side copy between buffers of this device.</summary>
    public abstract void CopyBuffer(nint src, long srcOffset, nint dst, long dstOffset, long bytes);

    /// <summary>Whether <see cref="CopyFromPeer"/> can copy from <paramref name="source"/>'s memory (another GPU of the same API).</summary>
    public virtual bool CopiesFromPeer(GpuDevice source) => false;

    /// <summary>
    /// Copies <paramref name="bytes"/> from <paramref name="source"/>'s buffer into this device's, device to device,
    /// after the work issued on the source; the copy is complete when it returns (the source buffer may be freed).
    /// </summary>
    public virtual void CopyFromPeer(GpuDevice source, nint src, long srcOffset, nint dst, long dstOffset, long bytes) =>
        throw new NotSupportedException($"{Device} cannot copy from {source.Device} directly");

    /// <summary>Blocks until all issued work is done (<c>torch.cuda.synchronize</c>).</summary>
    public abstract void Finish();

    /// <summary>
    /// Runs C[z] (+)= Σ_s A[z·S+s]·B[z·S+s] (z &lt; <paramref name="batches"/>, s &lt; <paramref name="sum"/>; A is
    /// [M,K], B [K,N], C [M,N] with column stride 1) with the vendor's BLAS (cuBLAS) when the device has one and the
    /// operands' layout and dtype suit it; false leaves it to the GEMM template.
    /// </summary>
    public virtual bool TryVendorGemm(DType dtype, long batches, long sum, long m, long n, long k, GemmOperand a, GemmOperand b, GemmOperand c, bool accumulate) => false;

    /// <summary>
    /// Runs one pass of a convolution with the vendor's library (cuDNN) when the device has one and it takes the problem;
    /// the pass's result (output, input gradient or weight gradient) replaces what its buffer held. False leaves it to
    /// the templates.
    /// </summary>
    public virtual bool TryVendorConv2d(ConvPass pass, ConvShape shape, ConvBuffers buffers) => false;

    /// <summary>
    /// Training-mode batch norm of contiguous [N, C, S] <paramref name="input"/> with the vendor's library (cuDNN) when the
    /// device has one and it takes the problem: <paramref name="output"/>, the batch mean and inverse std into
    /// <paramref name="saveMean"/>/<paramref name="saveInvStd"/>, and the running stats (when given) updated with
    /// <paramref name="momentum"/> and the unbiased variance. False leaves it to the kernels.
    /// </summary>
    public virtual bool TryVendorBatchNorm(TensorView input, TensorView weight, TensorView bias, TensorView? runningMean, TensorView? runningVar,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd) => false;

    /// <summary>
    /// The gradients of <see cref="TryVendorBatchNorm"/> from its saved mean and inverse std (<paramref name="gradWeight"/>
    /// and <paramref name="gradBias"/> may be null when not wanted). False leaves it to the kernels.
    /// </summary>
    public virtual bool TryVendorBatchNormBackward(TensorView gradOutput, TensorView input, TensorView weight, TensorView saveMean, TensorView saveInvStd,
        double eps, TensorView gradInput, TensorView? gradWeight, TensorView? gradBias) => false;

    /// <summary>A block of at least <paramref name="bytes"/> from the device's caching allocator.</summary>
    public abstract GpuBuffer Allocate(long bytes);

    /// <summary>Returns a block; from a finalizer (<paramref name="finalizing"/>) it is only queued.</summary>
    public abstract void Free(GpuBuffer block, bool finalizing);

    /// <summary>The allocator's counters (<c>torch.cuda.memory_allocated</c> and friends).</summary>
    public abstract MemoryStats MemoryStats { get; }

    /// <summary>Starts the peak counter again from what is allocated now.</summary>
    public abstract void ResetPeakMemory();

    /// <summary>Releases cached blocks to the driver (<c>torch.cuda.empty_cache</c>).</summary>
    public abstract void EmptyCache();

    readonly object errorGate = new();
    GpuBuffer? errorWord;

    /// <summary>
    /// A device int that kernels lower with <c>atomic_min</c> to report the first bad element (an index out of range);
    /// it holds <see cref="int.MaxValue"/> when nothing went wrong. <see cref="TakeError"/> reads and re-arms it.
    /// </summary>
    public nint ErrorWord
    {
        get
        {
            lock (errorGate)
            {
                if (errorWord is null)
                {
                    var word = Allocate(4);
                    Write(word.Mem, 0, BitConverter.GetBytes(int.MaxValue));
                    errorWord = word;
                }
                return errorWord.Mem;
            }
        }
    }

    /// <summary>Waits for the work issued, returns the position a kernel reported in <see cref="ErrorWord"/> (or -1) and re-arms it.</summary>
    public long TakeError()
    {
        Span<byte> word = stackalloc byte[4];
        Read(ErrorWord, 0, word);
        int pos = BitConverter.ToInt32(word);
        if (pos == int.MaxValue) return -1;
        Write(ErrorWord, 0, BitConverter.GetBytes(int.MaxValue));
        return pos;
    }
}
