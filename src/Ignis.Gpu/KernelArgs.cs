using Ignis.Backends;

namespace Ignis.Gpu;

/// <summary>
/// Kernel arguments gathered before a launch: buffers, scalars and <c>long8</c> vectors (shapes and strides of up to
/// eight dimensions travel by value, so a launch needs no metadata buffer).
/// </summary>
internal sealed class KernelArgs
{
    readonly long[] values = new long[160];
    readonly int[] sizes = new int[40], starts = new int[40];
    int count, used;

    public int Count => count;

    public (int Size, int Start) Slot(int i) => (sizes[i], starts[i]);

    public ref long Value(int slot) => ref values[slot];

    Span<long> Add(int bytes)
    {
        int words = Math.Max(1, (bytes + 7) / 8);
        if (count == sizes.Length || used + words > values.Length) throw new InvalidOperationException("too many kernel arguments");
        sizes[count] = bytes;
        starts[count] = used;
        count++;
        var span = values.AsSpan(used, words);
        used += words;
        return span;
    }

    public void Buffer(Storage s) => Add(IntPtr.Size)[0] = GpuStorage.Of(s).Mem;
    public void Buffer(nint mem) => Add(IntPtr.Size)[0] = mem;
    public void Long(long v) => Add(8)[0] = v;
    public void Int(int v) => Add(4)[0] = (uint)v;
    public void Float(float v) => Add(4)[0] = BitConverter.SingleToUInt32Bits(v);
    public void Double(double v) => Add(8)[0] = BitConverter.DoubleToInt64Bits(v);

    /// <summary>A <c>long8</c>: the first values of <paramref name="v"/>, the rest <paramref name="pad"/>.</summary>
    public void Long8(ReadOnlySpan<long> v, long pad = 0)
    {
        var s = Add(64);
        for (int i = 0; i < 8; i++) s[i] = i < v.Length ? v[i] : pad;
    }

    /// <summary>A scalar in a kernel's compute type (float, double or an integer type).</summary>
    public void Scalar(string computeType, double d, long l)
    {
        switch (computeType)
        {
            case "float": Float((float)d); break;
            case "double": Double(d); break;
            case "long": Long(l); break;
            case "int": Int((int)l); break;
            case "short": Add(2)[0] = (ushort)(short)l; break;
            case "char": Add(1)[0] = (byte)(sbyte)l; break;
            case "uchar": Add(1)[0] = (byte)l; break;
            default: throw new ArgumentOutOfRangeException(nameof(computeType), computeType, "not a kernel compute type");
        }
    }
}
