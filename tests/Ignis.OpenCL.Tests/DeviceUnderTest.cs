using System.Runtime.CompilerServices;
using Ignis.Tests;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Registers the OpenCL backend and points the shared fixture suites at opencl:0 before any test runs. CI (CI=true) and
/// IGNIS_REQUIRE_OPENCL=1 require a device: without one every test fails with the backend's reason. Elsewhere (the
/// README's test command on a machine without an OpenCL driver) the shared suites run on the CPU and the
/// OpenCL-specific tests are skipped, naming the reason.
/// </summary>
internal static class DeviceUnderTest
{
    internal static readonly Device Device = new(DeviceType.OpenCL, 0);

    internal static bool Required =>
        Environment.GetEnvironmentVariable("CI") == "true" || Environment.GetEnvironmentVariable("IGNIS_REQUIRE_OPENCL") == "1";

    internal static bool Available => Torch.OpenCL.IsAvailable();

#pragma warning disable CA2255 // a test assembly's one-time set-up
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        OpenCLBackend.Register();
        Fixture.DeviceUnderTest = Available || Required ? Device : Ignis.Device.Cpu;
        Fixture.CpuRandomNumbers = OpenCLBackend.HostSampling;
    }
}

/// <summary>A fact that needs an OpenCL device: skipped (with the reason) only where no device is required.</summary>
public sealed class OpenCLFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no device is present and none is required.</summary>
    public OpenCLFactAttribute()
    {
        if (!DeviceUnderTest.Available && !DeviceUnderTest.Required)
            Skip = $"no OpenCL device ({Torch.OpenCL.UnavailableReason()}); install one, e.g. `apt-get install pocl-opencl-icd`";
    }
}

/// <summary>A theory that needs an OpenCL device: skipped (with the reason) only where no device is required.</summary>
public sealed class OpenCLTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no device is present and none is required.</summary>
    public OpenCLTheoryAttribute()
    {
        if (!DeviceUnderTest.Available && !DeviceUnderTest.Required)
            Skip = $"no OpenCL device ({Torch.OpenCL.UnavailableReason()}); install one, e.g. `apt-get install pocl-opencl-icd`";
    }
}
