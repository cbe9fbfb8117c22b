using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ignis;
using Ignis.Nn;
using Ignis.Serialization;
using Xunit;

namespace Ignis.Tests;

/// <summary>
/// Checkpoints written by PyTorch 1.13 (<c>tools/fixtures/make_pth_fixtures.py</c>, zip and legacy formats) load with
/// identical structure, values, strides and storage sharing; hostile files raise <see cref="UnpicklingException"/>; and
/// files Ignis writes load in real PyTorch (<c>tools/fixtures/check_ignis_pth.py</c>) when it is installed.
/// </summary>
public class TorchCheckpointFixtureTests
{
    static readonly JsonElement Files = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth.json"))).RootElement.GetProperty("files");

    static string FilePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth", name);

    public static IEnumerable<object[]> Normal => Files.EnumerateObject().Where(f => !f.Value.TryGetProperty("hostile", out _)).Select(f => new object[] { f.Name });

    public static IEnumerable<object[]> Hostile => Files.EnumerateObject().Where(f => f.Value.TryGetProperty("hostile", out _)).Select(f => new object[] { f.Name });

    [Theory]
    [MemberData(nameof(Normal))]
    public void PyTorch_checkpoints_load_with_identical_structure_and_values(string name)
    {
        var loaded = Torch.Load(FilePath(name));
        var storages = new Dictionary<string, Ignis.Backends.Storage>();
        Compare(Files.GetProperty(name).GetProperty("value"), loaded, "$", storages);
    }

    static void Compare(JsonElement want, object? got, string at, Dictionary<string, Ignis.Backends.Storage> storages)
    {
        switch (want.ValueKind)
        {
            case JsonValueKind.Null: Assert.True(got is null, $"{at}: expected None, got {got}"); return;
            case JsonValueKind.True or JsonValueKind.False: Assert.True(got is bool b && b == want.GetBoolean(), $"{at}: expected {want}, got {got}"); return;
            case JsonValueKind.String: Assert.True(got is string s && s == want.GetString(), $"{at}: expected '{want}', got {got}"); return;
            case JsonValueKind.Number:
                if (want.TryGetInt64(out long l) && !want.GetRawText().Contains('.') && !want.GetRawText().Contains('e'))
                    Assert.True(got is long g && g == l, $"{at}: expected int {l}, got {got} ({got?.GetType().Name})");
                else Assert.True(got is double d && d == want.GetDouble(), $"{at}: expected float {want}, got {got}");
                return;
        }
        if (want.TryGetProperty("tensor", out var t)) { CompareTensor(t, got, at, storages); return; }
        if (want.TryGetProperty("list", out var list))
        {
            var items = Assert.IsType<List<object?>>(got);
            Assert.Equal(list.GetArrayLength(), items.Count);
            int i = 0;
            foreach (var w in list.EnumerateArray()) Compare(w, items[i], $"{at}[{i++}]", storages);
            return;
        }
        if (want.TryGetProperty("tuple", out var tuple))
        {
            var items = Assert.IsType<object?[]>(got);
            Assert.Equal(tuple.GetArrayLength(), items.Length);
            int i = 0;
            foreach (var w in tuple.EnumerateArray()) Compare(w, items[i], $"{at}({i++})", storages);
            return;
        }
        var pairs = want.GetProperty("dict").EnumerateArray().Select(p => (Key: p[0], Value: p[1])).ToList();
        var entries = got switch
        {
            OrderedDictionary<string, Tensor> sd => sd.Select(kv => ((object)kv.Key, (object?)kv.Value)).ToList(),
            OrderedDictionary<object, object?> d => d.Select(kv => (kv.Key, kv.Value)).ToList(),
            _ => throw new Xunit.Sdk.XunitException($"{at}: expected a dict, got {got?.GetType().Name}"),
        };
        Assert.Equal(pairs.Count, entries.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            object key = pairs[i].Key.ValueKind == JsonValueKind.Number ? pairs[i].Key.GetInt64() : pairs[i].Key.GetString()!;
            Assert.Equal(key, entries[i].Item1);
            Compare(pairs[i].Value, entries[i].Item2, $"{at}[{key}]", storages);
        }
    }

    static void CompareTensor(JsonElement t, object? got, string at, Dictionary<string, Ignis.Backends.Storage> storages)
    {
        var x = Assert.IsAssignableFrom<Tensor>(got);
        Assert.Equal(DTypeInfo.Parse(t.GetProperty("dtype").GetString()!), x.DType);
        Assert.Equal(t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()), x.Shape);
        Assert.Equal(t.GetProperty("stride").EnumerateArray().Select(v => v.GetInt64()), x.Strides);
        Assert.Equal(t.GetProperty("storage_offset").GetInt64(), x.StorageOffset);
        Assert.Equal(t.GetProperty("requires_grad").GetBoolean(), x.RequiresGrad);
        Assert.Equal(t.GetProperty("parameter").GetBoolean(), x is Parameter);
        var want = t.GetProperty("data").EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity },
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            _ => v.GetDouble(),
        }).ToArray();
        var have = x.DType == DType.Int64 ? x.ToArray<long>().Select(v => (double)v).ToArray() : x.To(DType.Float64).ToArray<double>();
        Assert.Equal(want.Length, have.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(double.IsNaN(want[i]) ? double.IsNaN(have[i]) : want[i] == have[i], $"{at}: element {i} is {have[i]}, expected {want[i]}");
        if (t.TryGetProperty("storage_key", out var key) && key.GetString() is string k)
        {
            // Tensors saved over one storage must share one storage again.
            if (storages.TryGetValue(k, out var s)) Assert.Same(s, x.Storage);
            else
            {
                Assert.DoesNotContain(x.Storage, storages.Values);
                storages[k] = x.Storage;
            }
        }
    }

    [Theory]
    [InlineData("evil_os_system.pth", "os.system")]
    [InlineData("evil_eval.pth", "builtins.eval")]
    [InlineData("evil_build.pth", "BUILD")]
    [InlineData("evil_memo.pth", "memo index")]
    [InlineData("evil_deep.pth", "nest deeper")]
    [InlineData("evil_zip_claims_100gb.pth", "100000000000")]
    [InlineData("evil_crc.pth", "CRC-32")]
    [InlineData("evil_short_storage.pth", "reaches element")]
    [InlineData("evil_negative_stride.pth", "negative")]
    public void Hostile_checkpoints_raise_typed_errors_and_run_nothing(string name, string reason)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<UnpicklingException>(() => Torch.Load(FilePath(name)));
        Assert.Contains(reason, e.Message);
        Assert.EndsWith(name, e.FilePath);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20, "a hostile file made the loader allocate what it claims");
    }

    [Fact]
    public void Every_hostile_fixture_has_a_test()
    {
        var tested = typeof(TorchCheckpointFixtureTests).GetMethod(nameof(Hostile_checkpoints_raise_typed_errors_and_run_nothing))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>().Select(a => (string)a.GetData(null!).First()[0]);
        Assert.Equal(Hostile.Select(h => (string)h[0]).Order(), tested.Order());
    }

    // ---------- Ignis → PyTorch ----------

    static string? Python()
    {
        if (!File.Exists("/usr/bin/python3")) return "no /usr/bin/python3";
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import torch"]) { RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0 ? null : "/usr/bin/python3 has no torch (apt-get install python3-torch)";
    }

    static JsonNode? Encode(object? o) => o switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d => Float(d),
        string s => JsonValue.Create(s),
        Tensor t => new JsonObject
        {
            ["tensor"] = new JsonObject
            {
                ["dtype"] = t.DType.TorchName()[6..],
                ["shape"] = new JsonArray(t.Shape.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["stride"] = new JsonArray(t.Strides.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["storage_offset"] = t.StorageOffset,
                ["requires_grad"] = t.RequiresGrad,
                ["parameter"] = t is Parameter,
                ["data"] = t.DType == DType.Bool ? new JsonArray(t.ToArray<bool>().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())
                    : t.DType.IsFloatingPoint() ? new JsonArray(t.To(DType.Float64).ToArray<double>().Select(v => (JsonNode?)(double.IsNaN(v) ? JsonValue.Create("nan") : JsonValue.Create(v))).ToArray())
                    : new JsonArray(t.To(DType.Int64).ToArray<long>().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            },
        },
        OrderedDictionary<string, Tensor> sd => new JsonObject { ["dict"] = new JsonArray(sd.Select(kv => (JsonNode?)new JsonArray(kv.Key, Encode(kv.Value))).ToArray()) },
        OrderedDictionary<object, object?> d => new JsonObject { ["dict"] = new JsonArray(d.Select(kv => (JsonNode?)new JsonArray(Encode(kv.Key), Encode(kv.Value))).ToArray()) },
        List<object?> l => new JsonObject { ["list"] = new JsonArray(l.Select(Encode).ToArray()) },
        object?[] a => new JsonObject { ["tuple"] = new JsonArray(a.Select(Encode).ToArray()) },
        _ => throw new ArgumentException(o.GetType().Name),
    };

    /// <summary>A JSON number that stays a float for the checker (0.0, not 0).</summary>
    static JsonNode Float(double d)
    {
        var s = d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return JsonNode.Parse(s.Contains('.') || s.Contains('E') ? s : s + ".0")!;
    }

    [SkippableFact]
    public void Files_written_by_Ignis_load_in_PyTorch_with_the_same_values()
    {
        string? missing = Python();
        Skip.If(missing is not null, missing);
        Torch.ManualSeed(0);
        var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Flatten(), new Linear(8, 3));
        var b = Torch.Arange(12.0).Reshape(3, 4).Float();
        var checkpoint = new OrderedDictionary<object, object?>
        {
            ["state_dict"] = model.StateDict(), ["t"] = b.T, ["row"] = b[1], ["f16"] = b.To(DType.Float16), ["bf16"] = b.To(DType.BFloat16),
            ["i8"] = Torch.Tensor(new sbyte[] { -3, 4 }), ["mask"] = Torch.Tensor([true, false]), ["epoch"] = 3L, ["name"] = "run",
            ["list"] = new List<object?> { 1L, "x", null }, ["shape"] = new object?[] { 2L, 3L },
        };
        var opt = new Ignis.Optim.Adam(model.Parameters(), lr: 0.01);
        opt.ZeroGrad();
        model.Forward(Torch.Randn(2, 1, 4, 4)).Sum().Backward();
        opt.Step();
        var dir = Directory.CreateTempSubdirectory().FullName;
        foreach (var (file, value) in new (string, object?)[] { ("state.pth", model.StateDict()), ("checkpoint.pth", checkpoint), ("optimizer.pth", opt.StateDict()) })
        {
            var path = Path.Combine(dir, file);
            Torch.Save(value, path);
            var expected = Path.Combine(dir, file + ".json");
            File.WriteAllText(expected, Encode(Torch.Load(path))!.ToJsonString());
            var script = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tools", "fixtures", "check_ignis_pth.py");
            using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, path, expected]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"{file}: {output}");
            Assert.Contains("OK", output);
        }
    }
}
