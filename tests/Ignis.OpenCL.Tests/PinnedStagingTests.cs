using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Transfers through the pinned staging buffer (on for GPUs; forced on here, since PoCL is a CPU device): uploads and
/// downloads larger than the buffer go in chunks, offsets are kept, and the bytes arrive unchanged.
/// </summary>
[Collection("opencl serial")]
public class PinnedStagingTests
{
    static readonly Device Cl = DeviceUnderTest.Device;

    [OpenCLFact]
    public void Staged_transfers_round_trip_in_chunks()
    {
        var device = OpenCLBackend.DeviceOf(Cl);
        bool saved = device.UsePinnedStaging;
        device.UsePinnedStaging = true;
        try
        {
            long before = device.StagedTransfers;
            Torch.ManualSeed(2);
            var big = Torch.Randn(5 << 20); // 20 MiB: two chunks of the 16 MiB buffer
            var onDevice = big.To(Cl);
            Assert.Equal(big.ToArray<float>(), onDevice.Cpu().ToArray<float>());
            // A slice at an offset, read back through the staging buffer, and a transfer too small to stage.
            var slice = onDevice.Narrow(0, 123_457, 70_000).Cpu();
            Assert.Equal(big.Narrow(0, 123_457, 70_000).ToArray<float>(), slice.ToArray<float>());
            var small = Torch.Arange(10).Float().To(Cl).Cpu();
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), small.ToArray<float>());
            Assert.Equal(before + 3, device.StagedTransfers);
        }
        finally { device.UsePinnedStaging = saved; }
    }
}
