namespace Ignis;

public static partial class Torch
{
    /// <summary>The default CPU generator (<c>torch.default_generator</c>).</summary>
    public static Generator DefaultGenerator { get; } = new();

    /// <summary>Seeds the default generator (<c>torch.manual_seed</c>).</summary>
    public static Generator ManualSeed(long seed) => DefaultGenerator.ManualSeed(seed);

    /// <summary>The default generator's state as a uint8 tensor (<c>torch.get_rng_state()</c>; Ignis' layout, see <see cref="Generator.GetState"/>).</summary>
    public static Ignis.Tensor GetRngState() => DefaultGenerator.GetState();

    /// <summary>Restores the default generator's state (<c>torch.set_rng_state(state)</c>).</summary>
    public static void SetRngState(Ignis.Tensor state) => DefaultGenerator.SetState(state);

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Ignis.Tensor Rand(params long[] shape) => Rand(shape, null);

    /// <summary><c>torch.rand</c> with options.</summary>
    public static Ignis.Tensor Rand(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false, Generator? generator = null)
    {
        // Sampled where the tensor lives: on a GPU device by its own generator, as torch.rand(device=...) does.
        var t = Empty(shape, dtype ?? DefaultDType, device);
        t.Uniform_(0, 1, generator);
        return Finish(t, requiresGrad);
    }

    /// <summary>Standard-normal samples (<c>torch.randn</c>).</summary>
    public static Ignis.Tensor Randn(params long[] shape) => Randn(shape, null);

    /// <summary><c>torch.randn</c> with options.</summary>
    public static Ignis.Tensor Randn(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false, Generator? generator = null)
    {
        var t = Empty(shape, dtype ?? DefaultDType, device);
        t.Normal_(0, 1, generator);
        return Finish(t, requiresGrad);
    }

    /// <summary>Integers uniform in [low, high) (<c>torch.randint</c>), int64 by default.</summary>
    public static Ignis.Tensor Randint(long low, long high, long[] shape, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        if (low >= high) throw new ArgumentException($"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}");
        var t = Empty(shape, DType.Int64);
        var data = new long[t.Numel];
        Sampling.Randint(generator ?? DefaultGenerator, data, low, high);
        var r = From(data, shape);
        var dt = dtype ?? DType.Int64;
        return (dt == DType.Int64 ? r : r.ToDTypeRaw(dt)).ToDevice(device);
    }

    /// <summary><c>torch.randint(high, size)</c>.</summary>
    public static Ignis.Tensor Randint(long high, long[] shape, DType? dtype = null, Device? device = null, Generator? generator = null) =>
        Randint(0, high, shape, dtype, device, generator);

    /// <summary>A random permutation of 0..n-1 (<c>torch.randperm</c>).</summary>
    public static Ignis.Tensor Randperm(long n, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        if (n < 0) throw new ArgumentException($"n must be non-negative, got{n}");
        var r = From(Sampling.Randperm(generator ?? DefaultGenerator, n), [n]);
        var dt = dtype ?? DType.Int64;
        return (dt == DType.Int64 ? r : r.ToDTypeRaw(dt)).ToDevice(device);
    }

    /// <summary><c>rand_like</c>.</summary>
    public static Ignis.Tensor RandLike(Ignis.Tensor t) => Rand(t.shape, t.DType, t.Device);

    /// <summary><c>randn_like</c>.</summary>
    public static Ignis.Tensor RandnLike(Ignis.Tensor t) => Randn(t.shape, t.DType, t.Device);
}

