using Ignis.Cuda.Native;

namespace Ignis.Cuda.Tests;

/// <summary>A machine made of dictionaries: environment, files, folders, loaded libraries and what each library exports.</summary>
internal sealed class FakeHost(bool windows = false) : INativeHost
{
    public readonly Dictionary<string, string> Environment = [];
    public readonly HashSet<string> Files = [];
    public readonly List<string> Loaded = [];
    /// <summary>Loadable libraries (by path or bare name) and their exports; anything else fails to load.</summary>
    public readonly Dictionary<string, string[]> Libraries = [];
    public readonly List<string> LoadCalls = [];

    public bool IsWindows => windows;
    public string? Env(string name) => Environment.GetValueOrDefault(name);
    public bool FileExists(string path) => Files.Contains(path);
    public bool DirectoryExists(string path) => Files.Any(f => f.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal));

    public IEnumerable<string> Directories(string path, string pattern)
    {
        string prefix = path.TrimEnd('/') + "/";
        string start = pattern.TrimEnd('*');
        return Files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => f[prefix.Length..].Split('/')[0])
            .Where(name => name.StartsWith(start, StringComparison.Ordinal) && Files.Any(f => f.StartsWith(prefix + name + "/", StringComparison.Ordinal)))
            .Distinct().Select(name => prefix + name);
    }

    public IEnumerable<string> LoadedLibraries() => Loaded;

    readonly Dictionary<nint, string> handles = [];

    public bool TryLoad(string nameOrPath, out nint handle, out string? error)
    {
        LoadCalls.Add(nameOrPath);
        if (Libraries.ContainsKey(nameOrPath))
        {
            handle = handles.Count + 1;
            handles[handle] = nameOrPath;
            error = null;
            return true;
        }
        handle = 0;
        error = $"{nameOrPath}: cannot open shared object file: No such file or directory";
        return false;
    }

    /// <summary>Real function pointers for exports (fake C APIs written as UnmanagedCallersOnly methods).</summary>
    public readonly Dictionary<string, nint> Addresses = [];

    public bool TryGetExport(nint handle, string name, out nint address)
    {
        address = handles.TryGetValue(handle, out var lib) && Libraries[lib].Contains(name) ? Addresses.GetValueOrDefault(name, 1) : 0;
        return address != 0;
    }

    /// <summary>Adds a library file (or a bare name the system loader resolves) with the exports its spec requires.</summary>
    public FakeHost With(string path, LibrarySpec spec, bool file = true)
    {
        if (file) Files.Add(path);
        Libraries[path] = spec.Exports;
        return this;
    }
}
