using Ignis.Backends;

namespace Ignis;

public static partial class Torch
{
    /// <summary>CUDA queries (<c>torch.cuda</c>).</summary>
    public static class Cuda
    {
        /// <summary>True when a CUDA backend is registered and reports a usable GPU (<c>torch.cuda.is_available()</c>).</summary>
        public static bool IsAvailable() => BackendRegistry.TryGet(DeviceType.Cuda) is { IsAvailable: true };

        /// <summary>Number of usable CUDA devices (0 without a backend).</summary>
        public static int DeviceCount() => IsAvailable() ? 1 : 0;
    }
}
