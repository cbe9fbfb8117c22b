using System.Buffers.Binary;
using System.IO.Compression;

namespace Ignis.Vision;

/// <summary>An IDX (or its gzip wrapper) file that is missing pieces or is not what it claims; names the file and what was expected.</summary>
public sealed class IdxFormatException(string path, string message, Exception? inner = null)
    : IOException($"{path}: {message}", inner)
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>Reads the IDX format of MNIST-style datasets (big-endian header, unsigned-byte elements), plain or gzipped.</summary>
public static class Idx
{
    /// <summary>Largest element count accepted (the .NET array limit).</summary>
    const long MaxElements = int.MaxValue - 64;

    /// <summary>
    /// Reads <paramref name="path"/> as an unsigned-byte IDX file with <paramref name="expectedDims"/> dimensions.
    /// Corrupt or truncated files (bad magic, wrong rank, short data, trailing bytes, broken gzip) raise
    /// <see cref="IdxFormatException"/>; memory grows only as data actually arrives, so a lying header cannot
    /// make the reader allocate what the file does not hold.
    /// </summary>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        using var file = File.OpenRead(path);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        bool gz = b0 == 0x1F && b1 == 0x8B;
        using Stream s = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return ReadCore(path, s, expectedDims, gz ? null : file.Length);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, $"corrupt gzip data ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new IdxFormatException(path, $"gzip stream ended unexpectedly ({e.Message})", e);
        }
    }

    static (int[], byte[]) ReadCore(string path, Stream s, int expectedDims, long? fileLength)
    {
        var magic = new byte[4];
        int got = ReadFully(s, magic);
        if (got < 4) throw new IdxFormatException(path, $"file ends after {got} bytes; an IDX file starts with a 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new IdxFormatException(path, $"bad magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}; expected 0x000008{expectedDims:X2} (IDX, unsigned bytes, {expectedDims} dimensions)");
        if (magic[2] != 0x08)
            throw new IdxFormatException(path, $"unsupported IDX element type 0x{magic[2]:X2}; expected 0x08 (unsigned byte)");
        if (magic[3] != expectedDims)
            throw new IdxFormatException(path, $"has {magic[3]} dimensions; expected {expectedDims} (magic 0x000008{expectedDims:X2})");
        var header = new byte[4 * expectedDims];
        got = ReadFully(s, header);
        if (got < header.Length) throw new IdxFormatException(path, $"header is truncated: {got} of {header.Length} bytes of dimension sizes");
        var dims = new int[expectedDims];
        long count = 1;
        for (int i = 0; i < expectedDims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (dims[i] < 0) throw new IdxFormatException(path, $"dimension {i} has negative size {dims[i]}");
            count *= dims[i];
            if (count > MaxElements) throw new IdxFormatException(path, $"dimension sizes [{string.Join(", ", dims.Take(i + 1))}] describe more than {MaxElements} elements");
        }
        long headerBytes = 4 + header.Length;
        if (fileLength is long len && len - headerBytes < count)
            throw new IdxFormatException(path, $"data is truncated: header [{string.Join(", ", dims)}] needs {count} bytes, file has {len - headerBytes}");
        // Grow with the data actually read (never trust the header for the allocation size of a compressed file).
        var buffer = new MemoryStream((int)Math.Min(count, 1 << 20));
        var chunk = new byte[1 << 16];
        long remaining = count;
        while (remaining > 0)
        {
            int n = s.Read(chunk, 0, (int)Math.Min(chunk.Length, remaining));
            if (n == 0) throw new IdxFormatException(path, $"data is truncated: header [{string.Join(", ", dims)}] needs {count} bytes, found {count - remaining}");
            buffer.Write(chunk, 0, n);
            remaining -= n;
        }
        if (s.Read(chunk, 0, 1) > 0) throw new IdxFormatException(path, $"has data after the {count} bytes its header [{string.Join(", ", dims)}] describes");
        return (dims, buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray());
    }

    static int ReadFully(Stream s, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
