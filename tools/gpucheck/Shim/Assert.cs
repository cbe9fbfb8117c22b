// The shared fixture code (tests/Ignis.Tests/Fixture.cs) asserts with xunit; gpucheck is not a test host, so the
// assertions and the exception it uses raise ConformanceFailure instead.
namespace Xunit
{
    static class Assert
    {
        public static void True(bool condition, string message)
        {
            if (!condition) throw new Ignis.GpuCheck.ConformanceFailure(message);
        }

        public static void Null(object? value)
        {
            if (value is not null) throw new Ignis.GpuCheck.ConformanceFailure($"expected no value, got {value}");
        }
    }
}

namespace Xunit.Sdk
{
    sealed class XunitException(string message) : Ignis.GpuCheck.ConformanceFailure(message);
}
