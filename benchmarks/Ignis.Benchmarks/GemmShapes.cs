using System.Diagnostics;
using TorchSharp;
using I = Ignis;

namespace Ignis.Benchmarks;

/// <summary>
/// `gemm [m,n,k …]`: one matrix product per shape on both engines, interleaved, fastest call and its GFLOP/s. For the
/// products a convolution lowers to (e.g. 256,784,2304 is resnet18's 256-channel 3×3 layer at 14×14, batch 4), to
/// tell the micro-kernel's throughput apart from the convolution's packing.
/// </summary>
internal static class GemmShapes
{
    static readonly int[][] Defaults = [[64, 3136, 576], [256, 784, 2304], [512, 196, 4608], [64, 784, 64], [256, 64, 256]];

    public static int Run(string[] args)
    {
        var shapes = args.Length > 0 ? args.Select(a => a.Split(',').Select(int.Parse).ToArray()).ToArray() : Defaults;
        int threads = Environment.ProcessorCount;
        I.Torch.SetNumThreads(threads);
        torch.set_num_threads(threads);
        Console.WriteLine("| m,n,k | Ignis (ms) | GFLOP/s | libtorch (ms) | GFLOP/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var s in shapes)
        {
            int m = s[0], n = s[1], k = s[2];
            var ai = I.Torch.Randn([m, k]);
            var bi = I.Torch.Randn([k, n]);
            var at = torch.randn(m, k);
            var bt = torch.randn(k, n);
            Action a = () => I.Torch.MatMul(ai, bi);
            Action b = () => { using var y = torch.matmul(at, bt); };
            for (int i = 0; i < 20; i++) { a(); b(); }
            double ta = double.MaxValue, tb = double.MaxValue;
            var total = Stopwatch.StartNew();
            for (int i = 0; i < 15 || total.Elapsed.TotalSeconds < 1.5; i++)
            {
                ta = Math.Min(ta, Time(a));
                tb = Math.Min(tb, Time(b));
            }
            double flop = 2.0 * m * n * k;
            Console.WriteLine($"| {m},{n},{k} | {ta:F3} | {flop / ta / 1e6:F0} | {tb:F3} | {flop / tb / 1e6:F0} |");
        }
        return 0;
    }

    static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }
}
