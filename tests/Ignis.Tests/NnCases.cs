using Ignis;
using F = Ignis.Nn.Functional;

namespace Ignis.Tests;

/// <summary>The C# twin of every case in tools/fixtures/make_nn_fixtures.py's nn.json.</summary>
internal static class NnCases
{
    static Tensor L(params long[] v) => Fixture.OnDevice(Torch.Tensor(v));
    static readonly Tensor T = L(1, 0, 3, 3, 2);
    static readonly Tensor Tign = L(1, -100, 3, 3, 2);

    /// <summary>Tensors the Python script built inline (weights, targets) are read back from the fixture by name.</summary>
    public static Tensor Extra(string name) => Fixture.ToTensor(Fixture.Case("nn_extras", name).GetProperty("output"));

    public static readonly Dictionary<string, Func<Tensor[], Tensor>> All = new()
    {
        ["gelu"] = x => F.Gelu(x[0]),
        ["silu"] = x => F.Silu(x[0]),
        ["hardswish"] = x => F.Hardswish(x[0]),
        ["hardsigmoid"] = x => F.Hardsigmoid(x[0]),
        ["relu6"] = x => F.Relu6(x[0]),
        ["gelu_tanh"] = x => F.Gelu(x[0], "tanh"),
        ["leaky_relu"] = x => F.LeakyRelu(x[0], 0.2),
        ["erf"] = x => x[0].Erf(),
        ["erfinv"] = x => x[0].Erfinv(),
        ["gelu_f64"] = x => F.Gelu(x[0]),
        ["dropout"] = x => F.Dropout(x[0], 0.3, training: true),
        ["dropout2d"] = x => F.Dropout2d(x[0], 0.5, training: true),
        ["embedding"] = x => F.Embedding(Fixture.OnDevice(Torch.Tensor([1L, 2, 1, 0, 5, 2], 2, 3)), x[0], paddingIdx: 2),
        ["linear"] = x => F.Linear(x[0], x[1], x[2]),
        ["linear_3d"] = x => F.Linear(x[0], x[1], x[2]),
        ["ce"] = x => F.CrossEntropy(x[0], T),
        ["ce_sum"] = x => F.CrossEntropy(x[0], T, reduction: "sum"),
        ["ce_none"] = x => F.CrossEntropy(x[0], T, reduction: "none"),
        ["ce_weight"] = x => F.CrossEntropy(x[0], T, weight: Extra("W")),
        ["ce_ignore"] = x => F.CrossEntropy(x[0], Tign),
        ["ce_smooth"] = x => F.CrossEntropy(x[0], T, labelSmoothing: 0.1),
        ["ce_smooth_weight_ignore"] = x => F.CrossEntropy(x[0], Tign, weight: Extra("W"), labelSmoothing: 0.2),
        ["ce_probs"] = x => F.CrossEntropy(x[0], Extra("P")),
        ["ce_probs_weight_smooth"] = x => F.CrossEntropy(x[0], Extra("P"), weight: Extra("W"), labelSmoothing: 0.1),
        ["ce_nd"] = x => F.CrossEntropy(x[0], Fixture.OnDevice(Torch.Tensor([0L, 2, 1, 1, 2, 2, 0, 1], 2, 2, 2))),
        ["ce_unbatched"] = x => F.CrossEntropy(x[0], Fixture.OnDevice(Torch.Scalar(2, DType.Int64))),
        ["nll"] = x => F.NllLoss(x[0].LogSoftmax(1), T),
        ["nll_weight_ignore"] = x => F.NllLoss(x[0], Tign, weight: Extra("W")),
        ["mse"] = x => F.MseLoss(x[0], Extra("Y")),
        ["mse_sum"] = x => F.MseLoss(x[0], Extra("Y"), "sum"),
        ["l1"] = x => F.L1Loss(x[0], Extra("Y")),
        ["smooth_l1"] = x => F.SmoothL1Loss(x[0], Extra("Y")),
        ["smooth_l1_beta"] = x => F.SmoothL1Loss(x[0], Extra("Y"), "none", beta: 0.5),
        ["bce"] = x => F.BinaryCrossEntropy(x[0], x[1]),
        ["bce_weight_sum"] = x => F.BinaryCrossEntropy(x[0], x[1], weight: Extra("bce_weight"), reduction: "sum"),
        ["bce_logits"] = x => F.BinaryCrossEntropyWithLogits(x[0], x[1]),
        ["bce_logits_pos"] = x => F.BinaryCrossEntropyWithLogits(x[0], x[1], posWeight: Fixture.OnDevice(Torch.Tensor([1f, 2f, 3f, 0.5f]))),
    };

    /// <summary>Cases whose grad_fn in PyTorch comes from an implementation detail (a view after matmul, a Python-scalar divide).</summary>
    public static readonly HashSet<string> UncheckedGradFn = ["linear_3d", "ce_probs", "ce_probs_weight_smooth"];

    /// <summary>Cases that draw random numbers: the generator is seeded first, as the script did.</summary>
    public static readonly Dictionary<string, long> Seeds = new() { ["dropout"] = 7, ["dropout2d"] = 8 };
}
