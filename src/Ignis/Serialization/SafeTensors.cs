using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Ignis.Serialization;

/// <summary>A safetensors file that is malformed; names the file and the problem.</summary>
public sealed class SafeTensorsFormatException(string path, string message, Exception? inner = null) : IOException($"{path}: {message}", inner)
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header of name → dtype/shape/data_offsets, raw
/// little-endian data): no code runs on load. Writes are atomic (temporary file, then rename).
/// </summary>
public static class SafeTensors
{
    const long MaxHeader = 100_000_000;

    static string Code(DType d) => d.Facts().SafeTensorsCode;

    /// <summary>Writes <paramref name="tensors"/> (e.g. a module's state dict) to <paramref name="path"/> atomically.</summary>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.Select(kv => (kv.Key, Tensor: kv.Value.Detach().Cpu().Contiguous())).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is not null) header["__metadata__"] = metadata;
        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (name, t) in items)
        {
            var bytes = Bytes(t);
            header[name] = new Dictionary<string, object> { ["dtype"] = Code(t.DType), ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + bytes.Length } };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header, SafeTensorsJson.Default.DictionaryStringObject);
        int pad = (8 - json.Length % 8) % 8;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
                f.Write(len);
                f.Write(json);
                for (int i = 0; i < pad; i++) f.WriteByte((byte)' ');
                foreach (var b in blobs) f.Write(b);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    static byte[] Bytes(Tensor t) => HostArrays.ToBytes(t.Backend.ToHost(t), t.DType);

    /// <summary>Reads every tensor of <paramref name="path"/>; malformed files raise <see cref="SafeTensorsFormatException"/>.</summary>
    public static OrderedDictionary<string, Tensor> Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new SafeTensorsFormatException(path, $"file is {bytes.Length} bytes; a safetensors file starts with an 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || (long)n > bytes.Length - 8) throw new SafeTensorsFormatException(path, $"header length {n} exceeds the file ({bytes.Length} bytes)");
        JsonElement root;
        try { root = JsonDocument.Parse(bytes.AsMemory(8, (int)n)).RootElement; }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, $"header is not valid JSON ({e.Message})", e); }
        if (root.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException(path, "header is not a JSON object");
        long dataStart = 8 + (long)n, dataLen = bytes.Length - dataStart;
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            try
            {
                var dt = DTypeInfo.FromSafeTensorsCode(p.Value.GetProperty("dtype").GetString() ?? "") ?? throw new SafeTensorsFormatException(path, $"{p.Name}: unsupported dtype {p.Value.GetProperty("dtype")}");
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                if (shape.Any(s => s < 0)) throw new SafeTensorsFormatException(path, $"{p.Name}: negative dimension in shape [{string.Join(", ", shape)}]");
                long count = 1;
                foreach (var s in shape) count = checked(count * s);
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLen)
                    throw new SafeTensorsFormatException(path, $"{p.Name}: data_offsets [{string.Join(", ", offs)}] fall outside the {dataLen} data bytes");
                if (offs[1] - offs[0] != checked(count * dt.ElementSize()))
                    throw new SafeTensorsFormatException(path, $"{p.Name}: {offs[1] - offs[0]} bytes for shape [{string.Join(", ", shape)}] of {Code(dt)} (expected {count * dt.ElementSize()})");
                var span = bytes.AsSpan((int)(dataStart + offs[0]), (int)(offs[1] - offs[0]));
                result[p.Name] = Torch.FromHostArray(HostArrays.FromBytes(span, dt), dt, shape);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
            {
                throw new SafeTensorsFormatException(path, $"{p.Name}: malformed entry ({e.Message})", e);
            }
        }
        return result;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class SafeTensorsJson : System.Text.Json.Serialization.JsonSerializerContext;
