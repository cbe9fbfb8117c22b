using Ignis.Serialization;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// <c>SafeTensors.Load(path, device)</c> onto a GPU device: the file is memory-mapped and each tensor goes from the
/// mapping to the device, so loading allocates far less managed memory than the file holds, with the same values,
/// dtypes and shapes as loading onto the CPU.
/// </summary>
[Collection("opencl serial")]
public class MappedSafeTensorsTests
{
    [OpenCLFact]
    public void A_file_loads_onto_the_device_from_its_mapping_without_a_managed_copy()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ignis-mapped-{Guid.NewGuid():N}.safetensors");
        try
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["big"] = Torch.Randn([4, 1024, 1024]), // 16 MiB
                ["ints"] = Torch.Arange(0, 10, dtype: DType.Int64).Reshape(2, 5),
                ["mask"] = Torch.Tensor([1f, 0f, 3f]).Gt(0.5),
                ["half"] = Torch.Tensor([0.5f, -2f, 65504f]).To(DType.Float16),
                ["scalar"] = Torch.Tensor([7f]).Reshape(),
            };
            SafeTensors.Save(tensors, path);
            var onCpu = SafeTensors.Load(path);
            SafeTensors.Load(path, DeviceUnderTest.Device); // warm-up: kernels, JIT
            long before = GC.GetAllocatedBytesForCurrentThread();
            var onDevice = SafeTensors.Load(path, DeviceUnderTest.Device);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1 << 20, $"loading a {new FileInfo(path).Length}-byte file onto the device allocated {allocated} managed bytes");
            Assert.Equal(onCpu.Keys, onDevice.Keys);
            foreach (var (name, expected) in onCpu)
            {
                var actual = onDevice[name];
                Assert.Equal(DeviceUnderTest.Device, actual.Device);
                Assert.Equal(expected.DType, actual.DType);
                Assert.Equal(expected.Shape, actual.Shape);
                Assert.True(expected.Equal(actual.Cpu()), $"{name} differs");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
