using Ignis.Data;

namespace Ignis.Vision;

/// <summary>
/// CIFAR-10 from its binary version (<c>cifar-10-batches-bin</c>: <c>data_batch_1..5.bin</c>, <c>test_batch.bin</c>; each
/// record a label byte and 3,072 pixel bytes). Images are uint8 [3, 32, 32] (<c>Data</c> holds [N, 3, 32, 32]); no downloads.
/// </summary>
public class CIFAR10 : Dataset<(Tensor Image, long Label)>, IBatchDataset
{
    readonly ITransform? transform;
    readonly Func<long, long>? targetTransform;

    /// <summary>Loads the training (50k) or test (10k) split from <paramref name="root"/> (the folder holding the .bin files, or its parent).</summary>
    public CIFAR10(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : this(root, train, transform, targetTransform, "cifar-10-batches-bin",
               train ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"] : ["test_batch.bin"],
               labelBytes: 1, classes: 10) { }

    private protected CIFAR10(string root, bool train, ITransform? transform, Func<long, long>? targetTransform, string folder,
        string[] files, int labelBytes, int classes)
    {
        ArgumentNullException.ThrowIfNull(root);
        this.transform = transform;
        this.targetTransform = targetTransform;
        Train = train;
        var dir = File.Exists(Path.Combine(root, files[0])) ? root : Path.Combine(root, folder);
        int record = labelBytes + 3072;
        var labels = new List<long>();
        var pixels = new List<byte[]>();
        long total = 0;
        foreach (var f in files)
        {
            var path = Path.Combine(dir, f);
            if (!File.Exists(path))
                throw new FileNotFoundException($"{GetType().Name}: {path} not found. Pass root: the folder holding the binary version's files ({string.Join(", ", files)}); downloads are not supported.", path);
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % record != 0)
                throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {record}-byte records; not a CIFAR binary batch");
            int n = bytes.Length / record;
            var img = new byte[(long)n * 3072];
            for (int i = 0; i < n; i++)
            {
                int label = bytes[(long)i * record + labelBytes - 1];
                if (label >= classes) throw new InvalidDataException($"{path}: record {i} has label {label}, not a class index 0-{classes - 1}");
                labels.Add(label);
                Array.Copy(bytes, (long)i * record + labelBytes, img, (long)i * 3072, 3072);
            }
            pixels.Add(img);
            total += n;
        }
        var all = new byte[total * 3072];
        long at = 0;
        foreach (var p in pixels) { p.CopyTo(all, at); at += p.Length; }
        Data = Torch.Tensor(all, total, 3, 32, 32);
        Targets = Torch.Tensor([.. labels], total);
        Root = dir;
    }

    /// <summary>The folder the files were read from.</summary>
    public string Root { get; }
    /// <summary>Whether this is the training split.</summary>
    public bool Train { get; }
    /// <summary>All images, uint8 [N, 3, 32, 32].</summary>
    public Tensor Data { get; }
    /// <summary>All labels, int64 [N].</summary>
    public Tensor Targets { get; }
    /// <summary>Class names.</summary>
    public virtual IReadOnlyList<string> Classes => ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

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
/// CIFAR-100 from its binary version (<c>cifar-100-binary</c>: <c>train.bin</c>, <c>test.bin</c>; each record a coarse
/// and a fine label byte, then 3,072 pixel bytes). Labels are the fine (100-class) ones, as torchvision's.
/// </summary>
public sealed class CIFAR100(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
    : CIFAR10(root, train, transform, targetTransform, "cifar-100-binary", [train ? "train.bin" : "test.bin"], labelBytes: 2, classes: 100)
{
    /// <summary>Class names are not in the binary files (<c>fine_label_names.txt</c> sits beside them); read from there when present.</summary>
    public override IReadOnlyList<string> Classes
    {
        get
        {
            var names = Path.Combine(Root, "fine_label_names.txt");
            return File.Exists(names) ? [.. File.ReadAllLines(names).Where(l => l.Length > 0)] : [.. Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        }
    }
}
