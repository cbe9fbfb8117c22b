using System.Runtime.CompilerServices;
using Ignis.Tests;

namespace Ignis.OpenCL.Tests;

/// <summary>Registers the OpenCL backend and points the shared fixture suites at opencl:0 before any test runs.</summary>
internal static class DeviceUnderTest
{
    internal static readonly Device Device = new(DeviceType.OpenCL, 0);

#pragma warning disable CA2255 // a test assembly's one-time set-up
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        OpenCLBackend.Register();
        Fixture.DeviceUnderTest = Device;
    }
}
