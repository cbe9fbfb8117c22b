using System.Runtime.InteropServices;
using Ignis.Cuda.Native;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>cuLaunchKernel's kernelParams: every pointer leads to its argument's value, naturally aligned.</summary>
public unsafe class LaunchArgsTests
{
    [Fact]
    public void Each_pointer_reads_back_its_argument_at_its_alignment()
    {
        using var args = new LaunchArgs()
            .Int(7).Pointer(0x7f00_1234_5000).Float(2.5f).Long(-3).Long8([4, 5, 6], pad: 1).Double(1e-300).Int(-9);
        Assert.Equal(7, args.Count);
        Assert.Equal([4, 8, 4, 8, 64, 8, 4], Enumerable.Range(0, args.Count).Select(args.SizeOf));
        var p = (nint*)args.KernelParams();
        Assert.Equal(7, *(int*)p[0]);
        Assert.Equal(0x7f00_1234_5000UL, *(ulong*)p[1]);
        Assert.Equal(2.5f, *(float*)p[2]);
        Assert.Equal(-3L, *(long*)p[3]);
        Assert.Equal([4L, 5, 6, 1, 1, 1, 1, 1], new ReadOnlySpan<long>((long*)p[4], 8).ToArray());
        Assert.Equal(1e-300, *(double*)p[5]);
        Assert.Equal(-9, *(int*)p[6]);
        for (int i = 0; i < args.Count; i++) Assert.Equal(0, p[i] % Math.Min(8, args.SizeOf(i)));
        Assert.Throws<InvalidOperationException>(() => args.Int(1));
    }

    [Fact]
    public void Many_arguments_grow_the_block_without_moving_earlier_values()
    {
        using var args = new LaunchArgs();
        for (int i = 0; i < 40; i++) args.Long8([i]);
        var p = (nint*)args.KernelParams();
        for (int i = 0; i < 40; i++) Assert.Equal(i, *(long*)p[i]);
        GC.Collect(); // pinned: still valid
        Assert.Equal(39, *(long*)p[39]);
    }
}
