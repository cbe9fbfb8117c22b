using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Ignis.Backends;
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
        AtomicFile.Write(path, f =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
            f.Write(len);
            f.Write(json);
            for (int i = 0; i < pad; i++) f.WriteByte((byte)' ');
            foreach (var b in blobs) f.Write(b);
        });
    }

    static byte[] Bytes(Tensor t) => HostArrays.ToBytes(t.Backend.ToHost(t), t.DType);

    /// <summary>
    /// Reads every tensor of <paramref name="path"/> in header order. Malformed files raise
    /// <see cref="SafeTensorsFormatException"/>: the whole header is validated against the format's rules (UTF-8 JSON
    /// object, no duplicate keys, known dtypes, sizes that match shapes, data offsets that tile the data section exactly —
    /// no overlap, gap or trailing byte) before anything is allocated, and tensors are read straight from the file into
    /// their arrays, so memory never exceeds what the file holds.
    /// </summary>
    public static OrderedDictionary<string, Tensor> Load(string path) => Read(path, out _);

    /// <summary>
    /// Reads every tensor of a safetensors file onto <paramref name="device"/> (<c>safetensors.torch.load_file(path,
    /// device=...)</c>). For a GPU device the file is memory-mapped and each tensor's bytes go from the mapping to the
    /// device: no managed copy and no buffer of the file's size, so multi-GB checkpoints load without their size in
    /// managed memory. CPU tensors are managed arrays, so on the CPU each is read straight into its own array.
    /// </summary>
    public static OrderedDictionary<string, Tensor> Load(string path, Device device)
    {
        if (device.Type == DeviceType.Cpu) return Read(path, out _);
        var backend = BackendRegistry.Get(device);
        Header header;
        long dataStart;
        using (var f = File.OpenRead(path)) header = ReadHeader(path, f, out dataStart, out _);
        var result = new OrderedDictionary<string, Tensor>();
        if (header.Entries.Count == 0) return result;
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        unsafe
        {
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            try
            {
                foreach (var e in header.Entries)
                {
                    long length = e.End - e.Begin;
                    byte* data = start + view.PointerOffset + dataStart;
                    // bool bytes must be normalised to 0/1 first, so they go through a host array.
                    var storage = e.DType == DType.Bool ? OnHost(e, data, backend, device)
                        : backend.FromHostBytes(device, new ReadOnlySpan<byte>(data + e.Begin, checked((int)length)), e.DType);
                    result[e.Name] = new Tensor(storage, (long[])e.Shape.Clone(), Tensor.ContiguousStrides(e.Shape), 0, e.DType);
                }
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        return result;
    }

    static unsafe Backends.Storage OnHost(Entry e, byte* data, IBackend backend, Device device)
    {
        var host = HostArrays.New(e.DType, checked((int)e.Count));
        var bytes = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(host), checked((int)(e.End - e.Begin)));
        new ReadOnlySpan<byte>(data + e.Begin, bytes.Length).CopyTo(bytes);
        if (e.DType == DType.Bool)
            foreach (ref byte b in bytes) b = b != 0 ? (byte)1 : (byte)0;
        return backend.FromHost(device, host, e.DType);
    }

    /// <summary>The <c>__metadata__</c> block of a safetensors file (empty when absent); the file is validated as by <see cref="Load(string)"/>.</summary>
    public static IReadOnlyDictionary<string, string> LoadMetadata(string path)
    {
        using var f = File.OpenRead(path);
        return ReadHeader(path, f, out _, out _).Metadata;
    }

    sealed record Entry(string Name, DType DType, long[] Shape, long Count, long Begin, long End);

    sealed record Header(List<Entry> Entries, Dictionary<string, string> Metadata);

    static OrderedDictionary<string, Tensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        using var f = File.OpenRead(path);
        var header = ReadHeader(path, f, out long dataStart, out _);
        metadata = header.Metadata;
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var e in header.Entries)
        {
            var data = HostArrays.New(e.DType, checked((int)e.Count));
            var bytes = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
                ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data), checked((int)(e.End - e.Begin)));
            f.Position = dataStart + e.Begin;
            f.ReadExactly(bytes);
            if (e.DType == DType.Bool)
                foreach (ref byte b in bytes) b = b != 0 ? (byte)1 : (byte)0;
            result[e.Name] = Torch.FromHostArray(data, e.DType, e.Shape);
        }
        return result;
    }

    static SafeTensorsFormatException Bad(string path, string message) => new(path, message);

    static Header ReadHeader(string path, FileStream f, out long dataStart, out long dataLen)
    {
        long fileLen = f.Length;
        Span<byte> first = stackalloc byte[8];
        if (fileLen < 8)
            throw Bad(path, $"not a safetensors file: it has {fileLen} bytes, and a safetensors file starts with an 8-byte header length");
        f.ReadExactly(first);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(first);
        if (n > MaxHeader || (long)n > fileLen - 8)
            throw Bad(path, $"not a safetensors file: its first 8 bytes give a header length of {n}, which exceeds the file ({fileLen} bytes){Guess(first)}");
        var json = new byte[n];
        f.ReadExactly(json);
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Bad(path, "header is not valid UTF-8");
        int lead = 0;
        while (lead < json.Length && json[lead] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') lead++;
        if (lead == json.Length || json[lead] != (byte)'{') throw Bad(path, $"not a safetensors file: the header does not start with '{{'{Guess(first)}");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, $"header is not valid JSON ({e.Message})", e); }
        using var _ = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "header is not a JSON object");
        dataStart = 8 + (long)n;
        dataLen = fileLen - dataStart;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!names.Add(p.Name)) throw Bad(path, $"duplicate key \"{p.Name}\" in the header");
            if (p.Name == "__metadata__")
            {
                if (p.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not a JSON object");
                foreach (var m in p.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ value of \"{m.Name}\" is not a string");
                    if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(path, $"duplicate key \"{m.Name}\" in __metadata__");
                }
                continue;
            }
            entries.Add(ParseEntry(path, p, dataLen));
        }
        // The data section must be exactly the concatenation of the tensors: sorted by offset, each starts where the
        // previous ends, the first at 0 and the last at the end of the file (no aliasing, holes or trailing bytes).
        long expect = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < expect) throw Bad(path, $"{e.Name}: data_offsets [{e.Begin}, {e.End}] overlap another tensor's bytes");
            if (e.Begin > expect) throw Bad(path, $"{e.Name}: data_offsets [{e.Begin}, {e.End}] leave a gap after byte {expect}");
            expect = e.End;
        }
        if (expect != dataLen) throw Bad(path, $"the tensors cover {expect} of the {dataLen} data bytes (trailing bytes are not allowed)");
        return new Header(entries, metadata);
    }

    static Entry ParseEntry(string path, JsonProperty p, long dataLen)
    {
        try
        {
            var v = p.Value;
            if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"{p.Name}: entry is not a JSON object");
            var code = v.GetProperty("dtype").GetString() ?? "";
            var dt = DTypeInfo.FromSafeTensorsCode(code) ?? throw Bad(path, $"{p.Name}: unsupported dtype {code}");
            var shape = v.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offs = v.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (shape.Any(s => s < 0)) throw Bad(path, $"{p.Name}: negative dimension in shape [{string.Join(", ", shape)}]");
            // Every dimension counts, zero or not: [0, 2^62] describes no data but no tensor Ignis can hold either.
            long bound = 1, count = 1;
            foreach (var s in shape)
            {
                bound = checked(bound * Math.Max(s, 1));
                count *= s;
            }
            if (bound > Array.MaxLength)
                throw Bad(path, $"{p.Name}: shape [{string.Join(", ", shape)}] has more elements than a tensor can hold");
            if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLen)
                throw Bad(path, $"{p.Name}: data_offsets [{string.Join(", ", offs)}] fall outside the {dataLen} data bytes");
            if (offs[1] - offs[0] != count * dt.ElementSize())
                throw Bad(path, $"{p.Name}: {offs[1] - offs[0]} bytes for shape [{string.Join(", ", shape)}] of {Code(dt)} (expected {count * dt.ElementSize()})");
            return new Entry(p.Name, dt, shape, count, offs[0], offs[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new SafeTensorsFormatException(path, $"{p.Name}: malformed entry ({e.Message})", e);
        }
    }

    /// <summary>What the file probably is, when it is not safetensors.</summary>
    static string Guess(ReadOnlySpan<byte> first) =>
        first[..4].SequenceEqual("PK\u0003\u0004"u8) ? " — it is a zip archive (a PyTorch .pth/.pt checkpoint?)"
        : first[0] == 0x80 ? " — it looks like a pickle (a legacy PyTorch checkpoint?)"
        : "";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class SafeTensorsJson : System.Text.Json.Serialization.JsonSerializerContext;
