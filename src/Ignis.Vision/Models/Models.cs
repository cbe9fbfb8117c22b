using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>
/// torchvision's model builders (<c>torchvision.models.resnet18(weights=..., num_classes=...)</c>,
/// <c>get_model</c>, <c>list_models</c>): <c>Models.ResNet18(numClasses: 10)</c>, <c>Models.Get("resnet18", weights: "DEFAULT")</c>.
/// Every model has torchvision 0.14's module tree, parameter names, initialisation and printed form.
/// </summary>
public static class Models
{
    static readonly Dictionary<string, Func<int, Module<Tensor, Tensor>>> Builders = new()
    {
        ["alexnet"] = n => new AlexNet(n),
        ["vgg11"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["A"], false), n),
        ["vgg11_bn"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["A"], true), n),
        ["vgg13"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["B"], false), n),
        ["vgg13_bn"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["B"], true), n),
        ["vgg16"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["D"], false), n),
        ["vgg16_bn"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["D"], true), n),
        ["vgg19"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["E"], false), n),
        ["vgg19_bn"] = n => new Vgg(Vgg.MakeLayers(Vgg.Configs["E"], true), n),
        ["resnet18"] = n => new ResNet(false, [2, 2, 2, 2], n),
        ["resnet34"] = n => new ResNet(false, [3, 4, 6, 3], n),
        ["resnet50"] = n => new ResNet(true, [3, 4, 6, 3], n),
        ["resnet101"] = n => new ResNet(true, [3, 4, 23, 3], n),
        ["resnet152"] = n => new ResNet(true, [3, 8, 36, 3], n),
        ["resnext50_32x4d"] = n => new ResNet(true, [3, 4, 6, 3], n, groups: 32, widthPerGroup: 4),
        ["wide_resnet50_2"] = n => new ResNet(true, [3, 4, 6, 3], n, widthPerGroup: 128),
        ["squeezenet1_0"] = n => new SqueezeNet("1_0", n),
        ["squeezenet1_1"] = n => new SqueezeNet("1_1", n),
        ["densenet121"] = n => new DenseNet(32, [6, 12, 24, 16], 64, numClasses: n),
        ["mobilenet_v2"] = n => new MobileNetV2(n),
        ["mobilenet_v3_large"] = n => BuildMobileNetV3("mobilenet_v3_large", n),
        ["mobilenet_v3_small"] = n => BuildMobileNetV3("mobilenet_v3_small", n),
        ["efficientnet_b0"] = n => BuildEfficientNet(1.0, 1.0, 0.2, n),
        ["efficientnet_b1"] = n => BuildEfficientNet(1.0, 1.1, 0.2, n),
        ["efficientnet_b2"] = n => BuildEfficientNet(1.1, 1.2, 0.3, n),
        ["efficientnet_b3"] = n => BuildEfficientNet(1.2, 1.4, 0.3, n),
        ["efficientnet_b4"] = n => BuildEfficientNet(1.4, 1.8, 0.4, n),
        ["efficientnet_b5"] = n => BuildEfficientNet(1.6, 2.2, 0.4, n, torchvisionEps: true),
        ["efficientnet_b6"] = n => BuildEfficientNet(1.8, 2.6, 0.5, n, torchvisionEps: true),
        ["efficientnet_b7"] = n => BuildEfficientNet(2.0, 3.1, 0.5, n, torchvisionEps: true),
        ["shufflenet_v2_x1_0"] = n => new ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], n),
        ["vit_b_16"] = n => new VisionTransformer(224, 16, 12, 12, 768, 3072, numClasses: n),
        ["convnext_tiny"] = n => new ConvNeXt([new(96, 192, 3), new(192, 384, 3), new(384, 768, 9), new(768, null, 3)], 0.1, numClasses: n),
    };

    static MobileNetV3 BuildMobileNetV3(string arch, int numClasses)
    {
        var (setting, last) = Ignis.Vision.Models.MobileNetV3.Conf(arch);
        return new Ignis.Vision.Models.MobileNetV3(setting, last, numClasses);
    }

    static EfficientNet BuildEfficientNet(double width, double depth, double dropout, int numClasses, bool torchvisionEps = false) =>
        new(Ignis.Vision.Models.EfficientNet.Conf(width, depth), dropout, numClasses: numClasses,
            normLayer: torchvisionEps ? c => new BatchNorm2d(c, eps: 0.001, momentum: 0.01) : null);

    /// <summary>The builder names, sorted (<c>torchvision.models.list_models()</c>).</summary>
    public static IReadOnlyList<string> List() => [.. Builders.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Builds <paramref name="name"/> (<c>torchvision.models.get_model(name, weights=..., num_classes=...)</c>).
    /// <paramref name="weights"/> is null (random initialisation), "DEFAULT" or a weights name such as "IMAGENET1K_V1";
    /// pretrained weights are fetched through <see cref="PretrainedWeights"/> and need 1000 classes, as in torchvision.
    /// </summary>
    public static Module<Tensor, Tensor> Get(string name, string? weights = null, int numClasses = 1000, IProgress<DownloadProgress>? progress = null)
    {
        if (!Builders.TryGetValue(name, out var build))
            throw new ArgumentException($"Unknown model {name}; known: {string.Join(", ", List())}");
        WeightsEntry? entry = null;
        if (weights is not null)
        {
            entry = PretrainedWeights.Get(name, weights);
            if (numClasses != 1000) throw new ArgumentException($"The parameter 'num_classes' expected value 1000 but got {numClasses} instead.");
        }
        // ViT's SWAG end-to-end weights are for 384-pixel inputs: torchvision builds the model at the weights' min_size.
        var model = entry is { Model: "vit_b_16", MinSize: not 224 }
            ? new VisionTransformer(entry.MinSize, 16, 12, 12, 768, 3072, numClasses: numClasses)
            : build(numClasses);
        if (entry is not null) model.LoadStateDict(entry.LoadStateDict(progress: progress));
        return model;
    }

    static T Build<T>(string name, int numClasses, string? weights, IProgress<DownloadProgress>? progress) where T : Module<Tensor, Tensor> =>
        (T)Get(name, weights, numClasses, progress);

    /// <summary><c>torchvision.models.alexnet</c>.</summary>
    public static AlexNet AlexNet(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<AlexNet>("alexnet", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg11</c>.</summary>
    public static Vgg Vgg11(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg11", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg11_bn</c>.</summary>
    public static Vgg Vgg11Bn(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg11_bn", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg13</c>.</summary>
    public static Vgg Vgg13(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg13", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg13_bn</c>.</summary>
    public static Vgg Vgg13Bn(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg13_bn", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg16</c>.</summary>
    public static Vgg Vgg16(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg16", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg16_bn</c>.</summary>
    public static Vgg Vgg16Bn(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg16_bn", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg19</c>.</summary>
    public static Vgg Vgg19(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg19", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vgg19_bn</c>.</summary>
    public static Vgg Vgg19Bn(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<Vgg>("vgg19_bn", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnet18</c>.</summary>
    public static ResNet ResNet18(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnet18", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnet34</c>.</summary>
    public static ResNet ResNet34(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnet34", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnet50</c>.</summary>
    public static ResNet ResNet50(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnet50", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnet101</c>.</summary>
    public static ResNet ResNet101(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnet101", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnet152</c>.</summary>
    public static ResNet ResNet152(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnet152", numClasses, weights, progress);
    /// <summary><c>torchvision.models.resnext50_32x4d</c>.</summary>
    public static ResNet ResNeXt50_32x4d(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("resnext50_32x4d", numClasses, weights, progress);
    /// <summary><c>torchvision.models.wide_resnet50_2</c>.</summary>
    public static ResNet WideResNet50_2(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ResNet>("wide_resnet50_2", numClasses, weights, progress);
    /// <summary><c>torchvision.models.squeezenet1_0</c>.</summary>
    public static SqueezeNet SqueezeNet1_0(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<SqueezeNet>("squeezenet1_0", numClasses, weights, progress);
    /// <summary><c>torchvision.models.squeezenet1_1</c>.</summary>
    public static SqueezeNet SqueezeNet1_1(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<SqueezeNet>("squeezenet1_1", numClasses, weights, progress);
    /// <summary><c>torchvision.models.densenet121</c>.</summary>
    public static DenseNet DenseNet121(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<DenseNet>("densenet121", numClasses, weights, progress);
    /// <summary><c>torchvision.models.mobilenet_v2</c>.</summary>
    public static MobileNetV2 MobileNetV2(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<MobileNetV2>("mobilenet_v2", numClasses, weights, progress);
    /// <summary><c>torchvision.models.mobilenet_v3_large</c>.</summary>
    public static MobileNetV3 MobileNetV3Large(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<MobileNetV3>("mobilenet_v3_large", numClasses, weights, progress);
    /// <summary><c>torchvision.models.mobilenet_v3_small</c>.</summary>
    public static MobileNetV3 MobileNetV3Small(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<MobileNetV3>("mobilenet_v3_small", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b0</c>.</summary>
    public static EfficientNet EfficientNetB0(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b0", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b1</c>.</summary>
    public static EfficientNet EfficientNetB1(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b1", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b2</c>.</summary>
    public static EfficientNet EfficientNetB2(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b2", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b3</c>.</summary>
    public static EfficientNet EfficientNetB3(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b3", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b4</c>.</summary>
    public static EfficientNet EfficientNetB4(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b4", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b5</c>.</summary>
    public static EfficientNet EfficientNetB5(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b5", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b6</c>.</summary>
    public static EfficientNet EfficientNetB6(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b6", numClasses, weights, progress);
    /// <summary><c>torchvision.models.efficientnet_b7</c>.</summary>
    public static EfficientNet EfficientNetB7(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<EfficientNet>("efficientnet_b7", numClasses, weights, progress);
    /// <summary><c>torchvision.models.shufflenet_v2_x1_0</c>.</summary>
    public static ShuffleNetV2 ShuffleNetV2X1_0(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ShuffleNetV2>("shufflenet_v2_x1_0", numClasses, weights, progress);
    /// <summary><c>torchvision.models.vit_b_16</c>.</summary>
    public static VisionTransformer VitB16(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<VisionTransformer>("vit_b_16", numClasses, weights, progress);
    /// <summary><c>torchvision.models.convnext_tiny</c>.</summary>
    public static ConvNeXt ConvNeXtTiny(int numClasses = 1000, string? weights = null, IProgress<DownloadProgress>? progress = null) => Build<ConvNeXt>("convnext_tiny", numClasses, weights, progress);
}
