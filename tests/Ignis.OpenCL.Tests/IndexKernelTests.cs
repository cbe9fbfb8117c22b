using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Gather, scatter and scatter-add on the device: every layout the kernels walk (transposed, broadcast and sliced
/// operands, negative and repeated indices, 0-d tensors, every dtype) equals the CPU backend bit for bit, and a bad
/// index raises the CPU's error. The values themselves are checked against PyTorch by the shared op fixtures.
/// </summary>
[Collection("opencl serial")]
public class IndexKernelTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    static void SameAsCpu(Tensor onDevice, Tensor onCpu)
    {
        Assert.Equal(Cl, onDevice.Device);
        Assert.Equal(onCpu.Shape, onDevice.Shape);
        Assert.Equal(onCpu.To(DType.Float64).ToArray<double>(), onDevice.Cpu().To(DType.Float64).ToArray<double>());
    }

    [OpenCLFact]
    public void Gather_and_index_select_run_on_the_device_for_every_layout_and_dtype()
    {
        Torch.ManualSeed(3);
        var x = Torch.Randn(5, 7, 3);
        var index = Torch.Randint(-7, 7, [4, 6, 2]);
        OpenCLBackend.ResetHostFallbacks();
        foreach (var dt in new[] { DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int64, DType.Int32, DType.Int8, DType.UInt8, DType.Bool })
        {
            var xt = (x * 10).To(dt);
            SameAsCpu(xt.To(Cl).Gather(1, index.To(Cl)), xt.Gather(1, index));
        }
        // Transposed source, broadcast (stride-0) index, a sliced destination through index_select, a 0-d tensor.
        var xT = x.Permute(2, 1, 0);
        var idx0 = Torch.Randint(0, 3, [2, 1, 5]).Expand(2, 7, 5);
        SameAsCpu(xT.To(Cl).Gather(0, idx0.To(Cl)), xT.Gather(0, idx0));
        var sel = Torch.Tensor([6L, 0, 6, -1]);
        SameAsCpu(x.To(Cl).Narrow(0, 1, 3).IndexSelect(1, sel.To(Cl)), x.Narrow(0, 1, 3).IndexSelect(1, sel));
        var scalar = Torch.Full([], 2.5);
        var zero = Torch.Full([], 0, DType.Int64);
        SameAsCpu(scalar.To(Cl).Gather(0, zero.To(Cl)), scalar.Gather(0, zero));
        Assert.DoesNotContain("Gather", OpenCLBackend.HostFallbacks.Keys);
    }

    [OpenCLFact]
    public void Scatter_add_accumulates_repeated_indices_in_the_cpus_order()
    {
        Torch.ManualSeed(4);
        var dst = Torch.Randn(6, 5);
        var src = Torch.Randn(9, 5) * 1000; // large and small values: a different summation order would show
        var index = Torch.Randint(0, 6, [9, 5]);
        OpenCLBackend.ResetHostFallbacks();
        foreach (var dt in new[] { DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.Int16, DType.Int8, DType.UInt8 })
        {
            var d = dst.To(dt); var s = src.To(dt);
            SameAsCpu(d.To(Cl).ScatterAdd(0, index.To(Cl), s.To(Cl)), d.ScatterAdd(0, index, s));
        }
        // Along the last dimension with a transposed source and a negative index.
        var neg = Torch.Tensor(new long[] { -1, 0, -1, 2 }, 1, 4).Expand(6, 4);
        var srcT = Torch.Randn(4, 6).T;
        SameAsCpu(dst.To(Cl).ScatterAdd(1, neg.To(Cl), srcT.To(Cl)), dst.ScatterAdd(1, neg, srcT));
        Assert.DoesNotContain("ScatterAdd", OpenCLBackend.HostFallbacks.Keys);
        // float16 adds go through the host path, which widens to float32 as the CPU does.
        var dh = dst.To(DType.Float16); var sh = src.To(DType.Float16);
        SameAsCpu(dh.To(Cl).ScatterAdd(0, index.To(Cl), sh.To(Cl)), dh.ScatterAdd(0, index, sh));
    }

    [OpenCLFact]
    public void Scatter_keeps_the_last_duplicate_and_serves_index_copy_and_index_put()
    {
        var dst = Torch.Zeros(4, 3);
        var source = Torch.Arange(15).View(5, 3).Float();
        var idx = Torch.Tensor([2L, 0, 2, 3, 2]);
        OpenCLBackend.ResetHostFallbacks();
        SameAsCpu(dst.To(Cl).IndexCopy(0, idx.To(Cl), source.To(Cl)), dst.IndexCopy(0, idx, source));
        var put = Torch.Zeros(6).To(Cl);
        put.IndexPut_([Torch.Tensor([5L, 1, 5]).To(Cl)], Torch.Tensor([1f, 2, 3]).To(Cl));
        Assert.Equal([0f, 2, 0, 0, 0, 3], put.Cpu().ToArray<float>());
        Assert.DoesNotContain("Scatter", OpenCLBackend.HostFallbacks.Keys);
    }

    [OpenCLFact]
    public void A_bad_index_raises_the_cpus_error_and_the_next_call_is_unaffected()
    {
        var x = Torch.Zeros(2, 3).To(Cl);
        var bad = Torch.Tensor(new long[] { 0, 1, 2, 1, 9, -4 }, 2, 3).To(Cl);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, bad));
        Assert.Equal("index 9 is out of bounds for dimension 1 with size 3", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x.ScatterAdd(1, bad, Torch.Ones(2, 3).To(Cl)));
        Assert.Equal("index 9 is out of bounds for dimension 1 with size 3", e.Message);
        var ok = Torch.Tensor(new long[] { 2, 1, 0, 0, 1, 2 }, 2, 3).To(Cl);
        Assert.Equal([3f, 2, 1, 4, 5, 6], Torch.Tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3).To(Cl).Gather(1, ok).Cpu().ToArray<float>());
    }
}
