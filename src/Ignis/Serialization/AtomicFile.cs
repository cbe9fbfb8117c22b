using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ignis.Serialization;

/// <summary>
/// Atomic file replacement for every writer (safetensors, checkpoints): the data goes to a temporary file in the target
/// folder, is flushed to disk, then renamed over the target, so a reader sees the old file or the new one and never a
/// torn one. Temporary files are named <c>.NAME.ignis-tmp-PID-GUID</c>; ones left by a killed process (whose PID is
/// gone) are removed by the next save of the same file. On Linux and macOS the folder is fsynced after the rename, so
/// the new name survives a power cut too.
/// </summary>
internal static partial class AtomicFile
{
    const string Marker = ".ignis-tmp-";

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        Directory.CreateDirectory(dir);
        RemoveStale(dir, name);
        var tmp = Path.Combine(dir, $".{name}{Marker}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(f);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
            SyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Flushes the folder entry of the rename to disk (POSIX <c>fsync</c> on the directory; .NET has no API for it).
    /// Best effort: file systems that refuse it lose nothing but that guarantee.
    /// </summary>
    static void SyncDirectory(string dir)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        int fd = Open(dir, 0); // O_RDONLY
        if (fd < 0) return;
        _ = Fsync(fd);
        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Deletes temporary files of <paramref name="name"/> whose writing process no longer exists.</summary>
    static void RemoveStale(string dir, string name)
    {
        foreach (var f in Directory.EnumerateFiles(dir, $".{name}{Marker}*"))
        {
            var rest = Path.GetFileName(f)[(name.Length + 1 + Marker.Length)..];
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], out int pid) || pid == Environment.ProcessId || Alive(pid)) continue;
            try { File.Delete(f); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
