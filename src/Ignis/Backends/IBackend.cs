namespace Ignis.Backends;

/// <summary>Elementwise one-input kernels. <c>a</c>/<c>b</c> parameters are documented per member.</summary>
public enum UnaryOp
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>sign(x): -1, 0 or 1 (NaN stays NaN)</summary>
    Sign,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>ln x</summary>
    Log,
    /// <summary>ln(1+x)</summary>
    Log1p,
    /// <summary>√x</summary>
    Sqrt,
    /// <summary>1/√x</summary>
    Rsqrt,
    /// <summary>sin x</summary>
    Sin,
    /// <summary>cos x</summary>
    Cos,
    /// <summary>tanh x</summary>
    Tanh,
    /// <summary>1/(1+e^-x)</summary>
    Sigmoid,
    /// <summary>max(x, 0), NaN propagates</summary>
    Relu,
    /// <summary>min(max(x, a), b); a NaN bound means "no bound"</summary>
    Clamp,
    /// <summary>x^a</summary>
    PowScalar,
    /// <summary>a^x</summary>
    ScalarPow,
    /// <summary>x == 0 → bool</summary>
    LogicalNot,
    /// <summary>1/x</summary>
    Reciprocal,
    /// <summary>floor x</summary>
    Floor,
    /// <summary>ceil x</summary>
    Ceil,
    /// <summary>isnan x → bool</summary>
    IsNan,
    /// <summary>isfinite x → bool</summary>
    IsFinite,
    /// <summary>a ≤ x ≤ b → bool (a NaN bound is absent); the mask of clamp/ReLU gradients</summary>
    InRange,
    /// <summary>x &gt; a → bool</summary>
    GreaterThan,
    /// <summary>erf x</summary>
    Erf,
    /// <summary>erf⁻¹ x</summary>
    Erfinv,
    /// <summary>x Φ(x) (exact GELU)</summary>
    Gelu,
    /// <summary>d/dx of exact GELU</summary>
    GeluDerivative,
    /// <summary>GELU's tanh approximation</summary>
    GeluTanh,
    /// <summary>d/dx of GELU's tanh approximation</summary>
    GeluTanhDerivative,
    /// <summary>x σ(x) (SiLU / swish)</summary>
    Silu,
    /// <summary>d/dx of SiLU: σ(x)(1 + x(1 − σ(x)))</summary>
    SiluDerivative,
    /// <summary>x · relu6(x + 3) / 6</summary>
    Hardswish,
    /// <summary>d/dx of hardswish as PyTorch's vectorised CPU kernel computes it: 0 below −3, x/3 + 1/2 below 3, 1 from 3 on</summary>
    HardswishDerivative,
    /// <summary>relu6(x + 3) / 6</summary>
    Hardsigmoid,
    /// <summary>d/dx of hardsigmoid: 1/6 strictly inside (−3, 3), else 0</summary>
    HardsigmoidDerivative,
    /// <summary>x &gt; 0 ? x : a·x</summary>
    LeakyRelu,
    /// <summary>x &gt; 0 ? 1 : a</summary>
    LeakyReluDerivative,
}

/// <summary>Elementwise two-input kernels; comparisons and logical ops write bool.</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b (true division for floats, truncating for integers)</summary>
    Div,
    /// <summary>floor(a / b)</summary>
    FloorDiv,
    /// <summary>a - floor(a / b) * b (Python's modulo)</summary>
    Remainder,
    /// <summary>a ^ b</summary>
    Pow,
    /// <summary>max(a, b), NaN propagates</summary>
    Maximum,
    /// <summary>min(a, b), NaN propagates</summary>
    Minimum,
    /// <summary>a == b</summary>
    Eq,
    /// <summary>a != b</summary>
    Ne,
    /// <summary>a &lt; b</summary>
    Lt,
    /// <summary>a &lt;= b</summary>
    Le,
    /// <summary>a &gt; b</summary>
    Gt,
    /// <summary>a &gt;= b</summary>
    Ge,
    /// <summary>a ≠ 0 and b ≠ 0</summary>
    LogicalAnd,
    /// <summary>a ≠ 0 or b ≠ 0</summary>
    LogicalOr,
    /// <summary>(a ≠ 0) xor (b ≠ 0)</summary>
    LogicalXor,
    /// <summary>atan2(a, b): the angle of the point (b, a), as C's atan2 (floating point only)</summary>
    Atan2,
}

/// <summary>Reductions over the last dimension of a 2-D [rows, k] input.</summary>
public enum ReduceOp
{
    /// <summary>Σ</summary>
    Sum,
    /// <summary>Π</summary>
    Prod,
    /// <summary>maximum value (and its first index), NaN propagates</summary>
    Max,
    /// <summary>minimum value (and its first index), NaN propagates</summary>
    Min,
    /// <summary>variance with correction <c>arg</c> (0 = biased, 1 = unbiased)</summary>
    Var,
}

/// <summary>Convolution hyper-parameters (<c>stride</c>, <c>padding</c>, <c>dilation</c>, <c>groups</c>).</summary>
public readonly record struct Conv2dGeometry(int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups)
{
    /// <summary>Output size of one spatial dimension.</summary>
    public static long OutSize(long input, long kernel, int stride, int pad, int dilation) =>
        (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

/// <summary>Pooling window (<c>kernel_size</c>, <c>stride</c>, <c>padding</c>, <c>dilation</c>, <c>ceil_mode</c>).</summary>
public readonly record struct Pool2dGeometry(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, bool CeilMode)
{
    /// <summary>PyTorch's pooling output size, with ceil mode's rule that the last window must start inside the input or left padding.</summary>
    public static long OutSize(long input, int kernel, int stride, int pad, int dilation, bool ceil)
    {
        long num = input + 2 * pad - dilation * (kernel - 1) - 1;
        long o = (ceil ? (num + stride - 1) / stride : num / stride) + 1;
        if (ceil && (o - 1) * stride >= input + pad) o--;
        return o;
    }
}

/// <summary>
/// Hyper-parameters of one fused SGD update (<c>torch.optim.SGD</c>); <paramref name="FirstStep"/> when the momentum
/// buffer is new (it is then set to the direction, as PyTorch clones it).
/// </summary>
public readonly record struct SgdHyper(double Lr, double Momentum, double Dampening, double WeightDecay, bool Nesterov, bool Maximize, bool FirstStep);

/// <summary>Hyper-parameters of one Adam/AdamW update (<c>torch.optim.Adam</c> semantics; <see cref="Step"/> counts from 1).</summary>
public readonly record struct AdamHyper(double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, bool Amsgrad, long Step);

/// <summary>Distributions of <see cref="IBackend.RandomFill"/>.</summary>
public enum RandomDistribution
{
    /// <summary>Uniform on [a, b) (<c>uniform_(a, b)</c>).</summary>
    Uniform,
    /// <summary>Normal with mean a and standard deviation b (<c>normal_(a, b)</c>).</summary>
    Normal,
    /// <summary>1 with probability a, else 0 (<c>bernoulli_(a)</c>).</summary>
    Bernoulli,
}

/// <summary>
/// A C# number passed to a kernel as an argument (ATen's <c>Scalar</c>): integral values keep all 64 bits, others are
/// doubles. The kernel converts it to the operation's dtype as PyTorch converts a Python number.
/// </summary>
public readonly record struct Scalar
{
    /// <summary>A floating-point scalar.</summary>
    public Scalar(double value) => (Double, Long, IsIntegral) = (value, (long)value, false);

    /// <summary>An integral scalar (exact for every int64).</summary>
    public Scalar(long value) => (Double, Long, IsIntegral) = (value, value, true);

    /// <summary>The value as a double.</summary>
    public double Double { get; }

    /// <summary>The value as an int64 (truncated for floating-point scalars).</summary>
    public long Long { get; }

    /// <summary>True when the scalar came from an integer or bool.</summary>
    public bool IsIntegral { get; }
}

/// <summary>Facts about one device (<c>torch.cuda.get_device_properties</c>).</summary>
/// <param name="Name">The device's name as its driver reports it.</param>
/// <param name="TotalMemory">Bytes of memory the device has (for the CPU: what the process may use).</param>
/// <param name="ComputeUnits">Streaming multiprocessors, compute units or cores.</param>
/// <param name="ComputeCapability">An NVIDIA GPU's compute capability (<c>major</c>, <c>minor</c>); null for other devices.</param>
public readonly record struct DeviceProperties(string Name, long TotalMemory, int ComputeUnits, (int Major, int Minor)? ComputeCapability = null);

/// <summary>
/// Memory counters of one device (<c>torch.cuda.memory_allocated</c>, <c>memory_reserved</c>,
/// <c>max_memory_allocated</c>, <c>memory_stats()["num_alloc_retries"]</c>): bytes held by live storages, bytes the
/// caching allocator holds (live + cached), the high-water mark of the allocated bytes, and how often the allocator
/// had to collect unreachable storages to satisfy a request.
/// </summary>
public readonly record struct MemoryStats(long Allocated, long Reserved, long PeakAllocated, long AllocRetries = 0);

/// <summary>
/// The narrow contract every compute backend implements. The tensor API decides shapes, dtypes,
/// broadcasting and autograd; a backend only runs these primitives over strided memory it owns.
/// A faster CPU engine or a GPU backend plugs in by implementing this interface and registering in
/// <see cref="BackendRegistry"/>.
/// </summary>
public interface IBackend
{
    /// <summary>Device type served by this backend.</summary>
    DeviceType DeviceType { get; }

    /// <summary>True when the backend can run on this machine.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Why the backend cannot run when <see cref="IsAvailable"/> is false (no driver library, no platform, no device, a
    /// kernel that failed to build), for error messages and <c>ignis doctor</c>; null when available or unknown.
    /// </summary>
    string? UnavailableReason => null;

    /// <summary>Number of devices of this type (<c>torch.cuda.device_count()</c>); 0 when unavailable.</summary>
    int DeviceCount => IsAvailable ? 1 : 0;

    /// <summary>Name, memory and compute units of one device.</summary>
    DeviceProperties GetDeviceProperties(int index) => new(DeviceType.ToString(), 0, 1);

    /// <summary>Waits until all work queued on the device has finished (<c>torch.cuda.synchronize</c>); a no-op for synchronous backends.</summary>
    void Synchronize(int index) { }

    /// <summary>Memory counters of one device; zeros where the backend keeps none.</summary>
    MemoryStats GetMemoryStats(int index) => default;

    /// <summary>Starts a new peak measurement (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
    void ResetPeakMemoryStats(int index) { }

    /// <summary>Returns cached, unused blocks to the device (<c>torch.cuda.empty_cache</c>).</summary>
    void EmptyCache() { }

    /// <summary>
    /// dst ← src where the two views live on different devices of this backend (or on the same one); both have dst's
    /// shape and dtype. The portable default stages through the host.
    /// </summary>
    void CopyAcrossDevices(TensorView src, TensorView dst) => Copy(TensorView.Contiguous(FromHost(dst.Device, ToHost(src), src.DType), src.Shape), dst);

    /// <summary>
    /// Fills dst with samples of <paramref name="distribution"/> drawn from <paramref name="generator"/>, elements in
    /// row-major order. The default samples on the host with PyTorch's CPU algorithms (bit-identical numbers for
    /// float32/float64; float16/bfloat16 are sampled in float32 and rounded) and copies them in; a device backend
    /// overrides it to sample where the memory is.
    /// </summary>
    void RandomFill(TensorView dst, RandomDistribution distribution, double a, double b, Generator generator) =>
        RandomFillOnHost(this, dst, distribution, a, b, generator);

    /// <summary>
    /// The host sampling behind the default <see cref="RandomFill"/>, for device backends that keep it as an option:
    /// PyTorch's CPU algorithms and numbers, copied into dst.
    /// </summary>
    static void RandomFillOnHost(IBackend backend, TensorView dst, RandomDistribution distribution, double a, double b, Generator generator)
    {
        var host = Sampling.Sample(distribution, a, b, generator, dst.DType, dst.Numel);
        backend.Copy(TensorView.Contiguous(backend.FromHost(dst.Device, host, DTypeInfo.FromClr(host.GetType().GetElementType()!)), dst.Shape), dst);
    }

    /// <summary>Allocates zero-filled storage.</summary>
    Storage Allocate(Device device, DType dtype, long length);

    /// <summary>Allocates storage whose contents are unspecified, for outputs a kernel overwrites entirely.</summary>
    Storage AllocateUninitialized(Device device, DType dtype, long length) => Allocate(device, dtype, length);

    /// <summary>Copies a host array (of the dtype's CLR type) into new storage.</summary>
    Storage FromHost(Device device, Array data, DType dtype);

    /// <summary>
    /// New storage holding <paramref name="bytes"/> (little-endian elements of <paramref name="dtype"/>) — e.g. straight
    /// from a memory-mapped file. A device backend writes them to the device without a managed copy; the default copies
    /// them into a host array first.
    /// </summary>
    Storage FromHostBytes(Device device, ReadOnlySpan<byte> bytes, DType dtype)
    {
        var data = HostArrays.New(dtype, checked((int)(bytes.Length / dtype.ElementSize())));
        bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data), bytes.Length));
        return FromHost(device, data, dtype);
    }

    /// <summary>Copies a tensor's elements, in row-major order, into a new host array of its CLR type.</summary>
    Array ToHost(TensorView t);

    /// <summary>dst ← src, same shape (src may have zero strides), converting dtype.</summary>
    void Copy(TensorView src, TensorView dst);

    /// <summary>dst ← value.</summary>
    void Fill(TensorView dst, double value);

    /// <summary>dst ← op(x); x and dst share a shape; dst is x's dtype or bool for predicates.</summary>
    void Unary(UnaryOp op, TensorView x, TensorView dst, double a = 0, double b = 0);

    /// <summary>dst ← a op b; a and b are already expanded to dst's shape and share a dtype.</summary>
    void Binary(BinaryOp op, TensorView a, TensorView b, TensorView dst);

    /// <summary>
    /// dst ← a op s (or s op a when <paramref name="scalarFirst"/>), with the scalar converted to a's dtype; a is expanded to
    /// dst's shape. The portable default puts the scalar in a one-element device buffer; backends pass it as a kernel argument.
    /// </summary>
    void BinaryScalar(BinaryOp op, TensorView a, Scalar s, TensorView dst, bool scalarFirst)
    {
        var one = TensorView.Contiguous(AllocateUninitialized(a.Device, a.DType, 1), []);
        var host = s.IsIntegral ? TensorView.Contiguous(FromHost(a.Device, new[] { s.Long }, DType.Int64), [])
            : TensorView.Contiguous(FromHost(a.Device, new[] { s.Double }, DType.Float64), []);
        Copy(host, one);
        var b = one.Expand(dst.Shape);
        if (scalarFirst) Binary(op, b, a, dst); else Binary(op, a, b, dst);
    }

    /// <summary>
    /// dst ← (lo ≤ x ≤ hi) ? grad : 0, the gradient of clamp, in one pass; with <paramref name="lowerExclusive"/> it is
    /// ReLU's rule instead, x ≤ lo ? 0 : grad (NaN passes, as in ATen's threshold_backward). A NaN bound is absent.
    /// grad and x are expanded to dst's shape and share its dtype.
    /// </summary>
    void MaskedGrad(TensorView grad, TensorView x, double lo, double hi, bool lowerExclusive, TensorView dst)
    {
        // Portable composition for backends without a fused kernel.
        var mask = TensorView.Contiguous(AllocateUninitialized(dst.Device, DType.Bool, dst.Numel), dst.Shape);
        Unary(lowerExclusive ? UnaryOp.GreaterThan : UnaryOp.InRange, x, mask, lo, hi);
        var zero = TensorView.Contiguous(Allocate(dst.Device, dst.DType, 1), []);
        Where(mask, grad, zero.Expand(dst.Shape), dst);
    }

    /// <summary>dst ← cond ? a : b, all expanded to dst's shape; a and b share dst's dtype.</summary>
    void Where(TensorView cond, TensorView a, TensorView b, TensorView dst);

    /// <summary>Reduces each row of a contiguous 2-D [rows, k] x into dst [rows]; optional int64 indices for Max/Min.</summary>
    void Reduce(ReduceOp op, TensorView x, TensorView dst, TensorView? indices, double arg = 0);

    /// <summary>Softmax (or log-softmax) of each row of a contiguous 2-D [rows, k] x into dst, fused and numerically stable.</summary>
    void Softmax(TensorView x, TensorView dst, bool log);

    /// <summary>
    /// Gradient of <see cref="Softmax"/> from its output y and the output gradient gy (both [rows, k] contiguous):
    /// y·(gy − Σ gy·y) for softmax, gy − exp(y)·Σ gy for log-softmax.
    /// </summary>
    void SoftmaxBackward(TensorView y, TensorView gy, TensorView dst, bool log);

    /// <summary>Inclusive prefix sum along the last dimension of a contiguous 2-D x into dst.</summary>
    void Cumsum(TensorView x, TensorView dst);

    /// <summary>
    /// Sorts each row of a contiguous 2-D [rows, k] x into <paramref name="values"/> and int64 <paramref name="indices"/>
    /// (both contiguous [rows, k]); stable (equal values keep their order), NaN ordered above every number as in ATen.
    /// </summary>
    void Sort(TensorView x, TensorView values, TensorView indices, bool descending);

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) entries of each row of a contiguous [rows, n] x, best first, into
    /// contiguous [rows, k] <paramref name="values"/> and int64 <paramref name="indices"/>; NaN counts as the largest.
    /// </summary>
    void TopK(TensorView x, int k, bool largest, TensorView values, TensorView indices);

    /// <summary>
    /// Batched matrix product of [B,M,K] and [B,K,N] into contiguous [B,M,N]. Operands may have any strides
    /// (transposed matrices, batch stride 0 for broadcasting); the backend handles layouts without copies where it can.
    /// </summary>
    void MatMul(TensorView a, TensorView b, TensorView dst);

    /// <summary><c>dst[i][j][k] = x[i][index[i][j][k]][k]</c> along <paramref name="dim"/> (index may have zero strides).</summary>
    void Gather(TensorView x, int dim, TensorView index, TensorView dst);

    /// <summary><c>dst[i][index[i][j][k]][k] += src[i][j][k]</c> along <paramref name="dim"/>.</summary>
    void ScatterAdd(TensorView dst, int dim, TensorView index, TensorView src);

    /// <summary>
    /// <c>dst[i][index[i][j][k]][k] = src[i][j][k]</c> along <paramref name="dim"/> (<c>scatter_</c>); where an index
    /// repeats, the last element in index order wins (advanced-index assignment relies on it).
    /// </summary>
    void Scatter(TensorView dst, int dim, TensorView index, TensorView src);

    /// <summary>2-D convolution of contiguous NCHW input with [Cout, Cin/groups, KH, KW] weight into contiguous output.</summary>
    void Conv2d(TensorView input, TensorView weight, TensorView? bias, Conv2dGeometry g, TensorView output);

    /// <summary>Gradient of <see cref="Conv2d"/> with respect to its input (written, not accumulated).</summary>
    void Conv2dBackwardInput(TensorView gradOutput, TensorView weight, Conv2dGeometry g, TensorView gradInput);

    /// <summary>Gradient of <see cref="Conv2d"/> with respect to its weight (written, not accumulated).</summary>
    void Conv2dBackwardWeight(TensorView gradOutput, TensorView input, Conv2dGeometry g, TensorView gradWeight);

    /// <summary>Max pooling over contiguous NCHW planes; indices are flat positions within each input plane.</summary>
    void MaxPool2d(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices);

    /// <summary>
    /// Scatters output gradients to the recorded argmax positions (gradInput is zero-filled first). <paramref name="g"/> is
    /// the forward's geometry (the indices lie inside its windows; a GPU gathers by it instead of scattering).
    /// </summary>
    void MaxPool2dBackward(TensorView gradOutput, TensorView indices, Pool2dGeometry g, TensorView gradInput);

    /// <summary>Average pooling (PyTorch's padding and divisor rules); adaptive when <paramref name="adaptive"/> is set.</summary>
    void AvgPool2d(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output);

    /// <summary>Gradient of <see cref="AvgPool2d"/>.</summary>
    void AvgPool2dBackward(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput);

    /// <summary>
    /// Batch normalisation over contiguous [N, C, S] input. In training it computes per-channel mean and inverse
    /// std (biased variance) into <paramref name="saveMean"/>/<paramref name="saveInvStd"/> and updates running stats
    /// with the unbiased variance; in evaluation it uses the running stats.
    /// </summary>
    void BatchNorm(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd);

    /// <summary>
    /// One fused Adam/AdamW update of contiguous, same-shaped tensors: moments and parameter are updated in place
    /// in a single pass (<paramref name="maxExpAvgSq"/> only with AMSGrad).
    /// </summary>
    void AdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h);

    /// <summary>
    /// One fused SGD update of contiguous, same-shaped float tensors in a single pass, or false when this backend has none
    /// (the optimizer then composes tensor ops). It must round exactly as that composition does, one operation at a
    /// time in the parameter's dtype: d = ±g (+ p·wd); buf = d on the first step, else buf·m + d·(1−dampening);
    /// d = d + buf·m (Nesterov) or buf; p = p + d·(−lr).
    /// </summary>
    bool TrySgdStep(TensorView param, TensorView grad, TensorView? momentumBuffer, SgdHyper h) => false;

    /// <summary>
    /// Gradients of <see cref="BatchNorm"/> (any of the three outputs may be null). <paramref name="eps"/> is the
    /// forward's (the saved inverse std already includes it; vendor libraries such as cuDNN require the same value).
    /// </summary>
    void BatchNormBackward(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training, double eps,
        TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias);
}
