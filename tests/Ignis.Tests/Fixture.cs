using System.Text.Json;
using Ignis;
using Xunit;

namespace Ignis.Tests;

/// <summary>Loads the PyTorch reference files written by tools/fixtures/make_fixtures.py.</summary>
internal static class Fixture
{
    static readonly Dictionary<string, JsonElement> Cache = new();

    /// <summary>
    /// The device the fixture suites run on: inputs are created there, outputs and gradients are compared on the
    /// host. The CPU here; another test assembly (the checking backend, a GPU suite) sets its own device first.
    /// </summary>
    public static Device DeviceUnderTest { get; set; } = Device.Cpu;

    /// <summary>
    /// Opens a scope in which random fills on <see cref="DeviceUnderTest"/> draw PyTorch's CPU numbers (seeded cases
    /// compare exact dropout masks); set by device test assemblies whose backend samples on the device by default.
    /// </summary>
    public static Func<IDisposable>? CpuRandomNumbers { get; set; }

    /// <summary>A tensor built on the host, moved to <see cref="DeviceUnderTest"/> (constants inside test cases).</summary>
    public static Tensor OnDevice(Tensor t) => t.To(DeviceUnderTest);

    static string ShapeStr(long[] s) => "[" + string.Join(", ", s) + "]";

    public static JsonElement Cases(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var e))
            {
                var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", file + ".json");
                e = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("cases");
                Cache[file] = e;
            }
            return e;
        }
    }

    public static JsonElement Case(string file, string name) =>
        Cases(file).EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<object[]> Names(string file) =>
        Cases(file).EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    static double Num(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity },
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        _ => v.GetDouble(),
    };

    public static DType ParseDType(string s) => s switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        "int32" => DType.Int32,
        "uint8" => DType.UInt8,
        _ => DType.Bool,
    };

    public static Tensor ToTensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var dtype = ParseDType(e.GetProperty("dtype").GetString()!);
        var data = e.GetProperty("data").EnumerateArray().ToArray();
        return OnDevice(dtype.Kind switch
        {
            ScalarType.Float32 => Torch.From(data.Select(v => (float)Num(v)).ToArray(), shape),
            ScalarType.Float64 => Torch.From(data.Select(Num).ToArray(), shape),
            ScalarType.Int64 => Torch.From(data.Select(v => v.GetInt64()).ToArray(), shape),
            ScalarType.Int32 => Torch.From(data.Select(v => v.GetInt32()).ToArray(), shape),
            ScalarType.UInt8 => Torch.From(data.Select(v => v.GetByte()).ToArray(), shape),
            _ => Torch.From(data.Select(v => v.GetBoolean()).ToArray(), shape),
        });
    }

    /// <summary>A case's "inputs", optionally cast (floating ones) and marked as requiring gradients.</summary>
    public static Tensor[] Inputs(JsonElement c, bool requiresGrad, DType? cast = null) =>
        c.GetProperty("inputs").EnumerateArray().Select(e =>
        {
            var t = ToTensor(e);
            if (cast is DType d && t.DType.IsFloatingPoint()) t = t.To(d);
            if (requiresGrad && t.DType.IsFloatingPoint()) t.RequiresGrad = true;
            return t;
        }).ToArray();

    /// <summary>Back-propagates the case's grad_output through <paramref name="output"/> and compares each input's gradient (null where PyTorch had none).</summary>
    public static void AssertGradients(JsonElement c, JsonElement grads, Tensor[] inputs, Tensor output, string name)
    {
        output.Backward(ToTensor(c.GetProperty("grad_output")));
        int i = 0;
        foreach (var g in grads.EnumerateArray())
        {
            if (g.ValueKind == JsonValueKind.Null) Assert.Null(inputs[i].Grad);
            else AssertClose(ToTensor(g), inputs[i].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: input {i} has no gradient"), $"{name} grad[{i}]", 1e-5, 1e-5);
            i++;
        }
    }

    /// <summary>Asserts same shape, dtype and values: exact for integers/bool, rtol/atol for floats (NaN equals NaN).</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string context, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{context}: shape {ShapeStr(actual.Shape)} != expected {ShapeStr(expected.Shape)}");
        Assert.True(actual.Device == expected.Device, $"{context}: result on {actual.Device}, expected on {expected.Device}");
        Assert.True(expected.DType == actual.DType, $"{context}: dtype {actual.DType} != expected {expected.DType}");
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i])
                : double.IsInfinity(e[i]) ? e[i] == a[i]
                : Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]);
            Assert.True(ok, $"{context}: element {i} is {a[i]:R}, expected {e[i]:R}");
        }
    }
}
