using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Ignis.Backends;

namespace Ignis.Serialization;

/// <summary>
/// PyTorch's checkpoint format (<c>torch.save</c> / <c>torch.load</c>): a zip archive holding <c>data.pkl</c> (the
/// object, pickled with persistent ids for storages), one record per storage (<c>data/KEY</c>, raw little-endian
/// elements) and <c>version</c>. Loading runs the restricted <see cref="Unpickler"/> — PyTorch's
/// <c>weights_only=True</c> rules — and validates every tensor against its storage; nothing in a file can run code.
/// </summary>
/// <remarks>
/// Python objects map to .NET as: dict → <see cref="OrderedDictionary{TKey, TValue}"/> (string → <see cref="Tensor"/> when
/// every key is a string and every value a tensor — a state dict — else <c>object → object?</c>), list →
/// <see cref="List{T}"/> of object, tuple → <c>object?[]</c>, int → long, float → double, str → string, bool, None → null,
/// tensor → <see cref="Tensor"/>, <c>nn.Parameter</c> → <see cref="Nn.Parameter"/>.
/// </remarks>
public static class TorchSerialization
{
    /// <summary>Loads a checkpoint written by <c>torch.save</c> (or <see cref="Save"/>); tensors go to <paramref name="mapLocation"/> (default: the CPU).</summary>
    public static object? Load(string path, Device? mapLocation = null)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 4 && bytes.AsSpan(0, 4).SequenceEqual("PK\u0003\u0004"u8))
        {
            object? loaded;
            // The zip reader parses its directory lazily: any structural error surfaces as InvalidDataException.
            try { loaded = LoadZip(path, bytes); }
            catch (InvalidDataException e) { throw new UnpicklingException(path, $"not a valid zip archive ({e.Message})", e); }
            return Convert(path, loaded, mapLocation, 0);
        }
        if (bytes.AsSpan().StartsWith(LegacyMagic)) return Convert(path, LoadLegacy(path, bytes), mapLocation, 0);
        throw new UnpicklingException(path, "not a PyTorch checkpoint: it is neither a zip archive nor a pickle");
    }

    // ---------- reading ----------

    const int MaxNesting = 1000;

    /// <summary>pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2), the first record of a legacy checkpoint.</summary>
    static ReadOnlySpan<byte> LegacyMagic => [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    /// <summary>
    /// The legacy format (<c>_use_new_zipfile_serialization=False</c>): pickles of the magic number, the protocol
    /// version (1001) and the system info, then the object (storages as persistent ids
    /// <c>('storage', type, root_key, location, numel, view_metadata)</c>), then the list of storage keys, then each
    /// storage as an 8-byte element count and its raw elements in the byte order the system info names.
    /// </summary>
    static object? LoadLegacy(string path, byte[] bytes)
    {
        object? Plain(ref int at)
        {
            var u = new Unpickler(path, bytes, _ => throw new UnpicklingException(path, "unexpected storage in a legacy header"),
                (f, _) => throw new UnpicklingException(path, $"unexpected {f} in a legacy header"), at);
            var v = u.Load();
            at = u.Position;
            return v;
        }
        int at = LegacyMagic.Length;
        if (Plain(ref at) is not 1001L) throw new UnpicklingException(path, "legacy checkpoint with an unknown protocol version");
        bool little = Plain(ref at) is not PyDict info || !info.Items.TryGetValue("little_endian", out var le) || le is not false;
        var roots = new Dictionary<string, (Storage Storage, DType DType)>(StringComparer.Ordinal);
        object? PersistentLoad(object?[] pid)
        {
            if (pid.Length != 6 || pid[1] is not PyGlobal type || pid[2] is not string key || pid[4] is not long numel)
                throw new UnpicklingException(path, "malformed legacy storage persistent id");
            var dt = Unpickler.StorageDType(type.FullName) ?? throw new UnpicklingException(path, $"storage type {type.FullName} has no Ignis dtype");
            if (numel < 0 || numel * (long)dt.ElementSize() > bytes.Length)
                throw new UnpicklingException(path, $"storage {key} claims {numel} elements, more than the {bytes.Length}-byte file holds");
            if (!roots.TryGetValue(key, out var root))
                roots[key] = root = (BackendRegistry.Get(Device.Cpu).Allocate(Device.Cpu, dt, numel), dt);
            if (root.DType != dt) throw new UnpicklingException(path, $"storage {key} is viewed as {root.DType.TorchName()} and {dt.TorchName()}");
            if (pid[5] is object?[] { Length: 3 } view && view[1] is long off && view[2] is long len)
            {
                if (off < 0 || len < 0 || off + len > numel) throw new UnpicklingException(path, $"storage view [{off}, {off + len}) lies outside storage {key}");
                return new StorageSlice(root.Storage, off, len);
            }
            return root.Storage;
        }
        var main = new Unpickler(path, bytes, PersistentLoad, (f, args) => Rebuild(path, f, args), at);
        var result = main.Load();
        at = main.Position;
        if (Plain(ref at) is not List<object?> keys) throw new UnpicklingException(path, "legacy checkpoint without its storage key list");
        var cpu = BackendRegistry.Get(Device.Cpu);
        foreach (var k in keys)
        {
            if (k is not string key || !roots.TryGetValue(key, out var root)) throw new UnpicklingException(path, $"storage key {k} was never referenced");
            if (bytes.Length - at < 8) throw new UnpicklingException(path, $"storage {key} is missing");
            long count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at, 8));
            at += 8;
            long nbytes = count * root.DType.ElementSize();
            if (count != root.Storage.Length || nbytes > bytes.Length - at)
                throw new UnpicklingException(path, $"storage {key}: {count} elements recorded for a storage of {root.Storage.Length}, {bytes.Length - at} bytes left");
            var raw = bytes.AsSpan(at, (int)nbytes).ToArray();
            at += (int)nbytes;
            if (!little) SwapBytes(raw, root.DType.ElementSize());
            var host = TensorView.Contiguous(cpu.FromHost(Device.Cpu, HostArrays.FromBytes(raw, root.DType), root.DType), [count]);
            cpu.Copy(host, TensorView.Contiguous(root.Storage, [count]));
        }
        return result;
    }

    static void SwapBytes(byte[] raw, int size)
    {
        if (size == 1) return;
        for (int i = 0; i + size <= raw.Length; i += size) Array.Reverse(raw, i, size);
    }

    static object? LoadZip(string path, byte[] bytes)
    {
        using var zip = OpenZip(path, bytes);
        var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pkl.Count != 1) throw new UnpicklingException(path, "not a PyTorch checkpoint: the archive has no single <name>/data.pkl record");
        string prefix = pkl[0].FullName[..^"data.pkl".Length];
        // PyTorch ≥ 2.1 records the byte order of the storages; older files are little-endian.
        bool big = false;
        if (zip.GetEntry(prefix + "byteorder") is { } order)
        {
            var text = Encoding.ASCII.GetString(ReadEntry(path, order, bytes.Length, exactly: null)).Trim();
            big = text switch
            {
                "little" => false,
                "big" => true,
                _ => throw new UnpicklingException(path, $"unknown byteorder record '{text}'"),
            };
        }
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        object? PersistentLoad(object?[] pid)
        {
            // ('storage', storage_type, key, location, numel)
            if (pid.Length != 5 || pid[1] is not PyGlobal type || pid[2] is not string key || pid[4] is not long numel)
                throw new UnpicklingException(path, "malformed storage persistent id");
            var dt = Unpickler.StorageDType(type.FullName)
                ?? throw new UnpicklingException(path, $"storage type {type.FullName} has no Ignis dtype");
            if (!storages.TryGetValue(key, out var s))
            {
                if (numel < 0) throw new UnpicklingException(path, $"storage {key} claims {numel} elements");
                var entry = zip.GetEntry($"{prefix}data/{key}") ?? throw new UnpicklingException(path, $"storage record data/{key} is missing");
                long want = checked(numel * dt.ElementSize());
                var raw = ReadEntry(path, entry, bytes.Length, exactly: want);
                if (big) SwapBytes(raw, dt.ElementSize());
                storages[key] = s = BackendRegistry.Get(Device.Cpu).FromHost(Device.Cpu, HostArrays.FromBytes(raw, dt), dt);
            }
            else if (s.DType != dt) throw new UnpicklingException(path, $"storage {key} is viewed as {s.DType.TorchName()} and {dt.TorchName()}");
            return s;
        }
        var data = ReadEntry(path, pkl[0], bytes.Length, exactly: null);
        return new Unpickler(path, data, PersistentLoad, (f, args) => Rebuild(path, f, args)).Load();
    }

    static ZipArchive OpenZip(string path, byte[] bytes)
    {
        try { return new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read); }
        catch (InvalidDataException e) { throw new UnpicklingException(path, $"not a valid zip archive ({e.Message})", e); }
    }

    /// <summary>
    /// A record's bytes, after checking what its header claims against the file (a stored record cannot be larger than
    /// the file; a compressed one not larger than deflate's maximum ratio allows) — so a lying header allocates nothing.
    /// </summary>
    static byte[] ReadEntry(string path, ZipArchiveEntry e, long fileLength, long? exactly)
    {
        long claimed = e.Length;
        if (exactly is long x && claimed != x)
            throw new UnpicklingException(path, $"record {e.FullName} has {claimed} bytes, its tensor storage needs {x}");
        if (claimed > fileLength && claimed > e.CompressedLength * 1032L)
            throw new UnpicklingException(path, $"record {e.FullName} claims {claimed} bytes, more than the {fileLength}-byte file can hold");
        if (claimed > Array.MaxLength) throw new UnpicklingException(path, $"record {e.FullName} of {claimed} bytes is too large");
        var buf = new byte[claimed];
        try
        {
            using var s = e.Open();
            s.ReadExactly(buf);
            if (s.ReadByte() != -1) throw new UnpicklingException(path, $"record {e.FullName} is longer than its header says");
        }
        catch (InvalidDataException ex) { throw new UnpicklingException(path, $"record {e.FullName} is corrupt ({ex.Message})", ex); }
        catch (EndOfStreamException ex) { throw new UnpicklingException(path, $"record {e.FullName} is shorter than its header says", ex); }
        if (Crc32(buf) != e.Crc32) throw new UnpicklingException(path, $"record {e.FullName} fails its CRC-32 check");
        return buf;
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>The allowed rebuild functions: tensors and parameters over loaded storages, validated against them.</summary>
    static object? Rebuild(string path, string function, object?[] args)
    {
        switch (function)
        {
            case "torch._utils._rebuild_tensor_v2" when args.Length >= 5:
            case "torch._utils._rebuild_tensor" when args.Length == 4:
            {
                var (s, baseOffset, limit) = args[0] switch
                {
                    Storage st => (st, 0L, st.Length),
                    StorageSlice sl => (sl.Root, sl.Offset, sl.Offset + sl.Length),
                    _ => throw new UnpicklingException(path, "tensor rebuilt from something that is not a storage"),
                };
                long offset = args[1] is long o ? o + baseOffset : throw new UnpicklingException(path, "tensor storage offset is not an integer");
                var size = Longs(path, args[2], "size");
                var stride = Longs(path, args[3], "stride");
                if (size.Length != stride.Length) throw new UnpicklingException(path, $"tensor size {Str(size)} and stride {Str(stride)} differ in rank");
                if (size.Any(v => v < 0)) throw new UnpicklingException(path, $"tensor size {Str(size)} has a negative dimension");
                if (stride.Any(v => v < 0)) throw new UnpicklingException(path, $"tensor stride {Str(stride)} is negative");
                if (offset < baseOffset) throw new UnpicklingException(path, $"tensor storage offset {offset - baseOffset} is negative");
                long numel = 1, last = offset;
                foreach (var v in size) numel = checked(numel * v);
                for (int d = 0; d < size.Length; d++) if (size[d] > 0) last = checked(last + (size[d] - 1) * stride[d]);
                if (numel > 0 && last >= limit)
                    throw new UnpicklingException(path, $"tensor of size {Str(size)}, stride {Str(stride)}, offset {offset} reaches element {last} of a storage of {limit}");
                var t = Tensor.FromView(new TensorView(s, size, stride, offset));
                bool requiresGrad = args.Length >= 5 && args[4] is true;
                if (requiresGrad && t.DType.IsFloatingPoint()) t.RequiresGrad = true;
                return t;
            }
            case "torch._utils._rebuild_parameter" when args.Length >= 2 && args[0] is Tensor data:
                return new Nn.Parameter(data.Detach(), args[1] is true);
            case "torch.nn.parameter.Parameter" when args.Length >= 1 && args[0] is Tensor data:
                return new Nn.Parameter(data.Detach(), args.Length < 2 || args[1] is true);
            default:
                throw new UnpicklingException(path, $"{function} is allowed by PyTorch's weights-only loader but not supported by Ignis (sparse, meta and quantized tensors are not)");
        }
    }

    static long[] Longs(string path, object? o, string what) => o is object?[] t && t.All(x => x is long)
        ? t.Select(x => (long)x!).ToArray()
        : throw new UnpicklingException(path, $"tensor {what} is not a tuple of integers");

    static string Str(long[] v) => "[" + string.Join(", ", v) + "]";

    /// <summary>Python values to their .NET shapes (see the class remarks); tensors moved to <paramref name="device"/>.</summary>
    static object? Convert(string path, object? o, Device? device, int depth)
    {
        // Containers can nest without MARKs (APPEND chains) or even contain themselves (memo): bound the walk.
        if (depth > MaxNesting) throw new UnpicklingException(path, $"containers nest deeper than {MaxNesting} levels (or contain themselves)");
        switch (o)
        {
            case Tensor t: return device is Device d && !d.SameAs(t.Device) ? (t is Nn.Parameter p ? new Nn.Parameter(p.To(d).Detach(), p.RequiresGrad) : t.To(d)) : t;
            case PyDict dict:
                if (dict.Items.Count > 0 && dict.Items.All(kv => kv.Key is string && kv.Value is Tensor))
                {
                    var sd = new OrderedDictionary<string, Tensor>();
                    foreach (var (k, v) in dict.Items) sd[(string)k] = (Tensor)Convert(path, v, device, depth + 1)!;
                    return sd;
                }
                var r = new OrderedDictionary<object, object?>();
                foreach (var (k, v) in dict.Items) r[k is PyTupleKey tk ? tk.Items : k] = Convert(path, v, device, depth + 1);
                return r;
            case List<object?> list: return list.Select(x => Convert(path, x, device, depth + 1)).ToList();
            case object?[] tuple: return tuple.Select(x => Convert(path, x, device, depth + 1)).ToArray();
            case PyGlobal g: return g.FullName;
            default: return o;
        }
    }

    // ---------- writing ----------

    /// <summary>
    /// Writes <paramref name="obj"/> in the zip format of <c>torch.save</c> (pickle protocol 2, one record per storage,
    /// storages shared between tensors written once), atomically. Supported values: tensors and parameters, state dicts
    /// and other dictionaries with string or integer keys, lists, arrays (as tuples), strings, integers, floats, bools, null.
    /// </summary>
    public static void Save(object? obj, string path)
    {
        var pickler = new Pickler();
        pickler.Dump(obj);
        string archive = Path.GetFileNameWithoutExtension(Path.GetFullPath(path));
        if (archive.Length == 0) archive = "archive";
        AtomicFile.Write(path, f =>
        {
            using var zip = new ZipArchive(f, ZipArchiveMode.Create, leaveOpen: true);
            void Put(string name, ReadOnlySpan<byte> content)
            {
                var e = zip.CreateEntry($"{archive}/{name}", CompressionLevel.NoCompression);
                e.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = e.Open();
                s.Write(content);
            }
            Put("data.pkl", pickler.Bytes);
            foreach (var (key, storage) in pickler.Storages)
            {
                var all = TensorView.Contiguous(storage, [storage.Length]);
                Put($"data/{key}", HostArrays.ToBytes(BackendRegistry.Get(storage.Device).ToHost(all), storage.DType));
            }
            Put("version", "3\n"u8);
        });
    }

    /// <summary>A protocol-2 pickler for the values <see cref="Save"/> supports, with tensors as persistent storage ids.</summary>
    sealed class Pickler
    {
        readonly MemoryStream ms = new();
        readonly Dictionary<Storage, string> keys = new(ReferenceEqualityComparer.Instance);

        public List<(string Key, Storage Storage)> Storages { get; } = [];

        public byte[] Bytes => ms.ToArray();

        public void Dump(object? obj)
        {
            ms.Write([0x80, 2]);
            Write(obj, 0);
            ms.WriteByte((byte)'.');
        }

        void Op(char c) => ms.WriteByte((byte)c);

        void Global(string module, string name) => ms.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

        void Write(object? o, int depth)
        {
            if (depth > 900) throw new ArgumentException("object nested too deeply to save");
            switch (o)
            {
                case null: Op('N'); break;
                case bool b: ms.WriteByte(b ? (byte)0x88 : (byte)0x89); break;
                case int or long or short or sbyte or byte or uint: Int(System.Convert.ToInt64(o, System.Globalization.CultureInfo.InvariantCulture)); break;
                case double or float:
                {
                    Op('G');
                    Span<byte> b8 = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(b8, System.Convert.ToDouble(o, System.Globalization.CultureInfo.InvariantCulture));
                    ms.Write(b8);
                    break;
                }
                case string s: Str(s); break;
                case Nn.Parameter p:
                    Global("torch._utils", "_rebuild_parameter");
                    Op('(');
                    TensorValue(p);
                    ms.WriteByte(p.RequiresGrad ? (byte)0x88 : (byte)0x89);
                    EmptyOrderedDict();
                    Op('t');
                    Op('R');
                    break;
                case Tensor t: TensorValue(t); break;
                case Optim.OptimizerStateDict osd: Write(osd.ToPyTorch(), depth); break;
                case System.Runtime.CompilerServices.ITuple tuple:
                    Op('(');
                    for (int i = 0; i < tuple.Length; i++) Write(tuple[i], depth + 1);
                    Op('t');
                    break;
                // A state dict is an OrderedDict in PyTorch; every other mapping a plain dict.
                case IEnumerable<KeyValuePair<string, Tensor>> sd: DictValue(sd.Select(kv => ((object)kv.Key, (object?)kv.Value)), ordered: true, depth); break;
                case System.Collections.IDictionary d: DictValue(d.Keys.Cast<object>().Select(k => (k, d[k])), ordered: false, depth); break;
                case IEnumerable<KeyValuePair<string, object?>> kvs: DictValue(kvs.Select(kv => ((object)kv.Key, kv.Value)), ordered: true, depth); break;
                case Array arr:
                    Op('(');
                    foreach (var x in arr) Write(x, depth + 1);
                    Op('t');
                    break;
                case System.Collections.IList list:
                    Op(']');
                    if (list.Count > 0)
                    {
                        Op('(');
                        foreach (var x in list) Write(x, depth + 1);
                        Op('e');
                    }
                    break;
                default: throw new ArgumentException($"cannot save a value of type {o.GetType().Name} in a PyTorch checkpoint");
            }
        }

        void Int(long v)
        {
            if (v is >= 0 and < 256) { Op('K'); ms.WriteByte((byte)v); }
            else if (v is >= 0 and < 65536) { Op('M'); Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); ms.Write(b); }
            else if (v is >= int.MinValue and <= int.MaxValue) { Op('J'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); ms.Write(b); }
            else
            {
                ms.WriteByte(0x8a);
                ms.WriteByte(8);
                Span<byte> b = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(b, v);
                ms.Write(b);
            }
        }

        void Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op('X');
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(n, (uint)b.Length);
            ms.Write(n);
            ms.Write(b);
        }

        void EmptyOrderedDict()
        {
            Global("collections", "OrderedDict");
            Op(')');
            Op('R');
        }

        void DictValue(IEnumerable<(object Key, object? Value)> items, bool ordered, int depth)
        {
            if (ordered) EmptyOrderedDict(); else Op('}');
            var list = items.ToList();
            if (list.Count == 0) return;
            Op('(');
            foreach (var (k, v) in list)
            {
                if (k is not (string or int or long)) throw new ArgumentException($"cannot save a dictionary key of type {k.GetType().Name}");
                Write(k, depth + 1);
                Write(v, depth + 1);
            }
            Op('u');
        }

        void TensorValue(Tensor t)
        {
            var s = t.Storage;
            if (!keys.TryGetValue(s, out var key))
            {
                keys[s] = key = keys.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Storages.Add((key, s));
            }
            Global("torch._utils", "_rebuild_tensor_v2");
            Op('(');
            // persistent id ('storage', torch.XStorage, key, location, numel)
            Op('(');
            Str("storage");
            Global("torch", Unpickler.StorageTypeName(t.DType));
            Str(key);
            Str("cpu");
            Int(s.Length);
            Op('t');
            Op('Q');
            Int(t.StorageOffset);
            Op('(');
            foreach (var v in t.Shape) Int(v);
            Op('t');
            Op('(');
            foreach (var v in t.Strides) Int(v);
            Op('t');
            ms.WriteByte(t.RequiresGrad && t is not Nn.Parameter ? (byte)0x88 : (byte)0x89);
            EmptyOrderedDict();
            Op('t');
            Op('R');
        }
    }
}
