using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Ignis.Serialization;

/// <summary>A checkpoint that is malformed or asks for something a safe loader must not do; names the file and the reason.</summary>
public sealed class UnpicklingException(string path, string message, Exception? inner = null) : IOException($"{path}: {message}", inner)
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>A Python global the restricted unpickler allows (a class, a rebuild function, a storage type or a dtype).</summary>
internal sealed record PyGlobal(string FullName);

/// <summary>A slice of a storage (legacy checkpoints' storage views): tensors over it add <see cref="Offset"/>.</summary>
internal sealed record StorageSlice(Ignis.Backends.Storage Root, long Offset, long Length);

/// <summary>
/// The restricted unpickler of <c>torch.load(weights_only=True)</c> (PyTorch 1.13's <c>torch/_weights_only_unpickler.py</c>),
/// written as a small stack machine over the opcodes PyTorch's checkpoints use. Globals are resolved against the same
/// allow-list; nothing is ever imported, called or instantiated except the handful of tensor rebuild functions, which
/// the <see cref="Rebuild"/> callback implements. Memo, stack, nesting and string sizes are bounded, and every length
/// is checked against the bytes actually present before anything is allocated.
/// </summary>
internal sealed class Unpickler
{
    const int MaxDepth = 1000;          // MARK nesting (lists in lists …)
    const int MaxMemo = 1 << 20;
    const int MaxStack = 1 << 22;

    /// <summary>Implements an allowed rebuild function (tensor, parameter): (global, args) → object.</summary>
    public delegate object? Rebuild(string function, object?[] args);

    readonly string path;
    readonly byte[] data;
    readonly Func<object?[], object?> persistentLoad;
    readonly Rebuild rebuild;
    int pos;

    public Unpickler(string path, byte[] data, Func<object?[], object?> persistentLoad, Rebuild rebuild, int start = 0)
    {
        this.path = path;
        this.data = data;
        this.persistentLoad = persistentLoad;
        this.rebuild = rebuild;
        pos = start;
    }

    /// <summary>Where the next pickle starts after <see cref="Load"/> returned (legacy checkpoints hold several in a row).</summary>
    public int Position => pos;

    static readonly HashSet<string> AllowedGlobals = BuildAllowed();

    static HashSet<string> BuildAllowed()
    {
        var s = new HashSet<string>(StringComparer.Ordinal)
        {
            "collections.OrderedDict", "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size", "torch.Tensor",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_sparse_csr_tensor",
            "torch.storage.TypedStorage", "torch.storage.UntypedStorage",
        };
        foreach (var d in new[] { "complex32", "complex64", "complex128", "float16", "float32", "float64", "int8", "int16", "int32", "int64" })
            s.Add("torch." + d);
        foreach (var t in new[] { "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool", "ComplexFloat", "ComplexDouble" })
        {
            s.Add($"torch.{t}Storage");
            s.Add($"torch.cuda.{t}Storage");
            s.Add($"torch.{t}Tensor");
            s.Add($"torch.cuda.{t}Tensor");
            s.Add($"torch.sparse.{t}Tensor");
            s.Add($"torch.cuda.sparse.{t}Tensor");
        }
        foreach (var q in new[] { "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4" }) s.Add($"torch.{q}Storage");
        return s;
    }

    /// <summary>PyTorch's legacy storage classes (<c>torch.FloatStorage</c>, …) of each dtype: read and written from this one table.</summary>
    static readonly (DType DType, string Name)[] StorageTypes =
    [
        (DType.Float64, "DoubleStorage"), (DType.Float32, "FloatStorage"), (DType.Float16, "HalfStorage"),
        (DType.BFloat16, "BFloat16Storage"), (DType.Int64, "LongStorage"), (DType.Int32, "IntStorage"),
        (DType.Int16, "ShortStorage"), (DType.Int8, "CharStorage"), (DType.UInt8, "ByteStorage"), (DType.Bool, "BoolStorage"),
    ];

    /// <summary>The dtype of a storage class name (<c>torch.FloatStorage</c>, <c>torch.cuda.HalfStorage</c>), or null.</summary>
    public static DType? StorageDType(string fullName)
    {
        string n = fullName.StartsWith("torch.cuda.", StringComparison.Ordinal) ? fullName[11..] : fullName.StartsWith("torch.", StringComparison.Ordinal) ? fullName[6..] : fullName;
        if (n == "storage.UntypedStorage") return DType.UInt8;
        foreach (var (d, name) in StorageTypes)
            if (name == n) return d;
        return null;
    }

    /// <summary>The storage class name <c>torch.save</c> writes for a dtype (<c>FloatStorage</c>).</summary>
    public static string StorageTypeName(DType dtype)
    {
        foreach (var (d, name) in StorageTypes)
            if (d == dtype) return name;
        throw new UnsupportedDTypeException("torch.save", dtype);
    }

    UnpicklingException Bad(string message) => new(path, $"{message} (pickle byte {pos})");

    ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > data.Length - pos) throw Bad($"truncated: {n} bytes wanted, {data.Length - pos} left");
        var s = data.AsSpan(pos, (int)n);
        pos += (int)n;
        return s;
    }

    byte Byte() => Take(1)[0];

    string Line()
    {
        int end = Array.IndexOf(data, (byte)'\n', pos);
        if (end < 0 || end - pos > 1024) throw Bad("unterminated or overlong name after GLOBAL");
        var s = Encoding.UTF8.GetString(data, pos, end - pos);
        pos = end + 1;
        return s;
    }

    public object? Load()
    {
        var stack = new List<object?>();
        var marks = new Stack<List<object?>>();
        var memo = new Dictionary<long, object?>();
        object? Pop()
        {
            if (stack.Count == 0) throw Bad("stack underflow");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        object? Top() => stack.Count == 0 ? throw Bad("stack underflow") : stack[^1];
        List<object?> PopMark()
        {
            if (marks.Count == 0) throw Bad("no MARK on the stack");
            var items = stack;
            stack = marks.Pop();
            return items;
        }
        void Push(object? v)
        {
            if (stack.Count >= MaxStack) throw Bad("stack too large");
            stack.Add(v);
        }

        while (true)
        {
            if (pos >= data.Length) throw Bad("pickle ended without STOP");
            byte op = data[pos++];
            switch (op)
            {
                case 0x80: Byte(); break;                                    // PROTO
                case (byte)'.': return Pop();                                // STOP
                case (byte)'c':                                              // GLOBAL
                {
                    string module = Line(), name = Line();
                    string full = $"{module}.{name}";
                    if (!AllowedGlobals.Contains(full))
                        throw Bad($"unsupported global {full}: weights-only loading allows tensors, storages and plain containers only");
                    Push(new PyGlobal(full));
                    break;
                }
                case 0x81:                                                   // NEWOBJ
                {
                    var args = Pop() as object?[] ?? throw Bad("NEWOBJ expects an argument tuple");
                    if (Pop() is not PyGlobal { FullName: "torch.nn.parameter.Parameter" } g)
                        throw Bad("NEWOBJ may only create torch.nn.Parameter");
                    Push(rebuild(g.FullName, args));
                    break;
                }
                case (byte)'R':                                              // REDUCE
                {
                    var args = Pop() as object?[] ?? throw Bad("REDUCE expects an argument tuple");
                    if (Pop() is not PyGlobal f) throw Bad("REDUCE on something that is not an allowed global");
                    Push(f.FullName switch
                    {
                        "collections.OrderedDict" when args.Length == 0 => new PyDict(ordered: true),
                        "torch.Size" when args.Length == 1 && args[0] is object?[] dims => dims,
                        _ => rebuild(f.FullName, args),
                    });
                    break;
                }
                case (byte)'b':                                              // BUILD
                {
                    var state = Pop();
                    var inst = Top();
                    // OrderedDict attributes (a state dict's _metadata) are informational; nothing else may be built.
                    if (inst is PyDict { Ordered: true }) break;
                    throw Bad($"BUILD is only allowed on an OrderedDict, not on {Describe(inst)}");
                }
                case (byte)'a':                                              // APPEND
                {
                    var item = Pop();
                    if (Top() is not List<object?> list) throw Bad($"APPEND to {Describe(Top())}");
                    list.Add(item);
                    break;
                }
                case (byte)'e':                                              // APPENDS
                {
                    var items = PopMark();
                    if (Top() is not List<object?> list) throw Bad($"APPENDS to {Describe(Top())}");
                    list.AddRange(items);
                    break;
                }
                case (byte)'s':                                              // SETITEM
                {
                    var v = Pop();
                    var k = Pop();
                    if (Top() is not PyDict d) throw Bad($"SETITEM on {Describe(Top())}");
                    d.Set(Key(k), v);
                    break;
                }
                case (byte)'u':                                              // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Bad("SETITEMS with an odd number of items");
                    if (Top() is not PyDict d) throw Bad($"SETITEMS on {Describe(Top())}");
                    for (int i = 0; i < items.Count; i += 2) d.Set(Key(items[i]), items[i + 1]);
                    break;
                }
                case (byte)'(':                                              // MARK
                    if (marks.Count >= MaxDepth) throw Bad($"nesting deeper than {MaxDepth}");
                    marks.Push(stack);
                    stack = [];
                    break;
                case (byte)'t': Push(PopMark().ToArray()); break;            // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                     // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'N': Push(null); break;
                case 0x89: Push(false); break;
                case 0x88: Push(true); break;
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'}': Push(new PyDict(ordered: false)); break;
                case 0x8f: Push(new List<object?>()); break;                 // EMPTY_SET (only empty sets can be built)
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': Push((long)Byte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a:                                                   // LONG1
                {
                    int n = Byte();
                    var bytes = Take(n);
                    var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
                    if (big < long.MinValue || big > long.MaxValue) throw Bad("integer does not fit in 64 bits");
                    Push((long)big);
                    break;
                }
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'X':                                              // BINUNICODE
                {
                    uint n = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
                    Push(Utf8(Take(n)));
                    break;
                }
                case 0x8c: Push(Utf8(Take(Byte()))); break;                  // SHORT_BINUNICODE
                case (byte)'U': Push(Take(Byte()).ToArray()); break;         // SHORT_BINSTRING (bytes)
                case (byte)'Q':                                              // BINPERSID
                {
                    var pid = Pop() as object?[] ?? throw Bad("persistent id must be a tuple");
                    if (pid.Length == 0 || AsText(pid[0]) != "storage")
                        throw Bad($"only persistent ids of storages are allowed, not {(pid.Length == 0 ? "()" : AsText(pid[0]))}");
                    Push(persistentLoad(pid));
                    break;
                }
                case (byte)'h': Push(Memo(memo, Byte())); break;             // BINGET
                case (byte)'j': Push(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'q': PutMemo(memo, Byte(), Top()); break;         // BINPUT
                case (byte)'r': PutMemo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), Top()); break;
                case 0x94: PutMemo(memo, memo.Count, Top()); break;          // MEMOIZE
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:x2}");
            }
        }
    }

    object? Memo(Dictionary<long, object?> memo, long i) =>
        memo.TryGetValue(i, out var v) ? v : throw Bad($"memo index {i} was never stored");

    void PutMemo(Dictionary<long, object?> memo, long i, object? v)
    {
        if (memo.Count >= MaxMemo && !memo.ContainsKey(i)) throw Bad("memo too large");
        memo[i] = v;
    }

    string Utf8(ReadOnlySpan<byte> b)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(b); }
        catch (DecoderFallbackException e) { throw new UnpicklingException(path, $"string is not valid UTF-8 (pickle byte {pos})", e); }
    }

    static string? AsText(object? o) => o switch { string s => s, byte[] b => Encoding.ASCII.GetString(b), _ => null };

    object Key(object? k) => k switch
    {
        string or long or bool or double => k,
        byte[] b => Encoding.UTF8.GetString(b),
        object?[] t => new PyTupleKey(t),
        _ => throw Bad($"unsupported dictionary key {Describe(k)}"),
    };

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyGlobal g => g.FullName,
        PyDict => "a dict",
        List<object?> => "a list",
        object?[] => "a tuple",
        _ => o.GetType().Name,
    };
}

/// <summary>A Python dict in insertion order (keys: string, long, bool, double or tuple).</summary>
internal sealed class PyDict(bool ordered)
{
    public bool Ordered { get; } = ordered;
    public OrderedDictionary<object, object?> Items { get; } = new();
    public void Set(object key, object? value) => Items[key] = value;
}

/// <summary>A tuple used as a dictionary key (value equality).</summary>
internal sealed record PyTupleKey(object?[] Items)
{
    public bool Equals(PyTupleKey? other) => other is not null && Items.SequenceEqual(other.Items);
    public override int GetHashCode() => Items.Aggregate(17, (h, x) => h * 31 + (x?.GetHashCode() ?? 0));
}
