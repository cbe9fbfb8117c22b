using System.Collections.Concurrent;

namespace Ignis.Gpu;

// Kernel lookup by a short program key, so a launch neither renders nor hashes its program's text.
internal sealed partial class GpuBackend
{
    readonly ConcurrentDictionary<(GpuDevice Device, string Program, string Name), nint> kernels = new();

    /// <summary>
    /// The kernel <paramref name="name"/> of the program <paramref name="render"/> renders, built once per device and
    /// found afterwards by <paramref name="program"/>: a short key naming the template and every argument its text
    /// depends on (the device's own properties, such as float64 support, are covered by the device in the key).
    /// Rendering a 6–11 KB program and hashing it for the device's lookup cost ~4 µs per launch (Zen 5) — more than
    /// <c>cuLaunchKernel</c> itself.
    /// </summary>
    nint Kernel(GpuDevice device, string program, string name, Func<string> render) =>
        kernels.TryGetValue((device, program, name), out var kernel) ? kernel
            : kernels.GetOrAdd((device, program, name), key => key.Device.Kernel(render(), key.Name));
}
