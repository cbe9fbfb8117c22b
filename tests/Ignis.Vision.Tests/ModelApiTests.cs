using Ignis.Nn;
using Ignis.Vision.Models;
using Xunit;

namespace Ignis.Vision.Tests;

/// <summary>The zoo's API as a PyTorch user drives it: builders, 1000-class heads, replacing a head, errors.</summary>
public class ModelApiTests
{
    public static TheoryData<string> AllModels() => [.. Models.Models.List()];

    [Theory, MemberData(nameof(AllModels))]
    public void Thousand_class_parameter_count_matches_torchvision(string name)
    {
        var model = Models.Models.Get(name);
        Assert.Equal(ZooFixture.Case(name).GetProperty("params_1000").GetInt64(), model.ParameterCount());
    }

    [Fact]
    public void Replacing_resnet_fc_works_as_in_pytorch()
    {
        var model = Models.Models.ResNet18();
        model.Fc = new Linear(512, 10);
        var sd = model.StateDict();
        Assert.Equal([10L, 512L], sd["fc.weight"].Shape);
        Assert.Equal("fc.bias", sd.Keys.Last());
        model.Eval();
        using (Torch.NoGrad()) Assert.Equal([2L, 10L], model.Forward(Torch.Randn(2, 3, 32, 32)).Shape);
        Assert.Equal(11_181_642L, model.ParameterCount());
    }

    [Fact]
    public void Replacing_a_classifier_entry_keeps_its_name()
    {
        var model = Models.Models.Vgg11(numClasses: 1000);
        model.Classifier[6] = new Linear(4096, 10);
        var sd = model.StateDict();
        Assert.Equal([10L, 4096L], sd["classifier.6.weight"].Shape);
        Assert.Equal(sd.Keys.Count, sd.Keys.Distinct().Count());
        Assert.Contains("(6): Linear(in_features=4096, out_features=10, bias=True)", model.ToString());
        Assert.Throws<IndexOutOfRangeException>(() => model.Classifier[7] = new Linear(1, 1));
    }

    [Fact]
    public void Typed_builders_return_the_model_types()
    {
        Assert.IsType<MobileNetV2>(Models.Models.MobileNetV2(numClasses: 10));
        Assert.IsType<EfficientNet>(Models.Models.EfficientNetB0(numClasses: 10));
        Assert.Equal("VGG", Models.Models.Vgg11(numClasses: 10).ToString()[..3]);
    }

    [Fact]
    public void Errors_name_what_exists()
    {
        var e = Assert.Throws<ArgumentException>(() => Models.Models.Get("resnet19"));
        Assert.Contains("resnet18", e.Message);
        var w = Assert.Throws<ArgumentException>(() => Models.Models.Get("resnet18", weights: "DEFAULT", numClasses: 10));
        Assert.Equal("The parameter 'num_classes' expected value 1000 but got 10 instead.", w.Message);
        Assert.Throws<KeyNotFoundException>(() => Models.Models.Get("resnet18", weights: "IMAGENET1K_V9"));
    }

    [Fact]
    public void A_torchvision_checkpoint_loads_and_gives_torchvisions_logits()
    {
        // Written by torch.save(mobilenet_v3_small(num_classes=10).state_dict()) with trained-looking running stats.
        var state = Torch.Load<OrderedDictionary<string, Tensor>>(Path.Combine(AppContext.BaseDirectory, "Fixtures", "mobilenet_v3_small_c10.pth"));
        var model = Models.Models.MobileNetV3Small(numClasses: 10);
        var (missing, unexpected) = model.LoadStateDict(state);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        model.Eval();
        Tensor logits;
        using (Torch.NoGrad()) logits = model.Forward(ZooFixture.Input(2, 3, 64, 64));
        var want = ZooFixture.Doubles(ZooFixture.Op("pth_mobilenet_v3_small").GetProperty("logits"));
        var got = logits.Double().Reshape(-1).ToArray<double>();
        double scale = want.Max(Math.Abs);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4 * scale, $"logit {i}: {want[i]} vs {got[i]}");
    }

    [Fact]
    public void Vit_checks_the_image_size()
    {
        var vit = new VisionTransformer(32, 16, 1, 2, 8, 16, numClasses: 3);
        var e = Assert.Throws<ArgumentException>(() => vit.Forward(Torch.Zeros(1, 3, 48, 32)));
        Assert.Equal("Wrong image height! Expected 32 but got 48!", e.Message);
        Assert.Equal([1L, 3L], vit.Forward(Torch.Zeros(1, 3, 32, 32)).Shape);
    }
}
