using System.Text;
using Ignis;
using Ignis.Serialization;
using Xunit;

namespace Ignis.Tests;

/// <summary>safetensors in every dtype, its metadata, and every rule of the format enforced with a typed error.</summary>
public class SafeTensorsTests
{
    static string TempFile(string name = "t.safetensors") => Path.Combine(Directory.CreateTempSubdirectory().FullName, name);

    /// <summary>A file from a raw header and data section.</summary>
    static string Raw(string header, int dataBytes)
    {
        var path = TempFile();
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[dataBytes]]);
        return path;
    }

    static string Error(string path) => Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path)).Message;

    [Fact]
    public void Every_dtype_and_the_metadata_round_trip()
    {
        var path = TempFile();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f16"] = Torch.Tensor([0.5f, -2f, 65504f]).To(DType.Float16),
            ["bf16"] = Torch.Tensor([3.14159f, -1e10f]).To(DType.BFloat16),
            ["i8"] = Torch.Tensor(new sbyte[] { -128, 0, 127 }),
            ["i16"] = Torch.Tensor(new short[] { -32768, 1, 32767 }),
            ["u8"] = Torch.Tensor(new byte[] { 0, 255 }),
            ["bool"] = Torch.Tensor([true, false, true]),
            ["f32"] = Torch.Arange(6.0).Reshape(2, 3).Float(),
            ["f64"] = Torch.Tensor([1.5, double.NaN]),
            ["i32"] = Torch.Tensor(new[] { int.MinValue, 7 }),
            ["i64"] = Torch.Tensor([long.MaxValue, -1L]),
            ["empty"] = Torch.Zeros(0, 3),
        };
        SafeTensors.Save(tensors, path, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });
        var back = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys, back.Keys);
        foreach (var (k, v) in tensors)
        {
            Assert.Equal(v.DType, back[k].DType);
            Assert.Equal(v.Shape, back[k].Shape);
            Assert.Equal(v.To(DType.Float64).ToArray<double>(), back[k].To(DType.Float64).ToArray<double>());
        }
        Assert.Equal("ünïcode", SafeTensors.LoadMetadata(path)["note"]);
    }

    [Fact]
    public void A_pytorch_checkpoint_is_named_as_such()
    {
        var path = TempFile("model.pth");
        File.WriteAllBytes(path, [(byte)'P', (byte)'K', 3, 4, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        var m = Error(path);
        Assert.Contains("not a safetensors file", m);
        Assert.Contains("zip archive", m);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("not a safetensors file", Error(path));
    }

    [Fact]
    public void An_invalid_utf8_key_is_a_typed_error()
    {
        var path = TempFile();
        File.WriteAllBytes(path, Convert.FromHexString("08000000000000007B22FF223A7B7D7D"));
        Assert.Contains("UTF-8", Error(path));
    }

    [Fact]
    public void Overlapping_offsets_are_rejected_before_anything_is_allocated()
    {
        // 200 entries aliasing one 1 MB block: a 1 MB file that would otherwise materialise 200 MB.
        var entries = Enumerable.Range(0, 200).Select(i => $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[262144],\"data_offsets\":[0,1048576]}}");
        var path = Raw("{" + string.Join(",", entries) + "}", 1 << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("overlap", Error(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8L << 20, "the reader allocated for data it rejected");
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "trailing")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "duplicate key")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4611686018427387904],\"data_offsets\":[0,0]}}", 0, "more elements")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8, "expected 16")]
    [InlineData("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "unsupported dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "negative dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"__metadata__\":{\"k\":1}}", 4, "not a string")]
    [InlineData("{\"a\":[1,2]}", 0, "not a JSON object")]
    [InlineData("[1,2]", 0, "does not start with")]
    [InlineData("{{{", 0, "not valid JSON")]
    public void Each_rule_of_the_format_has_a_typed_error(string header, int dataBytes, string expected) =>
        Assert.Contains(expected, Error(Raw(header, dataBytes)));

    [Fact]
    public void Mutated_files_give_typed_errors_only()
    {
        var path = TempFile();
        SafeTensors.Save(new Dictionary<string, Tensor> { ["w"] = Torch.Arange(12.0).Reshape(3, 4), ["b"] = Torch.Tensor([true, false]) }, path);
        Mutations.Check<SafeTensorsFormatException>(File.ReadAllBytes(path), path, 1500, 20261130, p => SafeTensors.Load(p), slack: 1 << 20, perByte: 16);
    }

    [Fact]
    public void Saving_removes_temporary_files_of_killed_writers_only()
    {
        var path = TempFile("m.safetensors");
        var dir = Path.GetDirectoryName(path)!;
        var stale = Path.Combine(dir, $".m.safetensors.ignis-tmp-{int.MaxValue - 7}-0123");
        var ours = Path.Combine(dir, $".m.safetensors.ignis-tmp-{Environment.ProcessId}-4567");
        File.WriteAllBytes(stale, new byte[100]);
        File.WriteAllBytes(ours, new byte[100]);
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = Torch.Ones(2) }, path);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(ours)); // a writer of this process may still be using it
        Assert.Equal([1f, 1f], SafeTensors.Load(path)["x"].ToArray<float>());
    }
}
