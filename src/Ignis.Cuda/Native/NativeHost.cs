using System.Runtime.InteropServices;

namespace Ignis.Cuda.Native;

/// <summary>
/// What library discovery asks of the machine: environment variables, files, folders, the libraries already loaded
/// in the process, and the native loader. Tests substitute a fake machine (every discovery path and failure message is
/// checked without NVIDIA software); <see cref="SystemHost"/> is the real one.
/// </summary>
internal interface INativeHost
{
    bool IsWindows { get; }
    string? Env(string name);
    bool FileExists(string path);
    bool DirectoryExists(string path);
    IEnumerable<string> Directories(string path, string pattern);
    /// <summary>Full paths of the native libraries already loaded in this process.</summary>
    IEnumerable<string> LoadedLibraries();
    /// <summary>Loads a library by path or bare name; on failure the loader's message.</summary>
    bool TryLoad(string nameOrPath, out nint handle, out string? error);
    bool TryGetExport(nint handle, string name, out nint address);
}

/// <summary>The real machine: <see cref="NativeLibrary"/>, the file system and <c>/proc/self/maps</c> (Linux).</summary>
internal sealed class SystemHost : INativeHost
{
    public static readonly SystemHost Instance = new();

    public bool IsWindows => OperatingSystem.IsWindows();
    public string? Env(string name) => Environment.GetEnvironmentVariable(name);
    public bool FileExists(string path) => File.Exists(path);
    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IEnumerable<string> Directories(string path, string pattern)
    {
        try { return Directory.Exists(path) ? Directory.GetDirectories(path, pattern) : []; }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public IEnumerable<string> LoadedLibraries()
    {
        if (OperatingSystem.IsLinux())
        {
            string[] lines;
            try { lines = File.ReadAllLines("/proc/self/maps"); }
            catch (IOException) { return []; }
            catch (UnauthorizedAccessException) { return []; }
            return lines.Select(l => l.IndexOf('/') is int i and >= 0 ? l[i..] : "").Where(p => p.Length > 0).Distinct();
        }
        return System.Diagnostics.Process.GetCurrentProcess().Modules.Cast<System.Diagnostics.ProcessModule>()
            .Select(m => m.FileName ?? "").Where(p => p.Length > 0).ToArray();
    }

    public bool TryLoad(string nameOrPath, out nint handle, out string? error)
    {
        try
        {
            handle = NativeLibrary.Load(nameOrPath);
            error = null;
            return true;
        }
        catch (DllNotFoundException e) { handle = 0; error = e.Message; return false; }
        catch (BadImageFormatException e) { handle = 0; error = e.Message; return false; }
    }

    public bool TryGetExport(nint handle, string name, out nint address) => NativeLibrary.TryGetExport(handle, name, out address);
}

/// <summary>Binding a library's entry points by name, all or nothing.</summary>
internal static class NativeExports
{
    /// <summary>The addresses of <paramref name="names"/> in <paramref name="library"/>, or null and the missing names.</summary>
    public static nint[]? Bind(INativeHost host, nint library, IReadOnlyList<string> names, out string? missing)
    {
        var f = new nint[names.Count];
        var absent = names.Where((n, i) => !host.TryGetExport(library, n, out f[i])).ToArray();
        missing = absent.Length == 0 ? null : string.Join(", ", absent);
        return absent.Length == 0 ? f : null;
    }
}
