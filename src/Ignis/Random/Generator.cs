namespace Ignis;

/// <summary>
/// A pseudo-random generator bit-compatible with PyTorch's CPU generator (<c>torch.Generator</c>):
/// MT19937 seeded as <c>manual_seed</c> seeds it, so the same seed gives the same numbers.
/// </summary>
public sealed class Generator
{
    /// <summary>PyTorch's default CPU seed, used until <see cref="ManualSeed(ulong)"/> is called.</summary>
    public const ulong DefaultSeed = 67280421310721UL;

    const int N = 624, M = 397;
    readonly uint[] _state = new uint[N];
    int _next;
    ulong _seed;
    internal double? NextDoubleNormal;
    internal readonly object Lock = new();

    /// <summary>A generator seeded with PyTorch's default seed.</summary>
    public Generator() => ManualSeed(DefaultSeed);

    /// <summary>A generator with the given seed.</summary>
    public Generator(ulong seed) => ManualSeed(seed);

    /// <summary>The seed last set (<c>initial_seed()</c>).</summary>
    public ulong InitialSeed => _seed;

    /// <summary>Re-seeds the generator (<c>manual_seed</c>); clears the cached normal sample.</summary>
    public Generator ManualSeed(ulong seed)
    {
        lock (Lock)
        {
            _seed = seed;
            _state[0] = (uint)(seed & 0xffffffff);
            for (int j = 1; j < N; j++)
                _state[j] = 1812433253u * (_state[j - 1] ^ (_state[j - 1] >> 30)) + (uint)j;
            _next = N;
            NextDoubleNormal = null;
            _philoxOffset = 0;
        }
        return this;
    }

    ulong _philoxOffset;

    /// <summary>
    /// Where the counter-based (Philox4x32-10) stream that GPU backends draw from stands (<c>Generator.get_offset()</c>
    /// of PyTorch's CUDA generators): device samples are a function of <see cref="InitialSeed"/> and this offset only, so
    /// a seed reproduces them on any device. <see cref="ManualSeed(ulong)"/> sets it to 0; draws on the CPU leave it alone.
    /// </summary>
    public ulong PhiloxOffset
    {
        get { lock (Lock) return _philoxOffset; }
        set { lock (Lock) _philoxOffset = value; }
    }

    /// <summary>Returns the current <see cref="PhiloxOffset"/> and advances it by <paramref name="count"/> (one device draw).</summary>
    public ulong ReservePhiloxOffset(ulong count = 1)
    {
        lock (Lock)
        {
            ulong at = _philoxOffset;
            _philoxOffset += count;
            return at;
        }
    }

    /// <summary>Overload for signed seeds (negative seeds wrap as in PyTorch).</summary>
    public Generator ManualSeed(long seed) => ManualSeed(unchecked((ulong)seed));

    /// <summary>Next 32 random bits (<c>random()</c>).</summary>
    public uint Random()
    {
        if (_next >= N) Twist();
        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>Next 64 random bits: two 32-bit draws, the first as the high half (<c>random64()</c>).</summary>
    public ulong Random64()
    {
        ulong hi = Random();
        ulong lo = Random();
        return (hi << 32) | lo;
    }

    /// <summary>Uniform float in [0, 1) from 24 random bits, as PyTorch's float path.</summary>
    public float NextFloat() => (Random() & ((1u << 24) - 1)) * (1.0f / (1 << 24));

    /// <summary>Uniform double in [0, 1) from 53 random bits, as PyTorch's double path.</summary>
    public double NextDouble() => (Random64() & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));

    /// <summary>One standard-normal double by Box–Muller, caching the second value as PyTorch does.</summary>
    public double NextNormal(double mean, double std)
    {
        if (NextDoubleNormal is double cached)
        {
            NextDoubleNormal = null;
            return cached * std + mean;
        }
        double u1 = NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        NextDoubleNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta) * std + mean;
    }

    /// <summary>Everything a draw reads or changes, for <see cref="RestoreState"/>.</summary>
    internal readonly record struct State(uint[] Words, int Next, ulong Seed, double? CachedNormal, ulong PhiloxOffset);

    /// <summary>A copy of the whole state (<c>get_state()</c>, in-process form).</summary>
    internal State SaveState()
    {
        lock (Lock) return new State((uint[])_state.Clone(), _next, _seed, NextDoubleNormal, _philoxOffset);
    }

    /// <summary>
    /// Puts back a state taken by <see cref="SaveState"/> (<c>set_state()</c>): work done in between, such as building
    /// a module only to overwrite its parameters, then leaves no trace in later draws.
    /// </summary>
    internal void RestoreState(State state)
    {
        lock (Lock)
        {
            Array.Copy(state.Words, _state, N);
            _next = state.Next;
            _seed = state.Seed;
            NextDoubleNormal = state.CachedNormal;
            _philoxOffset = state.PhiloxOffset;
        }
    }

    void Twist()
    {
        const uint upper = 0x80000000u, lower = 0x7fffffffu, matrixA = 0x9908b0dfu;
        for (int i = 0; i < N; i++)
        {
            uint y = (_state[i] & upper) | (_state[(i + 1) % N] & lower);
            uint v = _state[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) v ^= matrixA;
            _state[i] = v;
        }
        _next = 0;
    }
}
