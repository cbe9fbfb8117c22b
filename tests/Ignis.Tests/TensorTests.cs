using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>Storage sharing, strides, indexing, conversion and devices.</summary>
public class TensorTests
{
    [Fact]
    public void Item_converts_to_every_integer_width()
    {
        var b = Torch.Tensor(new byte[] { 200 }, 1);
        Assert.Equal((byte)200, b.Item<byte>());
        Assert.Equal(200, b.Item<int>());
        Assert.Equal((short)200, b.Item<short>());
        Assert.Equal(200L, b.Item<long>());
        Assert.Equal((sbyte)-3, Torch.Tensor([-3L]).Item<sbyte>());
        Assert.Equal(2.5f, Torch.Tensor([2.5]).Item<float>());
        Assert.Equal(200.0, b.Item<double>());
        Assert.Equal(-3.0, Torch.Tensor([-3L]).To(DType.Int8).Item<double>());
    }

    [Fact]
    public void Views_share_storage_and_compute_strides_like_pytorch()
    {
        var x = Torch.Arange(24.0).Reshape(2, 3, 4);
        Assert.Equal(new long[] { 12, 4, 1 }, x.Strides);
        var p = x.Permute(2, 0, 1);
        Assert.Equal(new long[] { 1, 12, 4 }, p.Strides);
        Assert.False(p.IsContiguous);
        var s = x[1, .., TensorIndex.Slice(1, null, 2)];
        Assert.Equal(new long[] { 3, 2 }, s.Shape);
        Assert.Equal(13, s.StorageOffset);
        Assert.Equal(new long[] { 4, 2 }, s.Strides);
        s.Fill_(-1);
        Assert.Equal(-1f, x[1, 2, 3].Item<float>());
        Assert.Same(x.Storage, x.View(6, 4).Storage);
        Assert.Same(x.Storage, x.Unsqueeze(0).Expand(5, 2, 3, 4).Storage);
        Assert.Equal(new long[] { 0, 12, 4, 1 }, x.Unsqueeze(0).Expand(5, 2, 3, 4).Strides);
    }

    [Fact]
    public void Reshape_copies_only_when_a_view_is_impossible()
    {
        var x = Torch.Arange(6.0).Reshape(2, 3);
        Assert.Same(x.Storage, x.Reshape(3, 2).Storage);
        Assert.NotSame(x.Storage, x.T.Reshape(6).Storage);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, x.T.Reshape(6).ToArray<float>());
    }

    [Fact]
    public void Indexer_assignment_writes_through_to_the_base()
    {
        var x = Torch.Zeros(3, 3);
        x[1] = Torch.Tensor(new float[] { 1, 2, 3 });
        x[.., 0] = Torch.Scalar(9);
        Assert.Equal(new float[] { 9, 0, 0, 9, 2, 3, 9, 0, 0 }, x.ToArray<float>());
        Assert.Equal(new long[] { 1, 3, 1, 3 }, x[TensorIndex.None, .., TensorIndex.None, ..].Shape);
        Assert.Equal(new long[] { 3 }, x[TensorIndex.Ellipsis, 1].Shape);
        Assert.Equal(3f, x[^2, ^1].Item<float>());
    }

    [Fact]
    public void Split_chunk_cat_round_trip()
    {
        var x = Torch.Arange(10.0).Reshape(2, 5);
        var parts = x.Split(2, 1);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 2, 1 }, parts[2].Shape);
        Assert.True(Torch.Cat(parts, 1).Equal(x));
        Assert.Equal(2, x.Chunk(2, 1).Length);
        Assert.True(Torch.Cat(x.Split([1L, 4L], 1), 1).Equal(x));
    }

    [Fact]
    public void Dtype_conversion_truncates_like_pytorch()
    {
        var x = Torch.Tensor(new float[] { -1.7f, 0.2f, 2.9f });
        Assert.Equal(new long[] { -1, 0, 2 }, x.To(DType.Int64).ToArray<long>());
        Assert.Equal(new bool[] { true, true, true }, x.ToArray<bool>());
        Assert.Equal(DType.Float64, x.Double().DType);
        Assert.Same(x, x.To(DType.Float32));
    }

    [Fact]
    public void Item_and_ToArray()
    {
        Assert.Equal(3.5f, Torch.Scalar(3.5).Item<float>());
        Assert.Equal(7L, Torch.Full([1, 1], 7L).Item<long>());
        Assert.True(Torch.Full([], true).Item<bool>());
        Assert.Equal(new int[] { 0, 1, 2 }, Torch.Arange(3).ToArray<int>());
    }

    [Theory]
    [InlineData("cpu", DeviceType.Cpu, null)]
    [InlineData("cuda", DeviceType.Cuda, null)]
    [InlineData("cuda:1", DeviceType.Cuda, 1)]
    [InlineData("mps", DeviceType.Mps, null)]
    public void Device_strings_parse_like_torch_device(string s, DeviceType type, int? index)
    {
        var d = Device.Parse(s);
        Assert.Equal(type, d.Type);
        Assert.Equal(index, d.Index);
        Assert.Equal(s, d.ToString());
    }

    [Fact]
    public void Tensors_live_on_the_cpu_and_moving_there_is_free()
    {
        var x = Torch.Ones(2);
        Assert.Equal(Device.Cpu, x.Device);
        Assert.Same(x, x.To("cpu"));
    }

    [Fact]
    public void Type_promotion_follows_result_type()
    {
        Assert.Equal(DType.Int32, (Torch.Ones([2], DType.Int32) + 2).DType);
        Assert.Equal(DType.Float32, (Torch.Ones([2], DType.Int32) + 2.5).DType);
        Assert.Equal(DType.Float32, (Torch.Ones([2]) + Torch.Scalar(1, DType.Float64)).DType);
        Assert.Equal(DType.Float64, (Torch.Ones([2]) + Torch.Ones([2], DType.Float64)).DType);
        Assert.Equal(DType.Int64, (Torch.Ones([2], DType.Bool) + 1).DType);
        Assert.Equal(DType.Float32, (Torch.Arange(3) / 2).DType);
        Assert.Equal(DType.Bool, Torch.Ones(2).Gt(0.0).DType);
    }
}

public class MemoryStatsTests
{
    [Fact]
    public void Allocations_are_counted_in_bytes()
    {
        var before = Torch.Memory.GetStats();
        _ = Torch.Zeros([1000], DType.Float64);
        var after = Torch.Memory.GetStats();
        Assert.True(after.TensorBytesAllocated - before.TensorBytesAllocated >= 8000);
        Assert.True(after.TensorAllocations > before.TensorAllocations);
        Assert.True(after.PeakWorkingSetBytes > 0);
    }

    [Fact]
    public void Peak_live_tensor_memory_tracks_large_buffers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Torch.Memory.ResetPeak();
        long start = Torch.Memory.PeakLiveTensorBytes;
        var big = Torch.Zeros([1 << 20]);
        // Other tests free memory concurrently, so compare with what is live now rather than with the start.
        Assert.True(Torch.Memory.LiveTensorBytes >= 4L << 20);
        Assert.True(Torch.Memory.PeakLiveTensorBytes >= Torch.Memory.LiveTensorBytes);
        GC.KeepAlive(big);
    }
}
