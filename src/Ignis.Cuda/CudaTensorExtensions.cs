using Ignis.Gpu;

namespace Ignis.Cuda;

/// <summary>CUDA-specific members of <see cref="Tensor"/>.</summary>
public static class CudaTensorExtensions
{
    /// <summary>
    /// Marks <paramref name="tensor"/>'s memory as used by work on <paramref name="stream"/> (<c>Tensor.record_stream</c>):
    /// memory returns to the allocator for reuse by the stream it was allocated on, so without this, memory of a tensor
    /// freed while another stream's kernels still read it could be handed to a new tensor and overwritten. Marked, it is
    /// reused only after the work issued on <paramref name="stream"/> up to the tensor's release is done.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not on the stream's device.</exception>
    public static void RecordStream(this Tensor tensor, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        RecordStorage(tensor.Storage, stream);
    }

    internal static void RecordStorage(Backends.Storage storage, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (storage is not GpuStorage gpu || gpu.Owner != stream.Owner)
            throw new ArgumentException($"record_stream: the tensor is on {storage.Device} and the stream on {stream.Device}; a tensor can only be recorded on a stream of its own device.", "tensor");
        stream.Owner.RecordStream(gpu.Mem, stream.Handle);
        GC.KeepAlive(gpu);
    }
}
