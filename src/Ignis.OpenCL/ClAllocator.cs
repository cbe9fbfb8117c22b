using Ignis.Backends;
using Ignis.Gpu;
using Ignis.OpenCL.Native;

namespace Ignis.OpenCL;

/// <summary>
/// The OpenCL caching allocator: size buckets over <c>clCreateBuffer</c> blocks (kind 0 for every dtype: a kernel
/// reads any buffer as its dtype), so a training step reuses the previous step's buffers instead of calling the driver.
/// </summary>
internal sealed unsafe class ClAllocator(ClDevice device) : CachingAllocator<GpuBuffer>($"opencl:{device.Index}")
{
    protected override GpuBuffer? TryCreate(int kind, long bytes)
    {
        if (bytes > device.MaxAlloc)
            throw new DeviceOutOfMemoryException(
                $"opencl:{device.Index}: a buffer of {bytes} bytes is above the device's largest allocation ({device.MaxAlloc} bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE).");
        int err;
        nint mem = ClApi.CreateBuffer(device.Context, ClApi.CL_MEM_READ_WRITE, (nuint)bytes, null, &err);
        if (err is -4 or -5 or -6) return null; // allocation failure, out of resources, out of host memory: the base collects and retries
        ClApi.Check(err, "clCreateBuffer");
        return new GpuBuffer(mem, bytes);
    }

    protected override void Destroy(GpuBuffer block, int kind, long bytes) => ClApi.ReleaseMemObject(block.Mem);
}
