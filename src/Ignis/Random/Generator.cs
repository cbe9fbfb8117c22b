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

    const uint StateMagic = 0x53524749; // "IGRS"
    const int StateBytes = 4 + 4 + N * 4 + 4 + 8 + 1 + 8 + 8;

    /// <summary>
    /// The whole state as a uint8 tensor (<c>Generator.get_state()</c>), for checkpoints that resume a run exactly:
    /// MT19937's words and position, the seed, the cached normal sample and the Philox offset. The byte layout is
    /// Ignis' own (versioned), not PyTorch's CPUGeneratorImplState.
    /// </summary>
    public Tensor GetState()
    {
        var st = SaveState();
        var bytes = new byte[StateBytes];
        var span = bytes.AsSpan();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span, StateMagic);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 1);
        for (int i = 0; i < N; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[(8 + 4 * i)..], st.Words[i]);
        int o = 8 + 4 * N;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[o..], st.Next);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(span[(o + 4)..], st.Seed);
        span[o + 12] = st.CachedNormal.HasValue ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(span[(o + 13)..], st.CachedNormal ?? 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(span[(o + 21)..], st.PhiloxOffset);
        return Torch.Tensor(bytes);
    }

    /// <summary>Restores a state from <see cref="GetState"/> (<c>Generator.set_state(new_state)</c>); the next draws repeat those that followed it.</summary>
    public Generator SetState(Tensor state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.DType != DType.UInt8)
            throw new ArgumentException($"expected a torch.ByteTensor, but got {state.DType}");
        var bytes = state.Cpu().Contiguous().ToArray<byte>();
        var span = bytes.AsSpan();
        if (bytes.Length != StateBytes || System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span) != StateMagic
            || System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) != 1)
            throw new ArgumentException($"RNG state is wrong size or not an Ignis generator state (expected {StateBytes} bytes from Generator.GetState(), got {bytes.Length})");
        var words = new uint[N];
        for (int i = 0; i < N; i++) words[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(8 + 4 * i)..]);
        int o = 8 + 4 * N;
        int next = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(span[o..]);
        if (next < 0 || next > N) throw new ArgumentException($"RNG state is corrupt: position {next} outside 0..{N}");
        double? normal = span[o + 12] != 0 ? System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(span[(o + 13)..]) : null;
        RestoreState(new State(words, next, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(span[(o + 4)..]), normal,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(span[(o + 21)..])));
        return this;
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
