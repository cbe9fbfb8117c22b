using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis;

/// <summary>The <c>torch</c> namespace: tensor factories, random numbers, modes and free functions.</summary>
public static partial class Torch
{
    static DType defaultDType = DType.Float32;

    /// <summary>Floating dtype for factories and integer-to-float promotion (<c>get_default_dtype</c>).</summary>
    public static DType DefaultDType => defaultDType;

    /// <summary><c>set_default_dtype</c>: only floating dtypes are allowed.</summary>
    public static void SetDefaultDType(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException("only floating-point types are supported as the default type");
        defaultDType = dtype;
    }

    /// <summary>Disables gradient recording until disposed (<c>with torch.no_grad():</c>).</summary>
    public static IDisposable NoGrad() => GradMode.Set(false);

    /// <summary>Enables gradient recording until disposed (<c>with torch.enable_grad():</c>).</summary>
    public static IDisposable EnableGrad() => GradMode.Set(true);

    /// <summary><c>is_grad_enabled()</c>.</summary>
    public static bool IsGradEnabled() => GradMode.IsEnabled;

    /// <summary>Intra-op worker threads (<c>set_num_threads</c>).</summary>
    public static void SetNumThreads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "Number of threads must be positive.");
        Numerics.IntraOpThreads.Limit = n;
    }

    /// <summary><c>get_num_threads</c>.</summary>
    public static int GetNumThreads() => Math.Min(Numerics.IntraOpThreads.Limit, Environment.ProcessorCount);

    static Ignis.Tensor Finish(Ignis.Tensor t, bool requiresGrad)
    {
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    // ---------- constant factories ----------

    /// <summary>Uninitialised (here: zero-filled) tensor (<c>torch.empty</c>).</summary>
    public static Ignis.Tensor Empty(params long[] shape) => Empty(shape, null);

    /// <summary><c>torch.empty</c> with options.</summary>
    public static Ignis.Tensor Empty(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(Ignis.Tensor.Empty(shape, dtype ?? DefaultDType, device ?? Device.Cpu), requiresGrad);

    /// <summary>Zeros (<c>torch.zeros</c>).</summary>
    public static Ignis.Tensor Zeros(params long[] shape) => Zeros(shape, null);

    /// <summary><c>torch.zeros</c> with options.</summary>
    public static Ignis.Tensor Zeros(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Empty(shape, dtype, device, requiresGrad);

    /// <summary>Ones (<c>torch.ones</c>).</summary>
    public static Ignis.Tensor Ones(params long[] shape) => Ones(shape, null);

    /// <summary><c>torch.ones</c> with options.</summary>
    public static Ignis.Tensor Ones(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Full(shape, 1.0, dtype, device, requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>); the dtype defaults to the default float dtype.</summary>
    public static Ignis.Tensor Full(long[] shape, double value, DType? dtype = null, Device? device = null, bool requiresGrad = false)
    {
        var t = Ignis.Tensor.Empty(shape, dtype ?? DefaultDType, device ?? Device.Cpu);
        if (value != 0 && t.Numel > 0) t.Backend.Fill(t, value);
        return Finish(t, requiresGrad);
    }

    /// <summary><c>torch.full</c> with an integer fill value: the dtype defaults to int64, as in PyTorch.</summary>
    public static Ignis.Tensor Full(long[] shape, long value, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Full(shape, (double)value, dtype ?? DType.Int64, device, requiresGrad);

    /// <summary><c>torch.full</c> with a bool fill value: the dtype defaults to bool.</summary>
    public static Ignis.Tensor Full(long[] shape, bool value, DType? dtype = null, Device? device = null) =>
        Full(shape, value ? 1.0 : 0.0, dtype ?? DType.Bool, device);

    /// <summary><c>zeros_like</c>.</summary>
    public static Ignis.Tensor ZerosLike(Ignis.Tensor t, DType? dtype = null) => Zeros(t.shape, dtype ?? t.DType, t.Device);

    /// <summary><c>ones_like</c>.</summary>
    public static Ignis.Tensor OnesLike(Ignis.Tensor t, DType? dtype = null) => Ones(t.shape, dtype ?? t.DType, t.Device);

    /// <summary><c>full_like</c>.</summary>
    public static Ignis.Tensor FullLike(Ignis.Tensor t, double value, DType? dtype = null) => Full(t.shape, value, dtype ?? t.DType, t.Device);

    /// <summary><c>empty_like</c>.</summary>
    public static Ignis.Tensor EmptyLike(Ignis.Tensor t, DType? dtype = null) => Empty(t.shape, dtype ?? t.DType, t.Device);

    /// <summary>Identity matrix (<c>torch.eye</c>).</summary>
    public static Ignis.Tensor Eye(long n, long? m = null, DType? dtype = null, Device? device = null)
    {
        long cols = m ?? n;
        if (n < 0) throw new ArgumentException($"n must be greater or equal to 0, got {n}");
        if (cols < 0) throw new ArgumentException($"m must be greater or equal to 0, got {cols}");
        var dt = dtype ?? DefaultDType;
        var host = Ignis.Tensor.Empty([n, cols], dt, Device.Cpu);
        var ones = Ones([Math.Min(n, cols)], dt);
        host.AsStridedRaw([Math.Min(n, cols)], [cols + 1], 0).CopyFrom(ones);
        return device is Device d ? host.To(d) : host;
    }

    /// <summary>Integers 0..end-1 as int64 (<c>torch.arange(end)</c>).</summary>
    public static Ignis.Tensor Arange(long end, DType? dtype = null, Device? device = null) => Arange(0L, end, 1L, dtype, device);

    /// <summary>Integers start..end-1 by step as int64 (<c>torch.arange(start, end, step)</c>).</summary>
    public static Ignis.Tensor Arange(long start, long end, long step = 1, DType? dtype = null, Device? device = null) =>
        ArangeCore(start, end, step, dtype ?? DType.Int64, device);

    /// <summary>Floating range [0, end) (<c>torch.arange(5.0)</c>).</summary>
    public static Ignis.Tensor Arange(double end, DType? dtype = null, Device? device = null) => Arange(0.0, end, 1.0, dtype, device);

    /// <summary>Floating range [start, end) by step; dtype defaults to the default float dtype.</summary>
    public static Ignis.Tensor Arange(double start, double end, double step = 1.0, DType? dtype = null, Device? device = null) =>
        ArangeCore(start, end, step, dtype ?? DefaultDType, device);

    static Ignis.Tensor ArangeCore(double start, double end, double step, DType dtype, Device? device)
    {
        if (step == 0) throw new ArgumentException("step must be nonzero");
        if (double.IsNaN(start) || double.IsNaN(end) || double.IsInfinity(start) || double.IsInfinity(end))
            throw new ArgumentException($"unsupported range: {start} -> {end}");
        if ((step > 0 && end < start) || (step < 0 && end > start))
            throw new ArgumentException("upper bound and larger bound inconsistent with step sign");
        long n = (long)Math.Ceiling((end - start) / step);
        var values = new double[n];
        for (long i = 0; i < n; i++) values[i] = start + i * step;
        return From(values, [n]).ToDTypeRaw(dtype).ToDevice(device);
    }

    /// <summary>
    /// <paramref name="steps"/> evenly spaced values from start to end (<c>torch.linspace</c>), with ATen's
    /// arithmetic: the first half counts up from start, the second half down from end, in 8-wide blocks.
    /// </summary>
    public static Ignis.Tensor Linspace(double start, double end, long steps, DType? dtype = null, Device? device = null)
    {
        if (steps < 0) throw new ArgumentException("number of steps must be non-negative");
        var dt = dtype ?? DefaultDType;
        Ignis.Tensor host;
        if (dt == DType.Float32) host = From(LinspaceKernel((float)start, (float)end, steps), [steps]);
        else
        {
            var v = LinspaceKernel(start, end, steps);
            host = From(v, [steps]).ToDTypeRaw(dt);
        }
        return host.ToDevice(device);
    }

    static T[] LinspaceKernel<T>(T start, T end, long steps) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var r = new T[steps];
        if (steps == 0) return r;
        if (steps == 1) { r[0] = start; return r; }
        T step = (end - start) / T.CreateTruncating(steps - 1);
        double s0 = double.CreateTruncating(start), e0 = double.CreateTruncating(end), st = double.CreateTruncating(step);
        long half = steps / 2;
        // Each block's first value is computed in double from the nearer end point.
        T At(long i) => T.CreateTruncating(i < half ? s0 + st * i : e0 - st * (steps - i - 1));
        // ATen fills in pairs of vectors (8 floats or 4 doubles on AVX2), adding j*step within a vector,
        // and finishes the tail one element at a time.
        int v = typeof(T) == typeof(float) ? 8 : 4;
        long idx = 0;
        for (; idx + 2 * v <= steps; idx += 2 * v)
            for (int half2 = 0; half2 < 2; half2++)
            {
                long b0 = idx + half2 * v;
                T b = At(b0);
                r[b0] = b;
                for (int j = 1; j < v; j++) r[b0 + j] = b + T.CreateTruncating(j) * step;
            }
        for (; idx < steps; idx++) r[idx] = At(idx);
        return r;
    }

    // ---------- from data ----------

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static Ignis.Tensor From<T>(T[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        var dtype = DTypeInfo.FromClr(typeof(T));
        long n = 1;
        foreach (long s in shape) n *= s;
        if (n != data.Length) throw new ArgumentException($"shape '{Ignis.Tensor.ShapeStr(shape)}' is invalid for input of size {data.Length}");
        Array arr = data is bool[] b ? b.Select(v => v ? (byte)1 : (byte)0).ToArray() : data;
        return FromHostArray(arr, dtype, shape);
    }

    /// <summary>A CPU tensor holding a copy of a host array of the dtype's CLR type.</summary>
    internal static Ignis.Tensor FromHostArray(Array data, DType dtype, long[] shape)
    {
        var st = BackendRegistry.Get(Device.Cpu).FromHost(Device.Cpu, data, dtype);
        return new Ignis.Tensor(st, (long[])shape.Clone(), Ignis.Tensor.ContiguousStrides(shape), 0, dtype);
    }

    /// <summary><c>torch.tensor(list)</c> for float data.</summary>
    public static Ignis.Tensor Tensor(float[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor</c> for double data (dtype float64).</summary>
    public static Ignis.Tensor Tensor(double[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor</c> for long data (dtype int64).</summary>
    public static Ignis.Tensor Tensor(long[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor</c> for int data (dtype int32).</summary>
    public static Ignis.Tensor Tensor(int[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor</c> for byte data (dtype uint8).</summary>
    public static Ignis.Tensor Tensor(byte[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor</c> for bool data.</summary>
    public static Ignis.Tensor Tensor(bool[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor(..., dtype=torch.float16)</c> from <see cref="System.Half"/> data.</summary>
    public static Ignis.Tensor Tensor(Half[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor(..., dtype=torch.bfloat16)</c> from <see cref="Ignis.BFloat16"/> data.</summary>
    public static Ignis.Tensor Tensor(BFloat16[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor(..., dtype=torch.int16)</c>.</summary>
    public static Ignis.Tensor Tensor(short[] data, params long[] shape) => From(data, shape);
    /// <summary><c>torch.tensor(..., dtype=torch.int8)</c>.</summary>
    public static Ignis.Tensor Tensor(sbyte[] data, params long[] shape) => From(data, shape);

    /// <summary>A 0-dim tensor (<c>torch.tensor(3.5)</c>) of the default float dtype unless given.</summary>
    public static Ignis.Tensor Scalar(double value, DType? dtype = null, Device? device = null) => Full([], value, dtype ?? DefaultDType, device);

    /// <summary>A 2-D tensor from a rectangular array.</summary>
    public static Ignis.Tensor Tensor(float[,] data) => From(data.Cast<float>().ToArray(), data.GetLength(0), data.GetLength(1));

    /// <summary>A 2-D float64 tensor from a rectangular array.</summary>
    public static Ignis.Tensor Tensor(double[,] data) => From(data.Cast<double>().ToArray(), data.GetLength(0), data.GetLength(1));

    /// <summary>
    /// Saves an object in PyTorch's checkpoint format (<c>torch.save(obj, path)</c>), atomically:
    /// <c>Torch.Save(model.StateDict(), "model.pth")</c>. See <see cref="Serialization.TorchSerialization.Save"/>.
    /// </summary>
    public static void Save(object? obj, string path) => Serialization.TorchSerialization.Save(obj, path);

    /// <summary>
    /// Loads a checkpoint written by <c>torch.save</c> with PyTorch's weights-only rules (<c>torch.load(path,
    /// weights_only=True, map_location=...)</c>); a state dict comes back as <c>OrderedDictionary&lt;string, Tensor&gt;</c>
    /// for <c>model.LoadStateDict(...)</c>. Hostile or corrupt files raise <see cref="Serialization.UnpicklingException"/>.
    /// </summary>
    public static object? Load(string path, Device? mapLocation = null) => Serialization.TorchSerialization.Load(path, mapLocation);

    /// <summary><see cref="Load(string, Device?)"/> with the result checked to be a <typeparamref name="T"/> (e.g. a state dict).</summary>
    public static T Load<T>(string path, Device? mapLocation = null) => Load(path, mapLocation) is T t ? t
        : throw new InvalidCastException($"{path} does not hold a {typeof(T).Name}");

    internal static Ignis.Tensor ToDevice(this Ignis.Tensor t, Device? device) => device is Device d ? t.To(d) : t;
}
