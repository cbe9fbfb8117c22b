using BenchmarkDotNet.Attributes;
using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>BenchmarkDotNet micro-benchmarks of Ignis kernels (run: <c>-- bdn --filter '*'</c>).</summary>
[MemoryDiagnoser]
public class GemmBench
{
    I.Tensor a = null!, b = null!;

    /// <summary>Matrix size.</summary>
    [Params(256, 512, 1024)] public int N;

    /// <summary>Creates inputs.</summary>
    [GlobalSetup] public void Setup() { a = I.Torch.Randn(N, N); b = I.Torch.Randn(N, N); }

    /// <summary>C = A·B.</summary>
    [Benchmark] public I.Tensor Sgemm() => a.Mm(b);

    /// <summary>C = A·Bᵀ, transposition read by packing.</summary>
    [Benchmark] public I.Tensor SgemmTransposedB() => a.Mm(b.T);
}

/// <summary>Convolution layers of resnet18 and mobilenet_v2 (batch 4), forward only.</summary>
[MemoryDiagnoser]
public class ConvBench
{
    I.Tensor x = null!, w = null!;
    int stride, pad, groups;

    /// <summary>Layer name.</summary>
    [Params("resnet18.layer1.3x3", "resnet18.layer3.3x3", "mobilenet_v2.dw3x3.s1", "mobilenet_v2.dw3x3.s2", "mobilenet_v2.pw1x1")]
    public string Layer = "";

    /// <summary>Creates inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (int cin, int hw, int cout, int k, int s, int p, int g) = Layer switch
        {
            "resnet18.layer1.3x3" => (64, 56, 64, 3, 1, 1, 1),
            "resnet18.layer3.3x3" => (256, 14, 256, 3, 1, 1, 1),
            "mobilenet_v2.dw3x3.s1" => (192, 28, 192, 3, 1, 1, 192),
            "mobilenet_v2.dw3x3.s2" => (144, 56, 144, 3, 2, 1, 144),
            _ => (32, 28, 192, 1, 1, 0, 1),
        };
        x = I.Torch.Randn(4, cin, hw, hw);
        w = I.Torch.Randn(cout, cin / g, k, k);
        (stride, pad, groups) = (s, p, g);
    }

    /// <summary>Forward convolution.</summary>
    [Benchmark] public I.Tensor Forward() => I.Torch.Conv2d(x, w, null, [stride], [pad], null, groups);
}

/// <summary>Elementwise and softmax kernels on 1M floats.</summary>
[MemoryDiagnoser]
public class ElementwiseBench
{
    I.Tensor a = null!, b = null!, rows = null!;

    /// <summary>Creates inputs.</summary>
    [GlobalSetup] public void Setup() { a = I.Torch.Randn(1 << 20); b = I.Torch.Randn(1 << 20); rows = I.Torch.Randn(1024, 1024); }

    /// <summary>a + b.</summary>
    [Benchmark] public I.Tensor Add() => a + b;

    /// <summary>Broadcast add of a row vector.</summary>
    [Benchmark] public I.Tensor AddBroadcast() => rows + b[..1024];

    /// <summary>exp(a).</summary>
    [Benchmark] public I.Tensor Exp() => a.Exp();

    /// <summary>Row softmax of a 1024×1024 matrix.</summary>
    [Benchmark] public I.Tensor Softmax() => rows.Softmax(1);

    /// <summary>Sum of 1M floats.</summary>
    [Benchmark] public I.Tensor Sum() => a.Sum();
}
