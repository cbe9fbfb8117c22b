using Ignis.Data;
using Xunit;

namespace Ignis.Vision.Tests;

/// <summary>ImageFolder (torchvision's scan order and errors) and CIFAR's binary files.</summary>
public sealed class DatasetTests : IDisposable
{
    static readonly string Images = Path.Combine(AppContext.BaseDirectory, "Fixtures", "images");
    readonly string root = Path.Combine(Path.GetTempPath(), $"ignis-ds-{Guid.NewGuid():N}");

    public DatasetTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    string Put(string rel, string fixture)
    {
        var p = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.Copy(Path.Combine(Images, fixture), p);
        return p;
    }

    [Fact]
    public void Image_folder_scans_like_torchvision()
    {
        Put("dog/x.WEBP", "rgb.webp");
        Put("cat/b.png", "rgb.png");
        Put("cat/a.jpg", "rgb.jpg");
        Put("cat/a/x.bmp", "rgb.bmp");
        Put("cat/a-b/y.png", "gray.png");
        File.WriteAllText(Path.Combine(root, "dog", "notes.txt"), "not an image");
        File.WriteAllText(Path.Combine(root, "stray.png"), "files directly under root are not samples");
        var ds = new ImageFolder(root);
        Assert.Equal(["cat", "dog"], ds.Classes);
        // sorted(os.walk(...)): folders by full path ("cat" < "cat/a" < "cat/a-b"), then file names.
        Assert.Equal(["cat/a.jpg", "cat/b.png", "cat/a/x.bmp", "cat/a-b/y.png", "dog/x.WEBP"],
            ds.Samples.Select(s => Path.GetRelativePath(root, s.Path).Replace('\\', '/')));
        Assert.Equal([0L, 0, 0, 0, 1], ds.Targets);
        var (img, label) = ds[3];
        Assert.Equal([3L, 17, 23], img.Shape);   // a gray PNG read as RGB
        Assert.Equal(0, label);
        var typed = new ImageFolder(root, transform: new ConvertImageDtype(DType.Float32));
        Assert.Equal(DType.Float32, typed[0].Image.DType);
        var loader = new DataLoader<(Tensor Image, long Label)>(new ImageFolder(root, transform: new CenterCrop(8)), batchSize: 5);
        var batch = loader.First();
        Assert.Equal([5L, 3, 8, 8], batch[0].Shape);
    }

    [Fact]
    public void Image_folder_never_drops_files_silently()
    {
        Put("cat/good.png", "rgb.png");
        Put("cat/broken.png", "truncated.png");
        var ds = new ImageFolder(root);
        Assert.Equal(2, ds.Count);
        var e = Assert.Throws<ImageReadException>(() => ds[0]);
        Assert.Contains("broken.png", e.Message);
    }

    [Fact]
    public void Image_folder_errors_match_torchvision()
    {
        Assert.Equal($"Couldn't find any class folder in {root}.", Assert.Throws<FileNotFoundException>(() => new ImageFolder(root)).Message);
        Put("cat/a.png", "rgb.png");
        Directory.CreateDirectory(Path.Combine(root, "dog"));
        File.WriteAllText(Path.Combine(root, "dog", "a.txt"), "x");
        var e = Assert.Throws<FileNotFoundException>(() => new ImageFolder(root));
        Assert.StartsWith("Found no valid file for the classes dog. Supported extensions are: .jpg, .jpeg, .png", e.Message);
        var custom = new ImageFolder(root, isValidFile: p => p.EndsWith(".png", StringComparison.Ordinal) || p.EndsWith(".txt", StringComparison.Ordinal),
            loader: _ => Torch.Zeros([3, 2, 2], DType.UInt8));
        Assert.Equal(2, custom.Count);
        Assert.Equal("Both extensions and is_valid_file cannot be None or not None at the same time",
            Assert.Throws<ArgumentException>(() => new ImageFolder(root, isValidFile: _ => true, extensions: [".png"])).Message);
    }

    static byte[] Records(int labelBytes, params int[] labels)
    {
        int rec = labelBytes + 3072;
        var b = new byte[labels.Length * rec];
        for (int i = 0; i < labels.Length; i++)
        {
            b[i * rec + labelBytes - 1] = (byte)labels[i];
            if (labelBytes == 2) b[i * rec] = 7; // coarse label, ignored
            for (int j = 0; j < 3072; j++) b[i * rec + labelBytes + j] = (byte)((j + i * 11) % 251);
        }
        return b;
    }

    [Fact]
    public void Cifar10_reads_the_binary_batches()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "cifar-10-batches-bin")).FullName;
        for (int k = 1; k <= 5; k++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{k}.bin"), Records(1, k, 9 - k));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Records(1, 3));
        var train = new CIFAR10(root);
        Assert.Equal(10, train.Count);
        Assert.Equal([1L, 8, 2, 7, 3, 6, 4, 5, 5, 4], train.Targets.ToArray<long>());
        var (img, label) = train[1];
        Assert.Equal([3L, 32, 32], img.Shape);
        Assert.Equal(8, label);
        Assert.Equal((byte)((1024 + 11) % 251), img[1, 0, 0].Item<byte>()); // green plane starts at byte 1024
        Assert.Equal("truck", train.Classes[9]);
        Assert.Equal(1, new CIFAR10(dir, train: false).Count);
        var batch = new DataLoader<(Tensor Image, long Label)>(train, batchSize: 4).First();
        Assert.Equal([4L, 3, 32, 32], batch[0].Shape);
    }

    [Fact]
    public void Cifar100_uses_fine_labels_and_rejects_bad_files()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "cifar-100-binary")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), Records(2, 42, 99));
        Assert.Equal([42L, 99], new CIFAR100(root).Targets.ToArray<long>());
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), Records(2, 100));
        Assert.Contains("label 100", Assert.Throws<InvalidDataException>(() => new CIFAR100(root, train: false)).Message);
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), new byte[3000]);
        Assert.Contains("not a whole number", Assert.Throws<InvalidDataException>(() => new CIFAR100(root, train: false)).Message);
        Assert.Contains("downloads are not supported", Assert.Throws<FileNotFoundException>(() => new CIFAR10(root)).Message);
    }
}
