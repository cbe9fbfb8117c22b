namespace Ignis.Vision;

/// <summary>One published checkpoint (<c>torchvision.models.XXX_Weights.YYY</c>).</summary>
/// <param name="Model">torchvision's builder name (<c>resnet18</c>).</param>
/// <param name="Name">The weights' enum name (<c>IMAGENET1K_V1</c>).</param>
/// <param name="Url">Where torchvision downloads it; the file name carries the SHA-256 prefix.</param>
/// <param name="Parameters">torchvision's <c>meta["num_params"]</c>.</param>
/// <param name="IsDefault">Whether torchvision's <c>DEFAULT</c> alias points here.</param>
public sealed record WeightsEntry(string Model, string Name, string Url, long Parameters, bool IsDefault)
{
    /// <summary>The eval preset's shorter-side resize (<c>ImageClassification(resize_size=...)</c>).</summary>
    public int ResizeSize { get; init; } = 256;
    /// <summary>The eval preset's centre crop.</summary>
    public int CropSize { get; init; } = 224;
    /// <summary>The eval preset's resize interpolation: "bilinear" or "bicubic".</summary>
    public string Interpolation { get; init; } = "bilinear";
    /// <summary>torchvision's <c>meta["min_size"]</c>: the smallest input side the model accepts (ViT's image size).</summary>
    public int MinSize { get; init; } = 1;
    /// <summary>True for feature-extraction checkpoints with no categories (vgg16's <c>IMAGENET1K_FEATURES</c>: its classifier is NaN).</summary>
    public bool FeaturesOnly { get; init; }

    /// <summary>The categories, index = class (<c>meta["categories"]</c>); empty for <see cref="FeaturesOnly"/> weights.</summary>
    public IReadOnlyList<string> Categories => FeaturesOnly ? [] : PretrainedWeights.ImageNetCategories;

    /// <summary>The eval preset's normalisation mean (ImageNet's).</summary>
    public IReadOnlyList<double> Mean { get; } = [0.485, 0.456, 0.406];
    /// <summary>The eval preset's normalisation standard deviation (ImageNet's).</summary>
    public IReadOnlyList<double> Std { get; } = [0.229, 0.224, 0.225];

    /// <summary>
    /// The eval preset (<c>weights.transforms()</c>, torchvision's <c>ImageClassification</c>) on [C, H, W] tensors:
    /// resize the shorter side to <see cref="ResizeSize"/> with <see cref="Interpolation"/> (no antialiasing, as
    /// torchvision's tensor path), centre-crop <see cref="CropSize"/>, scale uint8 to [0, 1], normalise.
    /// </summary>
    public ITransform Transforms() => new Compose(
        new Resize(ResizeSize, Interpolation),
        new CenterCrop(CropSize),
        new ConvertImageDtype(DType.Float32),
        new Normalize([.. Mean], [.. Std]));

    /// <summary>The cached local file, downloading it if needed (see <see cref="Torch.Hub.Fetch"/>).</summary>
    public string Fetch(IProgress<DownloadProgress>? progress = null) => Torch.Hub.Fetch(Url, checkHash: true, progress);

    /// <summary>The state dict, for <c>model.LoadStateDict(...)</c>.</summary>
    public OrderedDictionary<string, Tensor> LoadStateDict(Device? mapLocation = null, IProgress<DownloadProgress>? progress = null) =>
        Torch.Load<OrderedDictionary<string, Tensor>>(Fetch(progress), mapLocation);
}

/// <summary>
/// torchvision 0.14's published ImageNet weights for the zoo's models, generated from torchvision's own <c>Weights</c>
/// enums (URL, parameter count, which is <c>DEFAULT</c>, eval preset, categories) into PretrainedWeights.Table.cs.
/// </summary>
public static partial class PretrainedWeights
{
    /// <summary>
    /// The entry for <paramref name="model"/> and <paramref name="name"/> (<c>"DEFAULT"</c> or an enum name such as
    /// <c>"IMAGENET1K_V1"</c>); the error lists what exists.
    /// </summary>
    public static WeightsEntry Get(string model, string name = "DEFAULT")
    {
        var found = All.FirstOrDefault(w => w.Model == model && (name == "DEFAULT" ? w.IsDefault : w.Name == name));
        if (found is not null) return found;
        var known = All.Any(w => w.Model == model) ? All.Where(w => w.Model == model) : All;
        throw new KeyNotFoundException($"no weights {name} for {model}; known: {string.Join(", ", known.Select(w => $"{w.Model}.{w.Name}"))}");
    }
}
