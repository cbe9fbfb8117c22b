using System.Runtime.CompilerServices;

namespace Ignis.Backends.Cpu;

/// <summary>Registers the CPU backend when the assembly loads, so the core reaches it only through the registry.</summary>
internal static class CpuRegistration
{
    // A module initializer keeps the dependency one-way: the registry never names the CPU backend, and the CPU
    // device is usable before any other code of the library runs.
#pragma warning disable CA2255 // intentional: the library's own built-in backend registers itself
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => BackendRegistry.Register(CpuBackend.Instance);
}
