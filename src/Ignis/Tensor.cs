using Ignis.Autograd;
using System.Diagnostics.CodeAnalysis;
using Ignis.Backends;

namespace Ignis;

/// <summary>
/// An n-dimensional array with autograd (<c>torch.Tensor</c>): a strided view (shape, strides, offset)
/// over a backend-owned <see cref="Backends.Storage"/>. Views share storage; operations dispatch to the
/// backend of the tensor's device and record gradient functions when gradients are required.
/// </summary>
public partial class Tensor : IDisposable
{
    // Not readonly: a Parameter's data can be swapped (Module.To, LoadStateDict) while its identity stays.
    internal Storage storage;
    internal long[] shape;
    internal long[] strides;
    internal long offset;
    bool requiresGrad;
    internal Node? gradFn;
    internal bool retainsGrad;
    /// <summary>The tensor whose storage this view reads (<c>_base</c>), set by view ops only; null for non-views.</summary>
    internal Tensor? viewBase;
    /// <summary>The base's grad_fn when this view's grad_fn was set; when the base's history moves on, the view's is regenerated.</summary>
    internal Node? viewFnBaseFn;
    /// <summary>True for tensors made from C# scalars: they take part in type promotion like Python numbers.</summary>
    internal bool isWrappedNumber;
    /// <summary>The C# value of a wrapped number, passed to kernels as an argument.</summary>
    internal Scalar? wrappedScalar;

    internal Tensor(Storage storage, long[] shape, long[] strides, long offset, DType dtype)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        DType = dtype;
    }

    /// <summary>Element type (<c>dtype</c>).</summary>
    public DType DType { get; private set; }

    /// <summary>Points this tensor at <paramref name="src"/>'s elements (PyTorch's <c>t.data = src</c>); gradients are kept.</summary>
    internal void SetData(Tensor src)
    {
        storage = src.storage;
        shape = (long[])src.shape.Clone();
        strides = (long[])src.strides.Clone();
        offset = src.offset;
        DType = src.DType;
    }

    /// <summary>Device holding the elements (<c>device</c>).</summary>
    public Device Device => storage.Device;

    /// <summary>The underlying storage, shared by views.</summary>
    public Storage Storage => storage;

    /// <summary>Sizes of each dimension (<c>shape</c>); a copy.</summary>
    public long[] Shape => (long[])shape.Clone();

    /// <summary>Strides of each dimension in elements (<c>stride()</c>); a copy.</summary>
    public long[] Strides => (long[])strides.Clone();

    /// <summary>Offset of the first element in the storage (<c>storage_offset()</c>).</summary>
    public long StorageOffset => offset;

    /// <summary>Number of dimensions (<c>dim()</c>).</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements (<c>numel()</c>).</summary>
    public long Numel => TensorView.NumelOf(shape);

    /// <summary>Size of one dimension; negative indices count from the end (<c>size(dim)</c>).</summary>
    public long Size(int dim) => shape[NormDim(dim, Dim)];

    /// <summary>Stride of one dimension (<c>stride(dim)</c>).</summary>
    public long Stride(int dim) => strides[NormDim(dim, Dim)];

    internal IBackend Backend => BackendRegistry.Get(Device);

    /// <summary>True when elements are laid out row-major without gaps (<c>is_contiguous()</c>).</summary>
    public bool IsContiguous => TensorView.IsRowMajor(shape, strides);

    // ---------- autograd state ----------

    /// <summary>
    /// Whether gradients are recorded for this tensor (<c>requires_grad</c>). Only leaves may change it, and
    /// only floating-point tensors can require gradients.
    /// </summary>
    public bool RequiresGrad
    {
        get
        {
            CurrentGradFn();
            return requiresGrad;
        }
        set
        {
            if (!IsLeaf)
                throw new InvalidOperationException("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException("only Tensors of floating point dtype can require gradients");
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// Accumulated gradient (<c>.grad</c>); populated on leaves (and on tensors that called <see cref="RetainGrad"/>).
    /// Assigning checks what PyTorch checks: same dtype and device type, same device, same shape.
    /// </summary>
    public Tensor? Grad
    {
        get => grad;
        set
        {
            if (value is not null)
            {
                if (value.DType != DType || value.Device.Type != Device.Type)
                    throw new ArgumentException($"assigned grad has data of a different type ({value.DType.TorchName()} on {value.Device} for a {DType.TorchName()} tensor on {Device})");
                if (value.Device != Device)
                    throw new ArgumentException($"assigned grad has data located on a different device ({value.Device} grad for a tensor on {Device})");
                if (!value.shape.AsSpan().SequenceEqual(shape))
                    throw new ArgumentException($"assigned grad has data of a different size (grad [{string.Join(", ", value.shape)}] for a tensor of shape [{string.Join(", ", shape)}])");
            }
            grad = value;
        }
    }
    Tensor? grad;

    /// <summary>
    /// How many in-place writes this tensor's storage has had (<c>_version</c>); views and detached aliases share it.
    /// Autograd raises at backward time when a tensor it saved was written after it was saved.
    /// </summary>
    public long Version => storage.Version;

    /// <summary>True when this tensor is a view of another (<c>_is_view()</c>); <see cref="Base"/> is that tensor.</summary>
    public bool IsView => viewBase is not null;

    /// <summary>The tensor this view was taken from (<c>_base</c>), or null when this tensor is not a view.</summary>
    public Tensor? Base => viewBase;

    /// <summary>PyTorch's legacy type string, as its error messages print it: <c>torch.FloatTensor</c>, <c>torch.cuda.LongTensor</c>.</summary>
    internal string LegacyTypeName() =>
        $"torch.{(Device.Type == DeviceType.Cpu ? "" : Device.Type.ToString().ToLowerInvariant() + ".")}{DType.ScalarTypeName()}Tensor";

    /// <summary>The function that produced this tensor (<c>grad_fn</c>), or null for leaves.</summary>
    public Node? GradFn => CurrentGradFn();

    /// <summary>True when the tensor was not produced by a recorded operation (<c>is_leaf</c>).</summary>
    public bool IsLeaf => CurrentGradFn() is null;

    /// <summary>Asks backward to keep this non-leaf tensor's gradient in <see cref="Grad"/> (<c>retain_grad()</c>).</summary>
    public void RetainGrad()
    {
        if (!requiresGrad) throw new InvalidOperationException("can't retain_grad on Tensor that has requires_grad=False");
        if (!IsLeaf) retainsGrad = true;
    }

    /// <summary>
    /// Computes gradients of this tensor with respect to graph leaves (<c>backward()</c>). A non-scalar tensor
    /// needs <paramref name="gradient"/>. The graph is freed unless <paramref name="retainGraph"/>.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Engine.Backward(this, gradient, retainGraph);

    /// <summary>A tensor sharing storage but detached from the graph (<c>detach()</c>).</summary>
    public Tensor Detach() => new(storage, shape, strides, offset, DType);

    /// <summary>Detaches in place (<c>detach_()</c>).</summary>
    public Tensor Detach_()
    {
        gradFn = null;
        requiresGrad = false;
        return this;
    }

    // ---------- construction helpers ----------

    internal static long[] ContiguousStrides(long[] shape)
    {
        var st = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            st[d] = s;
            s *= Math.Max(shape[d], 1);
        }
        return st;
    }

    /// <summary>A new contiguous tensor; <paramref name="zeroed"/> false is for outputs a kernel overwrites entirely.</summary>
    internal static Tensor Empty(long[] shape, DType dtype, Device device, bool zeroed = true)
    {
        foreach (long s in shape)
            if (s < 0) throw new ArgumentException($"Trying to create tensor with negative dimension {s}: [{string.Join(", ", shape)}]");
        long n = 1;
        foreach (long s in shape) n *= s;
        var backend = BackendRegistry.Get(device);
        var storage = zeroed ? backend.Allocate(device, dtype, n) : backend.AllocateUninitialized(device, dtype, n);
        return new Tensor(storage, (long[])shape.Clone(), ContiguousStrides(shape), 0, dtype);
    }

    /// <summary>An output tensor whose every element the next kernel writes (contents unspecified until then).</summary>
    internal static Tensor Output(long[] shape, DType dtype, Device device) => Empty(shape, dtype, device, zeroed: false);

    internal Tensor NewEmpty(long[] shape, DType? dtype = null) => Empty(shape, dtype ?? DType, Device);

    /// <summary>Like <see cref="NewEmpty"/> but uninitialised: only for outputs a kernel overwrites entirely.</summary>
    internal Tensor NewOutput(long[] shape, DType? dtype = null) => Output(shape, dtype ?? DType, Device);

    /// <summary>A view over the same storage with no autograd record.</summary>
    internal Tensor AsStridedRaw(long[] newShape, long[] newStrides, long newOffset) => new(storage, newShape, newStrides, newOffset, DType);

    internal static int NormDim(int dim, int ndim)
    {
        int n = Math.Max(ndim, 1);
        if (dim < -n || dim >= n)
            throw new ArgumentOutOfRangeException(null, $"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})");
        return dim < 0 ? dim + n : dim;
    }

    internal static string ShapeStr(long[] s) => "[" + string.Join(", ", s) + "]";

    // ---------- data access ----------

    /// <summary>The value of a one-element tensor (<c>item()</c>), converted to <typeparamref name="T"/>.</summary>
    public T Item<T>() where T : struct
    {
        if (Numel != 1)
            throw new InvalidOperationException("only one element tensors can be converted to Python scalars");
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(short) || typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte))
        {
            long l = ItemAsLong();
            // Each branch boxes its own type: without the casts to object the conditional's natural type is long, and
            // unboxing a boxed long as byte/int throws.
            object ri = typeof(T) == typeof(long) ? l : typeof(T) == typeof(int) ? (object)(int)l : typeof(T) == typeof(short) ? (object)(short)l
                : typeof(T) == typeof(sbyte) ? (object)(sbyte)l : (object)(byte)l;
            return (T)ri;
        }
        double v = ItemAsDouble();
        object r = typeof(T) == typeof(float) ? (float)v
            : typeof(T) == typeof(double) ? v
            : typeof(T) == typeof(Half) ? (Half)(float)v
            : typeof(T) == typeof(BFloat16) ? (BFloat16)(float)v
            : typeof(T) == typeof(bool) ? v != 0
            : throw new NotSupportedException($"Item<{typeof(T).Name}>() is not supported.");
        return (T)r;
    }

    // The runtime lets byte[] and sbyte[] pass each other's type tests (array covariance), so the 8-bit cases check the
    // exact array type: otherwise uint8 200 read as -56, or int8 -3 as 253.
    internal double ItemAsDouble()
    {
        var host = Backend.ToHost(this);
        return host switch
        {
            float[] f => f[0],
            double[] d => d[0],
            Half[] h => (double)h[0],
            BFloat16[] bf => (double)bf[0],
            long[] l => l[0],
            int[] i => i[0],
            short[] sh => sh[0],
            sbyte[] sb when host.GetType() == typeof(sbyte[]) => sb[0],
            byte[] b => b[0],
            var a => throw new NotSupportedException($"no scalar conversion from {a.GetType().Name}"),
        };
    }

    long ItemAsLong()
    {
        var host = Backend.ToHost(this);
        return host switch
        {
            long[] l => l[0],
            int[] i => i[0],
            short[] sh => sh[0],
            sbyte[] sb when host.GetType() == typeof(sbyte[]) => sb[0],
            byte[] b => b[0],
            float[] f => (long)f[0],
            double[] d => (long)d[0],
            Half[] h => (long)(float)h[0],
            BFloat16[] bf => (long)(float)bf[0],
            var a => throw new NotSupportedException($"no scalar conversion from {a.GetType().Name}"),
        };
    }

    /// <summary>A 2-D tensor's elements as a <c>T[rows, cols]</c> array, converting to <typeparamref name="T"/> (<c>tolist()</c> of a matrix).</summary>
    public T[,] ToArray2D<T>()
    {
        if (Dim != 2) throw new ArgumentException($"ToArray2D needs a 2-D tensor, got shape {ShapeStr(shape)}");
        var flat = ToArray<T>();
        var r = new T[shape[0], shape[1]];
        long k = 0;
        for (long i = 0; i < shape[0]; i++) for (long j = 0; j < shape[1]; j++) r[i, j] = flat[k++];
        return r;
    }

    /// <summary>A 3-D tensor's elements as a <c>T[a, b, c]</c> array, converting to <typeparamref name="T"/>.</summary>
    public T[,,] ToArray3D<T>()
    {
        if (Dim != 3) throw new ArgumentException($"ToArray3D needs a 3-D tensor, got shape {ShapeStr(shape)}");
        var flat = ToArray<T>();
        var r = new T[shape[0], shape[1], shape[2]];
        long k = 0;
        for (long i = 0; i < shape[0]; i++) for (long j = 0; j < shape[1]; j++) for (long l = 0; l < shape[2]; l++) r[i, j, l] = flat[k++];
        return r;
    }

    /// <summary>A 4-D tensor's elements as a <c>T[a, b, c, d]</c> array (e.g. an image batch), converting to <typeparamref name="T"/>.</summary>
    public T[,,,] ToArray4D<T>()
    {
        if (Dim != 4) throw new ArgumentException($"ToArray4D needs a 4-D tensor, got shape {ShapeStr(shape)}");
        var flat = ToArray<T>();
        var r = new T[shape[0], shape[1], shape[2], shape[3]];
        long k = 0;
        for (long i = 0; i < shape[0]; i++) for (long j = 0; j < shape[1]; j++) for (long l = 0; l < shape[2]; l++) for (long m = 0; m < shape[3]; m++) r[i, j, l, m] = flat[k++];
        return r;
    }

    /// <summary>Copies the elements in row-major order into a new array, converting to <typeparamref name="T"/> (<c>tolist()</c>, flattened).</summary>
    public T[] ToArray<T>()
    {
        var want = DTypeInfo.FromClr(typeof(T));
        if (want == DType.Bool)
        {
            var asBool = DType == DType.Bool ? this : ToDTypeRaw(DType.Bool);
            return (T[])(object)((byte[])asBool.Backend.ToHost(asBool)).Select(b => b != 0).ToArray();
        }
        var src = DType == want || (DType == DType.Bool && want == DType.UInt8) ? this : ToDTypeRaw(want);
        return (T[])src.Backend.ToHost(src);
    }

    // ---------- conversion ----------

    internal Tensor ToDTypeRaw(DType dtype)
    {
        var dst = NewOutput(shape, dtype);
        Backend.Copy(this, dst);
        return dst;
    }

    /// <summary>Converts to another dtype (<c>to(dtype)</c>); returns this tensor when nothing changes.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var r = ToDTypeRaw(dtype);
        var src = DType;
        return dtype.IsFloatingPoint()
            ? Engine.Record(r, "ToCopyBackward0", [this], g => [g.To(src)])
            : r;
    }

    /// <summary>Moves to another device (<c>to(device)</c>); throws <see cref="DeviceUnavailableException"/> if the device cannot be used.</summary>
    public Tensor To(Device device)
    {
        if (device.SameAs(Device)) return this;
        var r = new Tensor(CopyToDevice(this, device), (long[])shape.Clone(), ContiguousStrides(shape), 0, DType);
        var from = Device;
        return Engine.Record(r, "ToCopyBackward0", [this], g => [g.To(from)]);
    }

    /// <summary>
    /// New contiguous storage on <paramref name="device"/> holding <paramref name="src"/>'s elements: a direct copy when
    /// one backend serves both devices, else staged through the host.
    /// </summary>
    static Storage CopyToDevice(Tensor src, Device device)
    {
        var target = BackendRegistry.Get(device);
        var source = src.Backend;
        if (ReferenceEquals(target, source))
        {
            var dst = TensorView.Contiguous(target.AllocateUninitialized(device, src.DType, src.Numel), src.shape);
            target.CopyAcrossDevices(src, dst);
            return dst.Storage;
        }
        return target.FromHost(device, source.ToHost(src), src.DType);
    }

    /// <summary>Moves to a device given as a string such as <c>"cuda:0"</c>.</summary>
    public Tensor To(string device) => To(Device.Parse(device));

    /// <summary><c>cpu()</c>.</summary>
    public Tensor Cpu() => To(Device.Cpu);

    /// <summary><c>float()</c>.</summary>
    public Tensor Float() => To(DType.Float32);

    /// <summary><c>double()</c>.</summary>
    public Tensor Double() => To(DType.Float64);

    /// <summary><c>long()</c>.</summary>
    public Tensor Long() => To(DType.Int64);

    /// <summary><c>int()</c>.</summary>
    public Tensor Int() => To(DType.Int32);

    /// <summary><c>bool()</c>.</summary>
    public Tensor Bool() => To(DType.Bool);

    /// <summary>A contiguous tensor with the same values (<c>contiguous()</c>); this tensor when already contiguous.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A copy with its own storage (<c>clone()</c>).</summary>
    public Tensor Clone()
    {
        var r = NewOutput(shape);
        Backend.Copy(this, r);
        return Engine.Record(r, "CloneBackward0", [this], g => [g]);
    }

    internal void SetRequiresGradInternal() => requiresGrad = true;

    internal Tensor CopyRaw()
    {
        var r = NewOutput(shape);
        Backend.Copy(this, r);
        return r;
    }

    internal Tensor ContiguousRaw()
    {
        if (IsContiguous) return this;
        var r = NewOutput(shape);
        Backend.Copy(this, r);
        return r;
    }

    /// <summary>
    /// This tensor, or a contiguous copy of it that the caller owns and that disposes with the returned handle: for
    /// copies a kernel reads once and nothing else can see (their blocks go back to the allocator at once).
    /// </summary>
    internal Temporary ContiguousTemporary() => IsContiguous ? new(this, false) : new(ContiguousRaw(), true);

    /// <summary>A tensor that is disposed with this handle only when it is a private copy.</summary>
    internal readonly struct Temporary(Tensor tensor, bool owned) : IDisposable
    {
        public Tensor Tensor { get; } = tensor;

        public void Dispose()
        {
            if (owned) Tensor.Dispose();
        }
    }

    /// <summary>
    /// The strided view a backend receives for this tensor (shares its shape and stride arrays). Backends are
    /// called with views, so the backend contract never sees autograd state.
    /// </summary>
    [return: NotNullIfNotNull(nameof(t))]
    public static implicit operator TensorView?(Tensor? t) =>
        t is null ? null : new TensorView(t.storage, t.shape, t.strides, t.offset, t.DType, copyArrays: false);

    /// <summary>A tensor over a backend view (no autograd record); the arrays are shared.</summary>
    internal static Tensor FromView(TensorView v) => new(v.storage, v.shape, v.strides, v.offset, v.DType);

    /// <summary>
    /// Returns this tensor's memory to its device's allocator now (TorchSharp's <c>Dispose</c>; PyTorch frees on the last
    /// reference). Every tensor sharing the storage (views) becomes unusable. Optional: unreferenced tensors are reclaimed
    /// by the garbage collector.
    /// </summary>
    public void Dispose()
    {
        storage.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>True once the storage was disposed.</summary>
    public bool IsDisposed => storage.IsDisposed;

    /// <summary>Keeps this tensor's storage past the innermost dispose scope holding it, in the scope outside it (TorchSharp's name).</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        DisposeScope.MoveOut(storage);
        return this;
    }

    /// <summary>Removes this tensor's storage from every dispose scope of this thread (TorchSharp's name).</summary>
    public Tensor DetachFromDisposeScope()
    {
        DisposeScope.Detach(storage);
        return this;
    }

    /// <summary>Prints as PyTorch's <c>repr</c> does, e.g. <c>tensor([[0.4963, 0.7682]])</c>.</summary>
    public override string ToString() => Formatting.TensorFormatter.Format(this);
}
