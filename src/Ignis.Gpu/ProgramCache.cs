using System.Security.Cryptography;
using System.Text;

namespace Ignis.Gpu;

/// <summary>
/// The on-disk cache of compiled device programs (OpenCL driver binaries, CUDA CUBINs from NVRTC): each program's binary
/// keyed by SHA-256 of everything that decides it — device, driver or compiler version, options and source — so a later
/// process skips the compiler (seconds per program on some drivers). Files carry a magic and the SHA-256 of their
/// payload: a truncated, corrupted or foreign file is deleted and the program is rebuilt from source, and nothing
/// unverified reaches the driver. Writes go to a temporary file renamed into place. Location: the backend's variable
/// (<c>IGNIS_OPENCL_CACHE</c>, <c>IGNIS_CUDA_CACHE</c>: a folder, or <c>0</c> to turn the cache off), else
/// <c>$XDG_CACHE_HOME/ignis/KIND</c> or <c>~/.cache/ignis/KIND</c> (<c>%LOCALAPPDATA%\ignis\KIND</c> on Windows).
/// </summary>
/// <param name="kind">The cache's folder name under <c>ignis/</c> (<c>opencl</c>, <c>cuda</c>).</param>
/// <param name="variable">The environment variable that moves or disables the cache.</param>
/// <param name="magic">Eight ASCII bytes every file of this cache starts with.</param>
/// <param name="extension">The files' extension.</param>
internal sealed class ProgramCache(string kind, string variable, string magic, string extension)
{
    readonly byte[] Magic = System.Text.Encoding.ASCII.GetBytes(magic);
    const int HashBytes = 32;

    /// <summary>The largest file read back (a program binary is kilobytes to a few megabytes).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Set by tests to a private folder; null means the environment decides.</summary>
    internal string? DirectoryOverride;

    /// <summary>The cache folder, or null when the cache is off.</summary>
    public string? Folder
    {
        get
        {
            if (DirectoryOverride is not null) return DirectoryOverride;
            string? env = Environment.GetEnvironmentVariable(variable);
            if (env is "0" or "off" or "false") return null;
            if (!string.IsNullOrEmpty(env)) return env;
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
                root = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return string.IsNullOrEmpty(root) ? null : Path.Combine(root, "ignis", kind);
        }
    }

    /// <summary>The cache key of a program: the SHA-256 of every part that decides its binary (device, versions, options, source).</summary>
    public static string Key(params string[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)))).ToLowerInvariant();

    string PathOf(string folder, string key) => Path.Combine(folder, key + extension);

    /// <summary>The verified binary for <paramref name="key"/>, or null (missing, unreadable or rejected — then deleted).</summary>
    public byte[]? TryRead(string folder, string key, out bool rejected)
    {
        rejected = false;
        string path = PathOf(folder, key);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            if (info.Length > MaxFileBytes || info.Length < Magic.Length + HashBytes + 1) { rejected = true; Delete(folder, key); return null; }
            var bytes = File.ReadAllBytes(path);
            var payload = bytes.AsSpan(Magic.Length + HashBytes);
            if (!bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
                || !bytes.AsSpan(Magic.Length, HashBytes).SequenceEqual(SHA256.HashData(payload)))
            {
                rejected = true;
                Delete(folder, key);
                return null;
            }
            return payload.ToArray();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stores a binary (best effort: a read-only or full disk only costs the next process a compile).</summary>
    public void Write(string folder, string key, ReadOnlySpan<byte> binary)
    {
        string tmp = Path.Combine(folder, $".{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(Magic);
                f.Write(SHA256.HashData(binary));
                f.Write(binary);
            }
            File.Move(tmp, PathOf(folder, key), overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        finally
        {
            try { if (File.Exists(tmp)) File.Delete(tmp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Removes a cache entry (one the driver refused, or a damaged file).</summary>
    public void Delete(string folder, string key)
    {
        try { File.Delete(PathOf(folder, key)); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The file an entry lives in (tests damage it on purpose).</summary>
    internal string FileOf(string folder, string key) => PathOf(folder, key);
}
