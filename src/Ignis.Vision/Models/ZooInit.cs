using Ignis.Nn;

namespace Ignis.Vision.Models;

/// <summary>The initialisation loop torchvision's mobile models share (MobileNetV2/V3, EfficientNet).</summary>
internal static class ZooInit
{
    /// <summary>
    /// Over <c>model.modules()</c> in order: Kaiming-normal (fan-out) convolutions with zero bias, unit batch norms, and
    /// <paramref name="linear"/> for each Linear (the one place the three models differ).
    /// </summary>
    public static void MobileStyle(Module model, Action<Linear> linear)
    {
        foreach (var m in model.Modules())
        {
            switch (m)
            {
                case Conv2d c:
                    Init.KaimingNormal_(c.Weight, mode: "fan_out");
                    if (c.Bias is not null) Init.Zeros_(c.Bias);
                    break;
                case BatchNorm2d b: Init.Ones_(b.Weight!); Init.Zeros_(b.Bias!); break;
                case Linear l: linear(l); break;
            }
        }
    }

    /// <summary>MobileNet's Linear: N(0, 0.01) weight, zero bias.</summary>
    public static void NormalLinear(Linear l)
    {
        Init.Normal_(l.Weight, 0, 0.01);
        Init.Zeros_(l.Bias!);
    }
}
