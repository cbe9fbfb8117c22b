using System.IO.Compression;
using System.Text.Json;
using Ignis.Nn;

namespace Ignis.Vision.Tests;

/// <summary>
/// Reads tools/fixtures/make_zoo_fixtures.py's output and mirrors its weight and input formulas, so both sides run the
/// same model on the same numbers without committing any weights.
/// </summary>
internal static class ZooFixture
{
    static readonly Lazy<JsonElement> Root = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "zoo.json.gz");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return JsonDocument.Parse(gz).RootElement.Clone();
    });

    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
        Root.Value.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c));

    public static JsonElement Case(string name) => Cases.Value[name];

    /// <summary>The torchvision.ops cases ("stochastic_depth_row", "squeeze_excitation", ...).</summary>
    public static JsonElement Op(string name) => Root.Value.GetProperty("ops").GetProperty(name);

    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();

    public static IEnumerable<string> Names => Cases.Value.Keys;

    /// <summary>formula_(model): sin of the element index per state-dict entry k, scaled by the entry's role.</summary>
    public static void ApplyFormula(Module model)
    {
        var sd = model.StateDict();
        var values = new OrderedDictionary<string, Tensor>();
        int k = 0;
        foreach (var (name, t) in sd)
        {
            if (!t.DType.IsFloatingPoint()) { values[name] = t; k++; continue; }
            long n = t.Numel;
            var b = Torch.Arange(n, DType.Float64).Mul(0.618034).Add(k * 1.37 + 0.3).Sin();
            Tensor v;
            if (name.EndsWith("running_var", StringComparison.Ordinal)) v = b.Add(1.0).Mul(0.25).Add(1.0);
            else if (name.EndsWith("running_mean", StringComparison.Ordinal)) v = b.Mul(0.1);
            else if (t.Dim >= 2) v = b.Mul(Math.Sqrt(3.0 / (n / t.Shape[0])));
            else if (name.EndsWith("weight", StringComparison.Ordinal)) v = b.Mul(0.1).Add(1.0);
            else v = b.Mul(0.05);
            values[name] = v.Reshape(t.Shape).To(t.DType);
            k++;
        }
        model.LoadStateDict(values);
    }

    /// <summary>formula_input(shape).</summary>
    public static Tensor Input(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return Torch.Arange(n, DType.Float64).Mul(0.37).Add(0.5).Sin().Reshape(shape).Float();
    }

    /// <summary>summary(t): sum, max |x|, and the elements at 0, n/3, 2n/3 and n−1.</summary>
    public static double[] Summary(Tensor t)
    {
        var f = t.Detach().Double().Reshape(-1).ToArray<double>();
        long n = f.Length;
        return [f.Sum(), f.Max(Math.Abs), f[0], f[n / 3], f[2 * n / 3], f[n - 1]];
    }

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
}
