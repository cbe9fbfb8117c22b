using System.Security.Cryptography;
using System.Text;

namespace Ignis.OpenCL;

/// <summary>
/// The on-disk cache of compiled OpenCL programs: the driver's binary of each program, keyed by SHA-256 of platform,
/// device, driver version, build options and source, so a later process skips the compiler (seconds per program on
/// some drivers). Files carry a magic and the SHA-256 of their payload: a truncated, corrupted or foreign file is
/// deleted and the program is rebuilt from source, and nothing unverified reaches the driver. Writes go to a temporary
/// file renamed into place. Location: <c>IGNIS_OPENCL_CACHE</c> (a folder, or <c>0</c> to turn the cache off), else
/// <c>$XDG_CACHE_HOME/ignis/opencl</c> or <c>~/.cache/ignis/opencl</c> (<c>%LOCALAPPDATA%\ignis\opencl</c> on Windows).
/// </summary>
internal static class ProgramCache
{
    static readonly byte[] Magic = "IGNISCL1"u8.ToArray();
    const int HashBytes = 32;

    /// <summary>The largest file read back (a program binary is kilobytes to a few megabytes).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Set by tests to a private folder; null means the environment decides.</summary>
    internal static string? DirectoryOverride;

    /// <summary>The cache folder, or null when the cache is off.</summary>
    public static string? Folder
    {
        get
        {
            if (DirectoryOverride is not null) return DirectoryOverride;
            string? env = Environment.GetEnvironmentVariable("IGNIS_OPENCL_CACHE");
            if (env is "0" or "off" or "false") return null;
            if (!string.IsNullOrEmpty(env)) return env;
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
                root = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return string.IsNullOrEmpty(root) ? null : Path.Combine(root, "ignis", "opencl");
        }
    }

    /// <summary>The cache key of a program for a device.</summary>
    public static string Key(ClDevice d, string options, string source) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', d.PlatformName, d.Vendor, d.Name, d.DriverVersion, d.Version, options, source)))).ToLowerInvariant();

    static string PathOf(string folder, string key) => Path.Combine(folder, key + ".clbin");

    /// <summary>The verified binary for <paramref name="key"/>, or null (missing, unreadable or rejected — then deleted).</summary>
    public static byte[]? TryRead(string folder, string key, out bool rejected)
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
    public static void Write(string folder, string key, ReadOnlySpan<byte> binary)
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
    public static void Delete(string folder, string key)
    {
        try { File.Delete(PathOf(folder, key)); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The file an entry lives in (tests damage it on purpose).</summary>
    internal static string FileOf(string folder, string key) => PathOf(folder, key);
}
