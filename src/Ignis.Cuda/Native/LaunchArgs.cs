using System.Runtime.InteropServices;

namespace Ignis.Cuda.Native;

/// <summary>
/// The <c>kernelParams</c> of <c>cuLaunchKernel</c>: each argument's value stored at its natural alignment in one
/// pinned block, and an array of pointers to them. Arguments follow the rendered kernel's parameter list: device
/// pointers and <c>long</c>/<c>double</c> are 8 bytes, <c>int</c>/<c>float</c> 4, <c>long8</c> a 64-byte struct passed
/// by value (shapes and strides travel without a metadata buffer, as in the OpenCL backend).
/// </summary>
internal sealed class LaunchArgs : IDisposable
{
    readonly List<(int Offset, int Size)> slots = [];
    byte[] data = new byte[256];
    int used;
    GCHandle pinnedData, pinnedPointers;
    nint[]? pointers;

    Span<byte> Add(int size, int align)
    {
        if (pointers is not null) throw new InvalidOperationException("arguments cannot be added after the pointer array was built");
        int offset = (used + align - 1) / align * align;
        if (offset + size > data.Length) Array.Resize(ref data, Math.Max(data.Length * 2, offset + size));
        slots.Add((offset, size));
        used = offset + size;
        return data.AsSpan(offset, size);
    }

    public LaunchArgs Pointer(ulong device) { BitConverter.TryWriteBytes(Add(8, 8), device); return this; }
    public LaunchArgs Long(long v) { BitConverter.TryWriteBytes(Add(8, 8), v); return this; }
    public LaunchArgs Int(int v) { BitConverter.TryWriteBytes(Add(4, 4), v); return this; }
    public LaunchArgs Float(float v) { BitConverter.TryWriteBytes(Add(4, 4), v); return this; }
    public LaunchArgs Double(double v) { BitConverter.TryWriteBytes(Add(8, 8), v); return this; }

    /// <summary>A <c>long8</c> (eight 64-bit values, padded with <paramref name="pad"/>).</summary>
    public LaunchArgs Long8(ReadOnlySpan<long> v, long pad = 0)
    {
        var s = MemoryMarshal.Cast<byte, long>(Add(64, 8));
        for (int i = 0; i < 8; i++) s[i] = i < v.Length ? v[i] : pad;
        return this;
    }

    /// <summary>Number of arguments.</summary>
    public int Count => slots.Count;

    /// <summary>Size in bytes of argument <paramref name="i"/>.</summary>
    public int SizeOf(int i) => slots[i].Size;

    /// <summary>The pinned <c>void**</c> for cuLaunchKernel; valid until <see cref="Dispose"/>.</summary>
    public nint KernelParams()
    {
        if (pointers is null)
        {
            pinnedData = GCHandle.Alloc(data, GCHandleType.Pinned);
            nint basePtr = pinnedData.AddrOfPinnedObject();
            pointers = slots.Select(s => basePtr + s.Offset).ToArray();
            pinnedPointers = GCHandle.Alloc(pointers, GCHandleType.Pinned);
        }
        return pinnedPointers.AddrOfPinnedObject();
    }

    public void Dispose()
    {
        if (pinnedPointers.IsAllocated) pinnedPointers.Free();
        if (pinnedData.IsAllocated) pinnedData.Free();
    }
}
