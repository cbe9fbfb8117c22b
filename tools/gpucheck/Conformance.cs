using System.Diagnostics;
using System.Text.Json;
using Ignis.Tests;

namespace Ignis.GpuCheck;

/// <summary>A fixture case that did not match PyTorch (what the shared fixture code's assertions raise here).</summary>
class ConformanceFailure(string message) : Exception(message);

/// <summary>
/// The per-device conformance suite: every case of the op and nn fixtures (values written by PyTorch 1.13), its forward
/// result and its gradients computed with the inputs on the device and compared with PyTorch's, with the tolerances
/// the test projects use. Seeded cases (dropout) draw the CPU's random numbers, as the device test suites do.
/// </summary>
static class Conformance
{
    /// <summary>Failures printed per suite; the rest are counted (and written in full with <c>--log</c>).</summary>
    const int ShownFailures = 25;

    /// <summary>One suite's outcome.</summary>
    public sealed record Result(string Suite, int Cases, int Passed, IReadOnlyList<string> Failures, double Seconds);

    public static IReadOnlyList<Result> Run(Device device, Func<IDisposable>? cpuNumbers, TextWriter log)
    {
        Fixture.DeviceUnderTest = device;
        Fixture.CpuRandomNumbers = cpuNumbers;
        return
        [
            Suite("ops", name => OpCases.All[name], _ => null, _ => true, log),
            Suite("nn", name => NnCases.All[name], name => NnCases.Seeds.TryGetValue(name, out var s) ? s : null,
                name => !NnCases.UncheckedGradFn.Contains(name), log),
        ];
    }

    static Result Suite(string file, Func<string, Func<Tensor[], Tensor>> op, Func<string, long?> seedOf, Func<string, bool> checkGradFn, TextWriter log)
    {
        var sw = Stopwatch.StartNew();
        var failures = new List<string>();
        int cases = 0, passed = 0;
        foreach (var c in Fixture.Cases(file).EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            cases++;
            try
            {
                Check(c, name, op(name), seedOf(name), checkGradFn(name));
                passed++;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                string line = $"{file}/{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
                failures.Add(line);
                // The console shows the first failures (a device session sees only its output's tail); --log has all.
                if (failures.Count <= ShownFailures) log.WriteLine("  FAIL " + line);
            }
        }
        return new Result(file, cases, passed, failures, sw.Elapsed.TotalSeconds);
    }

    static Tensor Forward(Func<Tensor[], Tensor> op, Tensor[] inputs, long? seed)
    {
        if (seed is not long s) return op(inputs);
        using var cpuNumbers = Fixture.CpuRandomNumbers?.Invoke();
        Torch.ManualSeed(s);
        return op(inputs);
    }

    static void Check(JsonElement c, string name, Func<Tensor[], Tensor> op, long? seed, bool checkGradFn)
    {
        var expected = Fixture.ToTensor(c.GetProperty("output"));
        var output = Forward(op, Fixture.Inputs(c, requiresGrad: false), seed);
        Fixture.AssertClose(expected, output, name, rtol: 1e-5, atol: expected.DType == DType.Float64 ? 1e-12 : 1e-5);
        if (!c.TryGetProperty("grads", out var grads)) return;
        var inputs = Fixture.Inputs(c, requiresGrad: true);
        var result = Forward(op, inputs, seed);
        if (checkGradFn && c.TryGetProperty("grad_fn", out var fn) && fn.GetString() != result.GradFn?.Name)
            throw new ConformanceFailure($"{name}: grad_fn {result.GradFn?.Name}, expected {fn.GetString()}");
        Fixture.AssertGradients(c, grads, inputs, result, name);
    }
}
