using System.Diagnostics;
using TorchSharp;
using I = Ignis;
using static TorchSharp.torch;

namespace Ignis.Benchmarks;

/// <summary>
/// `conv-split [--ignis-only] [n,cin,hw,cout,k,stride,pad,groups …]`: one convolution layer's forward, input gradient and weight
/// gradient timed apart on both engines, interleaved (the side-by-side table only shows their sum). The gradients are
/// isolated by letting only x or only w require grad and subtracting the forward time; the upstream gradient is a
/// stored random tensor (not the expanded ones of a sum, which each engine would first copy).
/// </summary>
internal static class ConvSplit
{
    static readonly int[][] Defaults =
    [
        [4, 64, 56, 64, 3, 1, 1, 1], [4, 256, 14, 256, 3, 1, 1, 1], [4, 144, 56, 144, 3, 2, 1, 144],
        [4, 192, 28, 192, 3, 1, 1, 192], [4, 32, 28, 192, 1, 1, 0, 1],
    ];

    public static int Run(string[] args)
    {
        // --ignis-only: no libtorch calls (for profiling Ignis alone; its columns then read 0).
        bool ignisOnly = args.Contains("--ignis-only");
        args = args.Where(a => a != "--ignis-only").ToArray();
        var shapes = args.Length > 0 ? args.Select(a => a.Split(',').Select(int.Parse).ToArray()).ToArray() : Defaults;
        int threads = Environment.ProcessorCount;
        I.Torch.SetNumThreads(threads);
        torch.set_num_threads(threads);
        Console.WriteLine("| layer (n,cin,hw,cout,k,s,p,g) | fwd Ignis (ms, fastest call) | fwd libtorch | dx Ignis | dx libtorch | dw Ignis | dw libtorch |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var s in shapes)
        {
            int n = s[0], cin = s[1], hw = s[2], cout = s[3], k = s[4], stride = s[5], pad = s[6], groups = s[7];
            var ig = new double[3][];
            var lt = new double[3][];
            for (int mode = 0; mode < 3; mode++)
            {
                bool gx = mode == 1, gw = mode == 2;
                var xi = I.Torch.Randn([n, cin, hw, hw], requiresGrad: gx);
                var wi = I.Torch.Randn([cout, cin / groups, k, k], requiresGrad: gw);
                var xt = torch.randn(new long[] { n, cin, hw, hw }, requires_grad: gx);
                var wt = torch.randn(new long[] { cout, cin / groups, k, k }, requires_grad: gw);
                long oh = (hw + 2 * pad - k) / stride + 1;
                var gi = I.Torch.Randn([n, cout, oh, oh]);
                var gt = torch.randn(new long[] { n, cout, oh, oh });
                Action a = () =>
                {
                    var y = I.Torch.Conv2d(xi, wi, null, [stride], [pad], null, groups);
                    if (mode > 0) { y.Backward(gi); xi.Grad = null; wi.Grad = null; }
                };
                Action b = ignisOnly ? () => { } : () =>
                {
                    using var scope = torch.NewDisposeScope();
                    var y = torch.nn.functional.conv2d(xt, wt, null, new long[] { stride }, new long[] { pad }, null, groups);
                    if (mode > 0) { y.backward(new[] { gt }); xt.grad?.Dispose(); wt.grad?.Dispose(); xt.grad = null; wt.grad = null; }
                };
                for (int i = 0; i < 20; i++) { a(); b(); }
                var ta = new List<double>();
                var tb = new List<double>();
                var total = Stopwatch.StartNew();
                while (ta.Count < 15 || total.Elapsed.TotalSeconds < 1.5)
                {
                    ta.Add(Time(a));
                    tb.Add(Time(b));
                }
                ig[mode] = [.. ta];
                lt[mode] = [.. tb];
            }
            // The fastest call, not the median: these VMs are noisy enough that medians of the three modes disagree.
            double Med(double[] v) => v.Min();
            double f0 = Med(ig[0]), f1 = Med(lt[0]);
            Console.WriteLine($"| {string.Join(',', s)} | {f0:F2} | {f1:F2} | {Med(ig[1]) - f0:F2} | {Med(lt[1]) - f1:F2} | {Med(ig[2]) - f0:F2} | {Med(lt[2]) - f1:F2} |");
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
