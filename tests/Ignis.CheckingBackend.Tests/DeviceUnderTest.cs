using System.Runtime.CompilerServices;
using Ignis.Backends;
using Ignis.Tests;
using Xunit;

namespace Ignis.CheckingBackend.Tests;

/// <summary>Registers the checking backend and points the shared fixture suites at its device before any test runs.</summary>
internal static class DeviceUnderTest
{
    internal static readonly CheckingBackend Backend = new();

#pragma warning disable CA2255 // a test assembly's one-time set-up
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        BackendRegistry.Register(Backend);
        Fixture.DeviceUnderTest = CheckingBackend.Device;
    }
}

/// <summary>The seam itself: tensors really live on the checking device and its primitives really ran.</summary>
public class CheckingBackendTests
{
    [Fact]
    public void Tensors_live_on_the_checking_device_and_results_come_back()
    {
        var x = Torch.Arange(6).View(2, 3).To(CheckingBackend.Device).Float();
        Assert.Equal("privateuseone:0", x.Device.ToString());
        long before = Interlocked.Read(ref DeviceUnderTest.Backend.CheckedCalls);
        var y = (x.T * 2 + 1).Sum(0);
        Assert.Equal(CheckingBackend.Device, y.Device);
        Assert.Equal([9f, 27f], y.Cpu().ToArray<float>());
        Assert.True(Interlocked.Read(ref DeviceUnderTest.Backend.CheckedCalls) > before);
        Assert.Equal(1, Torch.Cuda.DeviceCount() + 1);
    }

    [Fact]
    public void Mixing_devices_names_both()
    {
        var a = Torch.Ones(2).To(CheckingBackend.Device);
        var e = Assert.Throws<ArgumentException>(() => a + Torch.Ones(2));
        Assert.Contains("privateuseone:0", e.Message);
        Assert.Contains("cpu", e.Message);
    }

    [Fact]
    public void A_backend_that_ignores_strides_is_caught()
    {
        var checking = new CheckingBackend(StrideIgnoringProxy.Create());
        var storage = checking.FromHost(CheckingBackend.Device, new float[] { 0, 1, 2, 3, 4, 5 }, DType.Float32);
        var transposed = new TensorView(storage, [3, 2], [1, 3], 0);
        var dst = TensorView.Contiguous(checking.Allocate(CheckingBackend.Device, DType.Float32, 6), [3, 2]);
        var e = Assert.Throws<LayoutMismatchException>(() => checking.Unary(UnaryOp.Neg, transposed, dst));
        Assert.Contains("Unary Neg", e.Message);
    }
}

/// <summary>A broken backend for the test above: the CPU backend, except that unary ops read their input as if contiguous.</summary>
public class StrideIgnoringProxy : System.Reflection.DispatchProxy
{
    IBackend inner = null!;

    /// <summary>The proxy over the registered CPU backend.</summary>
    public static IBackend Create()
    {
        var p = Create<IBackend, StrideIgnoringProxy>();
        ((StrideIgnoringProxy)(object)p).inner = BackendRegistry.Get(Device.Cpu);
        return p;
    }

    /// <inheritdoc/>
    protected override object? Invoke(System.Reflection.MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IBackend.Unary) && args![1] is TensorView x)
            args[1] = new TensorView(x.Storage, x.Shape, Contiguous(x.Shape), x.Offset);
        try { return method.Invoke(inner, args); }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
    }

    static long[] Contiguous(ReadOnlySpan<long> shape)
    {
        var st = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { st[d] = s; s *= shape[d]; }
        return st;
    }
}
