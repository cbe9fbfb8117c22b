using Ignis.Data;

namespace Ignis.Vision;

/// <summary>
/// MNIST handwritten digits from the standard IDX files (<c>torchvision.datasets.MNIST</c>). Items are
/// (image, label): the image a uint8 [28, 28] tensor, or whatever <c>transform</c> makes of it. No downloads:
/// the files (<c>train-images-idx3-ubyte[.gz]</c>, …) are looked up in <c>root</c>, <c>root/MNIST/raw</c> and the
/// default folders.
/// </summary>
public class MNIST : Dataset<(Tensor Image, long Label)>, IBatchDataset
{
    readonly ITransform? transform;
    readonly Func<long, long>? targetTransform;

    /// <summary>Loads the training (60k) or test (10k) split.</summary>
    public MNIST(string? root = null, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : this("MNIST", [Path.Combine("data", "mnist"), Path.Combine("data", "mnist-sample"), Path.Combine(AppContext.BaseDirectory, "data", "mnist-sample")], "", root, train, transform, targetTransform) { }

    private protected MNIST(string name, string[] defaultRoots, string installHint, string? root, bool train, ITransform? transform, Func<long, long>? targetTransform)
    {
        this.transform = transform;
        this.targetTransform = targetTransform;
        Train = train;
        string prefix = train ? "train" : "t10k";
        var roots = root is not null ? [root, Path.Combine(root, name, "raw")] : defaultRoots;
        string? dir = roots.FirstOrDefault(d => Find(d, $"{prefix}-images-idx3-ubyte") is not null && Find(d, $"{prefix}-labels-idx1-ubyte") is not null);
        if (dir is null)
            throw new FileNotFoundException($"{name}: no {prefix}-images-idx3-ubyte[.gz] and {prefix}-labels-idx1-ubyte[.gz] in {string.Join(", ", roots.Select(Path.GetFullPath))}. " +
                                            "Pass root: the folder that holds the IDX files (downloads are not supported)." + installHint);
        Root = dir;
        var imagesPath = Find(dir, $"{prefix}-images-idx3-ubyte")!;
        var labelsPath = Find(dir, $"{prefix}-labels-idx1-ubyte")!;
        var (idims, images) = Idx.Read(imagesPath, 3);
        var (ldims, labels) = Idx.Read(labelsPath, 1);
        if (idims[1] != 28 || idims[2] != 28)
            throw new IdxFormatException(imagesPath, $"images are {idims[1]}x{idims[2]}; expected 28x28");
        if (idims[0] != ldims[0])
            throw new IdxFormatException(labelsPath, $"holds {ldims[0]} labels but {Path.GetFileName(imagesPath)} holds {idims[0]} images");
        foreach (var l in labels)
            if (l > 9) throw new IdxFormatException(labelsPath, $"label {l} is not a class index 0-9");
        Data = Torch.Tensor(images, idims[0], 28, 28);
        Targets = Torch.Tensor(labels.Select(l => (long)l).ToArray(), ldims[0]);
    }

    static string? Find(string dir, string name)
    {
        foreach (var n in new[] { name, name + ".gz" })
        {
            var p = Path.Combine(dir, n);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The folder the files were read from.</summary>
    public string Root { get; }
    /// <summary>Whether this is the training split.</summary>
    public bool Train { get; }
    /// <summary>All images, uint8 [N, 28, 28] (<c>.data</c>).</summary>
    public Tensor Data { get; }
    /// <summary>All labels, int64 [N] (<c>.targets</c>).</summary>
    public Tensor Targets { get; }
    /// <summary>Class names.</summary>
    public virtual IReadOnlyList<string> Classes => ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"];

    /// <inheritdoc/>
    public override int Count => (int)Data.Size(0);

    /// <inheritdoc/>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            int i = CheckIndex(index);
            Tensor img = Data[i];
            long label = Targets[i].Item<long>();
            if (transform is not null) img = transform.Apply(img);
            if (targetTransform is not null) label = targetTransform(label);
            return (img, label);
        }
    }

    Tensor[] IBatchDataset.GetBatch(long[] indices)
    {
        var idx = Torch.Tensor(indices);
        if (transform is null && targetTransform is null) return [Data.IndexSelect(0, idx), Targets.IndexSelect(0, idx)];
        return Collate.Default(indices.Select(i => this[(int)i]).ToArray());
    }
}

/// <summary>
/// Fashion-MNIST (<c>torchvision.datasets.FashionMNIST</c>): the same IDX layout; by default also looked up in
/// <c>/usr/share/datasets/fashion-mnist</c>, where Debian's <c>dataset-fashion-mnist</c> package installs it.
/// </summary>
public sealed class FashionMNIST(string? root = null, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
    : MNIST("FashionMNIST", [Path.Combine("data", "fashion-mnist"), DebianFolder], " On Debian: apt-get install dataset-fashion-mnist.", root, train, transform, targetTransform)
{
    /// <summary>Where Debian's package puts the files.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes => ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}
