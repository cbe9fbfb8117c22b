namespace Ignis.Vision;

/// <summary>One published checkpoint (<c>torchvision.models.XXX_Weights.YYY</c>).</summary>
/// <param name="Model">torchvision's builder name (<c>resnet18</c>).</param>
/// <param name="Name">The weights' enum name (<c>IMAGENET1K_V1</c>).</param>
/// <param name="Url">Where torchvision downloads it; the file name carries the SHA-256 prefix.</param>
/// <param name="Parameters">torchvision's <c>meta["num_params"]</c>.</param>
/// <param name="IsDefault">Whether torchvision's <c>DEFAULT</c> alias points here.</param>
public sealed record WeightsEntry(string Model, string Name, string Url, long Parameters, bool IsDefault)
{
    /// <summary>The cached local file, downloading it if needed (see <see cref="Torch.Hub.Fetch"/>).</summary>
    public string Fetch(IProgress<DownloadProgress>? progress = null) => Torch.Hub.Fetch(Url, checkHash: true, progress);

    /// <summary>The state dict, for <c>model.LoadStateDict(...)</c>.</summary>
    public OrderedDictionary<string, Tensor> LoadStateDict(Device? mapLocation = null, IProgress<DownloadProgress>? progress = null) =>
        Torch.Load<OrderedDictionary<string, Tensor>>(Fetch(progress), mapLocation);
}

/// <summary>
/// torchvision 0.14's published ImageNet weights for the models Ignis' benchmarks and seed programs use, taken from
/// torchvision's own <c>Weights</c> enums (URL, parameter count, which is <c>DEFAULT</c>).
/// </summary>
public static class PretrainedWeights
{
    const string Base = "https://download.pytorch.org/models/";

    /// <summary>Every entry.</summary>
    public static IReadOnlyList<WeightsEntry> All { get; } =
    [
        new("alexnet", "IMAGENET1K_V1", Base + "alexnet-owt-7be5be79.pth", 61100840, true),
        new("vgg16", "IMAGENET1K_V1", Base + "vgg16-397923af.pth", 138357544, true),
        new("vgg16", "IMAGENET1K_FEATURES", Base + "vgg16_features-amdegroot-88682ab5.pth", 138357544, false),
        new("resnet18", "IMAGENET1K_V1", Base + "resnet18-f37072fd.pth", 11689512, true),
        new("resnet34", "IMAGENET1K_V1", Base + "resnet34-b627a593.pth", 21797672, true),
        new("resnet50", "IMAGENET1K_V1", Base + "resnet50-0676ba61.pth", 25557032, false),
        new("resnet50", "IMAGENET1K_V2", Base + "resnet50-11ad3fa6.pth", 25557032, true),
        new("mobilenet_v2", "IMAGENET1K_V1", Base + "mobilenet_v2-b0353104.pth", 3504872, false),
        new("mobilenet_v2", "IMAGENET1K_V2", Base + "mobilenet_v2-7ebf99e0.pth", 3504872, true),
        new("efficientnet_b0", "IMAGENET1K_V1", Base + "efficientnet_b0_rwightman-3dd342df.pth", 5288548, true),
    ];

    /// <summary>
    /// The entry for <paramref name="model"/> and <paramref name="name"/> (<c>"DEFAULT"</c> or an enum name such as
    /// <c>"IMAGENET1K_V1"</c>); the error lists what exists.
    /// </summary>
    public static WeightsEntry Get(string model, string name = "DEFAULT")
    {
        var found = All.FirstOrDefault(w => w.Model == model && (name == "DEFAULT" ? w.IsDefault : w.Name == name));
        return found ?? throw new KeyNotFoundException(
            $"no weights {name} for {model}; known: {string.Join(", ", All.Select(w => $"{w.Model}.{w.Name}"))}");
    }
}
