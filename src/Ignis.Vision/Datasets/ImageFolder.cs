using Ignis.Data;

namespace Ignis.Vision;

/// <summary>
/// Images in one folder per class (<c>torchvision.datasets.ImageFolder</c>): <c>root/dog/xxx.png</c>,
/// <c>root/cat/123.jpg</c>. Classes are the sorted folder names; samples are found in sorted order, recursively, and
/// read with <see cref="IO.ReadImage"/> as RGB uint8 [3, H, W] (use <c>ConvertImageDtype</c>, not <c>ToTensor</c>, to
/// get floats). A file that cannot be decoded raises <see cref="ImageReadException"/> naming it: nothing is silently skipped.
/// </summary>
public class ImageFolder : Dataset<(Tensor Image, long Label)>
{
    /// <summary>torchvision's <c>IMG_EXTENSIONS</c>, compared case-insensitively.</summary>
    public static readonly IReadOnlyList<string> ImgExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    readonly ITransform? transform;
    readonly Func<long, long>? targetTransform;
    readonly Func<string, Tensor> loader;

    /// <summary>
    /// Scans <paramref name="root"/>. Files are kept when their extension is in <paramref name="extensions"/> (default
    /// <see cref="ImgExtensions"/>) or, instead, when <paramref name="isValidFile"/> accepts their path (PyTorch's
    /// <c>is_valid_file</c>; giving both is an error). <paramref name="loader"/> defaults to RGB <see cref="IO.ReadImage"/>.
    /// </summary>
    public ImageFolder(string root, ITransform? transform = null, Func<long, long>? targetTransform = null,
        Func<string, Tensor>? loader = null, Func<string, bool>? isValidFile = null, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (isValidFile is not null && extensions is not null)
            throw new ArgumentException("Both extensions and is_valid_file cannot be None or not None at the same time");
        this.transform = transform;
        this.targetTransform = targetTransform;
        this.loader = loader ?? (p => IO.ReadImage(p, ImageReadMode.Rgb));
        Root = root;
        var exts = extensions ?? (isValidFile is null ? ImgExtensions : null);
        Func<string, bool> valid = isValidFile ?? (p => exts!.Any(e => p.EndsWith(e, StringComparison.OrdinalIgnoreCase)));

        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"[Errno 2] No such file or directory: '{root}'");
        Classes = [.. Directory.EnumerateDirectories(root).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal)];
        if (Classes.Count == 0) throw new FileNotFoundException($"Couldn't find any class folder in {root}.");
        ClassToIdx = Classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => (long)t.i);
        var samples = new List<(string, long)>();
        var empty = new List<string>();
        foreach (var cls in Classes)
        {
            int before = samples.Count;
            foreach (var file in Walk(Path.Combine(root, cls)))
                if (valid(file)) samples.Add((file, ClassToIdx[cls]));
            if (samples.Count == before) empty.Add(cls);
        }
        if (empty.Count > 0)
        {
            var msg = $"Found no valid file for the classes {string.Join(", ", empty.Order(StringComparer.Ordinal))}. ";
            if (exts is not null) msg += $"Supported extensions are: {string.Join(", ", exts)}";
            throw new FileNotFoundException(msg);
        }
        Samples = samples;
        Targets = [.. samples.Select(s => s.Item2)];
    }

    /// <summary>
    /// Files under <paramref name="dir"/> in torchvision's order: <c>sorted(os.walk(dir))</c> sorts the folders by their
    /// full path (so "a-b" comes before "a/x"), and each folder's file names are sorted.
    /// </summary>
    static IEnumerable<string> Walk(string dir)
    {
        var dirs = new List<string> { dir };
        dirs.AddRange(Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories));
        foreach (var d in dirs.Order(StringComparer.Ordinal))
            foreach (var f in Directory.EnumerateFiles(d).Order(StringComparer.Ordinal)) yield return f;
    }

    /// <summary>The folder scanned.</summary>
    public string Root { get; }
    /// <summary>Class names, sorted (<c>classes</c>).</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>Class name → label (<c>class_to_idx</c>).</summary>
    public IReadOnlyDictionary<string, long> ClassToIdx { get; }
    /// <summary>(path, label) of every sample, in order (<c>samples</c> / <c>imgs</c>).</summary>
    public IReadOnlyList<(string Path, long Label)> Samples { get; }
    /// <summary>The label of every sample (<c>targets</c>).</summary>
    public IReadOnlyList<long> Targets { get; }

    /// <inheritdoc/>
    public override int Count => Samples.Count;

    /// <inheritdoc/>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            var (path, label) = Samples[CheckIndex(index)];
            var img = loader(path);
            if (transform is not null) img = transform.Apply(img);
            if (targetTransform is not null) label = targetTransform(label);
            return (img, label);
        }
    }
}
