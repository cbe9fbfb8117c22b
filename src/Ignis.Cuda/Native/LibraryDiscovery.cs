namespace Ignis.Cuda.Native;

/// <summary>One library the backend binds: its versioned file names (newest first, each with the CUDA major it belongs to,
/// 0 when the name does not say), where pip wheels keep it, and the exports that prove it is the right library.</summary>
internal sealed record LibrarySpec(string Title, string Override, (string Name, int Major)[] Linux, (string Name, int Major)[] Windows,
    string[] WheelFolders, string[] Exports, bool InToolkit, string InstallHint)
{
    public (string Name, int Major)[] Names(bool windows) => windows ? Windows : Linux;

    public static readonly LibrarySpec Driver = new("NVIDIA driver (CUDA driver API)", "IGNIS_CUDA_DRIVER",
        [("libcuda.so.1", 0), ("libcuda.so", 0)], [("nvcuda.dll", 0)], [], ["cuInit", "cuDriverGetVersion", "cuDeviceGetCount"],
        InToolkit: false, "install NVIDIA's driver for the GPU (it provides libcuda.so.1 / nvcuda.dll)");

    public static readonly LibrarySpec Nvrtc = new("NVRTC", "IGNIS_CUDA_NVRTC",
        [("libnvrtc.so.13", 13), ("libnvrtc.so.12", 12)], [("nvrtc64_130_0.dll", 13), ("nvrtc64_120_0.dll", 12)],
        ["cuda_nvrtc", "cu13", "cu12"], ["nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetPTX"],
        InToolkit: true, "install the CUDA toolkit or `pip install nvidia-cuda-nvrtc-cu12` (or -cu13)");

    public static readonly LibrarySpec Cublas = new("cuBLAS", "IGNIS_CUDA_CUBLAS",
        [("libcublas.so.13", 13), ("libcublas.so.12", 12)], [("cublas64_13.dll", 13), ("cublas64_12.dll", 12)],
        ["cublas", "cu13", "cu12"], ["cublasCreate_v2", "cublasGemmEx", "cublasGemmStridedBatchedEx"],
        InToolkit: true, "install the CUDA toolkit or `pip install nvidia-cublas-cu12` (or -cu13)");

    public static readonly LibrarySpec CublasLt = new("cuBLASLt", "IGNIS_CUDA_CUBLASLT",
        [("libcublasLt.so.13", 13), ("libcublasLt.so.12", 12)], [("cublasLt64_13.dll", 13), ("cublasLt64_12.dll", 12)],
        ["cublas", "cu13", "cu12"], ["cublasLtCreate", "cublasLtMatmul"],
        InToolkit: true, "install the CUDA toolkit or `pip install nvidia-cublas-cu12` (or -cu13)");

    public static readonly LibrarySpec Cudnn = new("cuDNN", "IGNIS_CUDA_CUDNN",
        // cuDNN's major version is its own (9 and 8 both exist for CUDA 12 and 13): no CUDA major from the name.
        [("libcudnn.so.9", 0), ("libcudnn.so.8", 0)], [("cudnn64_9.dll", 0), ("cudnn64_8.dll", 0)],
        ["cudnn"], ["cudnnCreate", "cudnnGetVersion"],
        InToolkit: true, "install cuDNN 9 or `pip install nvidia-cudnn-cu12` (or -cu13)");
}

/// <summary>One place looked at while searching for a library, and what was found there.</summary>
internal sealed record Attempt(string Where, string What, string Outcome)
{
    public override string ToString() => $"{Where}: {What} — {Outcome}";
}

/// <summary>The outcome of a search: the library (path, handle, CUDA major of the matched name) or every attempt.</summary>
internal sealed record LibraryResult(LibrarySpec Spec, string? Path, nint Handle, int Major, string? Via, IReadOnlyList<Attempt> Attempts)
{
    public bool Found => Handle != 0;

    /// <summary>What was tried and how to fix it, for an error message or <c>ignis doctor</c>.</summary>
    public string Explain() => Found
        ? $"{Spec.Title}: {Path} (via {Via})"
        : $"{Spec.Title} not found; tried {string.Join("; ", Attempts)}. To fix: {Spec.InstallHint}, or set {Spec.Override} to the library's path";
}

/// <summary>
/// Finds a CUDA library in the issue's order: an override variable, libraries already loaded in the process (say, by
/// PyTorch in the same process), <c>CUDA_HOME</c>/<c>CUDA_PATH</c>, NVIDIA's pip-wheel layout under each Python
/// environment found (<c>VIRTUAL_ENV</c>, <c>CONDA_PREFIX</c>, the Pythons on <c>PATH</c>, the user site), then the
/// system loader. Every place looked at is recorded. The driver is never taken from a toolkit (its <c>stubs/libcuda.so</c>
/// only links; it cannot run anything).
/// </summary>
internal static class LibraryDiscovery
{
    public static LibraryResult Find(LibrarySpec spec, INativeHost host)
    {
        var attempts = new List<Attempt>();
        var names = spec.Names(host.IsWindows);
        LibraryResult? Try(string where, string path, int major)
        {
            if (!host.TryLoad(path, out nint h, out string? error))
            {
                attempts.Add(new(where, path, $"load failed: {error}"));
                return null;
            }
            var missing = spec.Exports.Where(e => !host.TryGetExport(h, e, out _)).ToArray();
            if (missing.Length > 0)
            {
                attempts.Add(new(where, path, $"lacks {string.Join(", ", missing)} (not the expected library or too old)"));
                return null;
            }
            attempts.Add(new(where, path, "loaded"));
            return new LibraryResult(spec, path, h, major, where, attempts);
        }

        // 1. The override is authoritative: when it is set and fails, nothing else is tried.
        if (host.Env(spec.Override) is { Length: > 0 } forced)
        {
            int major = names.FirstOrDefault(n => forced.EndsWith(n.Name, StringComparison.Ordinal)).Major;
            return Try(spec.Override, forced, major) ?? new LibraryResult(spec, null, 0, 0, null, attempts);
        }
        attempts.Add(new(spec.Override, "(unset)", "skipped"));

        // 2. Already loaded in this process.
        var loaded = host.LoadedLibraries().ToArray();
        bool any = false;
        foreach (var (name, major) in names)
            foreach (var path in loaded.Where(p => System.IO.Path.GetFileName(p) == name))
            {
                any = true;
                if (Try("already loaded", path, major) is { } r) return r;
            }
        if (!any) attempts.Add(new("already loaded", string.Join(", ", names.Select(n => n.Name)), "none in this process"));

        if (spec.InToolkit)
        {
            // 3. CUDA_HOME / CUDA_PATH.
            foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
            {
                if (host.Env(variable) is not { Length: > 0 } root) { attempts.Add(new(variable, "(unset)", "skipped")); continue; }
                string[] subdirs = host.IsWindows ? ["bin", System.IO.Path.Combine("bin", "x64")] : ["lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib"];
                if (FromFolders(variable, subdirs.Select(d => System.IO.Path.Combine(root, d))) is { } r) return r;
            }
            // 4. NVIDIA's pip wheels.
            var wheelDirs = SitePackages(host).SelectMany(site =>
            {
                string nvidia = System.IO.Path.Combine(site, "nvidia");
                string leaf = host.IsWindows ? "bin" : "lib";
                var named = spec.WheelFolders.Select(f => System.IO.Path.Combine(nvidia, f, leaf));
                var others = host.Directories(nvidia, "*").Select(d => System.IO.Path.Combine(d, leaf));
                return named.Concat(others);
            }).Distinct().ToArray();
            if (wheelDirs.Length == 0) attempts.Add(new("pip wheels", "nvidia/*/lib under any Python environment", "no Python environment with NVIDIA wheels found"));
            else if (FromFolders("pip wheel", wheelDirs) is { } r) return r;
        }

        // 5. The system loader (LD_LIBRARY_PATH, ldconfig's cache, PATH on Windows).
        foreach (var (name, major) in names)
            if (Try("system loader", name, major) is { } r) return r;
        return new LibraryResult(spec, null, 0, 0, null, attempts);

        LibraryResult? FromFolders(string where, IEnumerable<string> folders)
        {
            var looked = new List<string>();
            foreach (var folder in folders)
            {
                if (!host.DirectoryExists(folder)) { looked.Add(folder); continue; }
                foreach (var (name, major) in names)
                {
                    string path = System.IO.Path.Combine(folder, name);
                    if (host.FileExists(path) && Try(where, path, major) is { } r) return r;
                }
                looked.Add(folder);
            }
            attempts.Add(new(where, string.Join(", ", looked), $"no {string.Join(" / ", names.Select(n => n.Name))}"));
            return null;
        }
    }

    /// <summary>site-packages / dist-packages folders of the Python environments this process can see.</summary>
    internal static IEnumerable<string> SitePackages(INativeHost host)
    {
        var prefixes = new List<string>();
        foreach (var v in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (host.Env(v) is { Length: > 0 } p) prefixes.Add(p);
        foreach (var dir in (host.Env("PATH") ?? "").Split(host.IsWindows ? ';' : ':', StringSplitOptions.RemoveEmptyEntries))
        {
            bool hasPython = host.IsWindows
                ? host.FileExists(System.IO.Path.Combine(dir, "python.exe"))
                : host.FileExists(System.IO.Path.Combine(dir, "python3")) || host.FileExists(System.IO.Path.Combine(dir, "python"));
            if (!hasPython) continue;
            // bin/python3 → the prefix above bin; Windows keeps python.exe in the prefix itself (or Scripts\ in a venv).
            string trimmed = dir.TrimEnd('/', '\\');
            string leaf = System.IO.Path.GetFileName(trimmed);
            prefixes.Add(leaf is "bin" or "Scripts" ? System.IO.Path.GetDirectoryName(trimmed) ?? trimmed : trimmed);
        }
        if (host.Env(host.IsWindows ? "APPDATA" : "HOME") is { Length: > 0 } home)
            prefixes.Add(host.IsWindows ? System.IO.Path.Combine(home, "Python") : System.IO.Path.Combine(home, ".local"));
        var sites = new List<string>();
        foreach (var prefix in prefixes.Distinct())
        {
            if (host.IsWindows)
            {
                sites.Add(System.IO.Path.Combine(prefix, "Lib", "site-packages"));
                foreach (var py in host.Directories(prefix, "Python3*")) sites.Add(System.IO.Path.Combine(py, "site-packages"));
                continue;
            }
            foreach (var lib in new[] { "lib", "local/lib" })
                foreach (var py in host.Directories(System.IO.Path.Combine(prefix, lib), "python3*"))
                {
                    sites.Add(System.IO.Path.Combine(py, "site-packages"));
                    sites.Add(System.IO.Path.Combine(py, "dist-packages"));
                }
        }
        return sites.Where(host.DirectoryExists).Distinct();
    }
}
