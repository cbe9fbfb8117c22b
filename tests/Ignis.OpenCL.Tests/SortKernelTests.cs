using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>Sort and top-k ranked on the device equal the CPU's stable order (ties by index, NaN highest) exactly.</summary>
[Collection("opencl serial")]
public class SortKernelTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    static void Same((Tensor Values, Tensor Indices) device, (Tensor Values, Tensor Indices) cpu)
    {
        Assert.Equal(Cl, device.Values.Device);
        Assert.Equal(cpu.Indices.ToArray<long>(), device.Indices.Cpu().ToArray<long>());
        Assert.Equal(cpu.Values.To(DType.Float64).ToArray<double>(), device.Values.Cpu().To(DType.Float64).ToArray<double>());
    }

    [OpenCLFact]
    public void Sort_and_topk_with_ties_and_nan_match_the_cpu_for_every_sortable_dtype()
    {
        Torch.ManualSeed(8);
        // Few distinct values (many ties), NaNs in floats, rows along a non-last dimension.
        var ints = Torch.Randint(-4, 5, [6, 40, 3]);
        var x = ints.To(DType.Float64);
        x[0, 3, 1] = Torch.Full([], double.NaN, DType.Float64);
        x[2, 0, 0] = Torch.Full([], double.NaN, DType.Float64);
        x[2, 7, 0] = Torch.Full([], double.NaN, DType.Float64);
        OpenCLBackend.ResetHostFallbacks();
        foreach (var dt in new[] { DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8 })
        {
            var xt = dt.IsFloatingPoint() ? x.To(dt) : ints.Abs().To(dt);
            var xd = xt.To(Cl);
            foreach (bool desc in new[] { false, true })
            {
                Same(xd.Sort(1, desc), xt.Sort(1, desc));
                Same(xd.Sort(-1, desc), xt.Sort(-1, desc));
                Same(xd.Topk(5, 1, largest: desc), xt.Topk(5, 1, largest: desc));
                Same(xd.Topk(40, 1, largest: desc), xt.Topk(40, 1, largest: desc));
            }
        }
        Assert.DoesNotContain("Sort", OpenCLBackend.HostFallbacks.Keys);
        Assert.DoesNotContain("TopK", OpenCLBackend.HostFallbacks.Keys);
    }

    [OpenCLFact]
    public void Sort_gradients_scatter_back_on_the_device()
    {
        var x = Torch.Tensor(new float[] { 3, 1, 2, 1, 5, 0 }, 2, 3).To(Cl).RequiresGrad_();
        var (v, _) = x.Sort(1);
        (v * Torch.Tensor(new float[] { 1, 2, 3 }).To(Cl)).Sum().Backward();
        Assert.Equal([3f, 1, 2, 2, 3, 1], x.Grad!.Cpu().ToArray<float>());
    }
}
