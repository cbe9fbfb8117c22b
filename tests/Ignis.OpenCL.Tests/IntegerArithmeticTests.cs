using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Integer floor division, modulo and powers on the device: Python's signs, the CPU's wrap-around, and PyTorch's errors
/// for a zero divisor and zero to a negative power (reported through the device's error word).
/// </summary>
[Collection("opencl serial")]
public class IntegerArithmeticTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    static void Same(Tensor cpu, Tensor device)
    {
        Assert.Equal(Cl, device.Device);
        Assert.Equal(cpu.DType, device.DType);
        Assert.Equal(cpu.To(DType.Int64).ToArray<long>(), device.Cpu().To(DType.Int64).ToArray<long>());
    }

    [OpenCLFact]
    public void Floor_division_modulo_and_powers_match_the_cpu_for_every_integer_dtype()
    {
        var a = Torch.Tensor(new long[] { -7, -6, -1, 0, 1, 5, 7, 9, 100, -100, 3, -3 });
        var b = Torch.Tensor(new long[] { 2, -4, 3, 5, -2, 5, -3, 4, 7, -7, 1, -1 });
        var e = Torch.Tensor(new long[] { 0, 1, 2, 3, 5, -1, -2, 7, 2, 3, 9, -3 });
        OpenCLBackend.ResetHostFallbacks();
        foreach (var dt in new[] { DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8 })
        {
            var (x, y) = dt == DType.UInt8 ? (a.Abs().To(dt), b.Abs().To(dt)) : (a.To(dt), b.To(dt));
            var (xd, yd) = (x.To(Cl), y.To(Cl));
            Same(x.FloorDivide(y), xd.FloorDivide(yd));
            Same(x.Div(y, "trunc"), xd.Div(yd, "trunc"));
            Same(x.Remainder(y), xd.Remainder(yd));
            var three = Torch.Full([], 3L, dt);
            Same(x.Remainder(three), xd.Remainder(three.To(Cl)));
            var ex = dt == DType.UInt8 ? e.Abs().To(dt) : e.To(dt);
            Same(x.Pow(ex), xd.Pow(ex.To(Cl)));
            Same(x.Pow(3), xd.Pow(3));
            if (dt != DType.UInt8)
            {
                var nonzero = Torch.Tensor(new long[] { 1, -1, 2, -2, 5 }).To(dt);
                Same(nonzero.Pow(-1), nonzero.To(Cl).Pow(-1));
            }
        }
        Assert.DoesNotContain(OpenCLBackend.HostFallbacks.Keys, k => k.StartsWith("Binary") || k.StartsWith("Unary"));
    }

    [OpenCLFact]
    public void Zero_divisors_and_zero_to_negative_powers_raise_pytorchs_errors()
    {
        var x = Torch.Tensor(new long[] { 4, 5, 6 }).To(Cl);
        var zero = Torch.Tensor(new long[] { 1, 0, 2 }).To(Cl);
        Assert.Equal("ZeroDivisionError", Assert.Throws<DivideByZeroException>(() => x.FloorDivide(zero)).Message);
        Assert.Equal("ZeroDivisionError", Assert.Throws<DivideByZeroException>(() => x.Remainder(zero)).Message);
        Assert.Equal("Integers to negative integer powers are not allowed.",
            Assert.Throws<ArgumentException>(() => Torch.Tensor(new long[] { 1, 0 }).To(Cl).Pow(Torch.Tensor(new long[] { -1, -1 }).To(Cl))).Message);
        // The error word is re-armed: the next operation succeeds.
        Assert.Equal([2L, 5, 3], x.FloorDivide(Torch.Tensor(new long[] { 2, 1, 2 }).To(Cl)).Cpu().ToArray<long>());
    }
}
