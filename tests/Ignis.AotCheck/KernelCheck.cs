using System.Globalization;
using System.Runtime.CompilerServices;
using Ignis.Nn;
using Adam = Ignis.Optim.Adam;

namespace Ignis.AotCheck;

/// <summary>Runs one representative op per kernel family, checks it, and reports the SIMD path taken.</summary>
public static class KernelCheck
{
    /// <summary>Returns the process exit code: 0 when every check passed and the path matched <c>--expect</c>.</summary>
    public static int Run(string[] args, TextWriter log)
    {
        string? expect = null;
        bool bench = false;
        for (int i = 0; i < args.Length; i++)
            if (args[i] == "--expect" && i + 1 < args.Length) expect = args[++i];
            else if (args[i] == "--bench") bench = true;
            else throw new ArgumentException($"unknown argument {args[i]}");
        if (bench) return Bench(log);

        int failures = 0;
        void Check(string name, Tensor result, double[] reference, double tol)
        {
            var got = result.Double().ToArray<double>();
            double worst = 0;
            bool sizeOk = got.Length == reference.Length;
            for (int i = 0; sizeOk && i < got.Length; i++)
                worst = Math.Max(worst, Math.Abs(got[i] - reference[i]) / (1 + Math.Abs(reference[i])));
            bool ok = sizeOk && worst <= tol && !double.IsNaN(worst);
            if (!ok) failures++;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"check {name,-22} {(ok ? "ok  " : "FAIL")} max rel err {worst:E2} (tol {tol:E0})  digest {Digest(result)}"));
        }

        Torch.ManualSeed(7);
        // GEMM: odd sizes exercise the edge tiles; float32 and float64.
        var a = Torch.Randn(67, 45); var b = Torch.Randn(45, 53);
        Check("matmul float32", a.MatMul(b), MatMulRef(a, b), 1e-5);
        var ad = a.Double(); var bd = b.Double();
        Check("matmul float64", ad.MatMul(bd), MatMulRef(ad, bd), 1e-12);
        // Packing from transposed (strided) operands, a narrow N (the transposed-product path), a long K, batches.
        var at = Torch.Randn(45, 67).T; var bt = Torch.Randn(53, 45).T;
        Check("matmul transposed", at.MatMul(bt), MatMulRef(at, bt), 1e-5);
        var tall = Torch.Randn(130, 700); var narrow = Torch.Randn(700, 3);
        Check("matmul narrow n", tall.MatMul(narrow), MatMulRef(tall, narrow), 5e-5);
        var ba = Torch.Randn(3, 19, 23); var bb = Torch.Randn(3, 23, 31);
        Check("bmm", ba.MatMul(bb), BmmRef(ba, bb), 1e-5);

        // Elementwise and reductions (System.Numerics.Tensors).
        var x = Torch.Randn(1000); var y = Torch.Randn(1000);
        var xs = x.Double().ToArray<double>(); var ys = y.Double().ToArray<double>();
        Check("add", x.Add(y), Map(xs, ys, (p, q) => p + q), 1e-6);
        Check("mul", x.Mul(y), Map(xs, ys, (p, q) => p * q), 1e-6);
        Check("exp", x.Exp(), Map(xs, xs, (p, _) => Math.Exp(p)), 1e-6);
        Check("sigmoid", x.Sigmoid(), Map(xs, xs, (p, _) => 1 / (1 + Math.Exp(-p))), 1e-6);
        Check("sum", x.Sum(), [xs.Sum()], 1e-5);
        var logits = Torch.Randn(8, 37);
        Check("softmax", logits.Softmax(1), SoftmaxRef(logits), 1e-6);

        // Vector<T> kernels: batch norm (training statistics) and one Adam step.
        var bn = Torch.Randn(4, 3, 5, 5);
        Check("batch_norm", Functional.BatchNorm(bn, null, null, training: true), BatchNormRef(bn), 1e-5);
        var p0 = Torch.Randn(300).RequiresGrad_();
        var before = p0.Double().ToArray<double>();
        var opt = new Adam([p0], lr: 0.01);
        p0.Mul(p0).Sum().Backward();
        opt.Step();
        // First Adam step: m̂ = g, v̂ = g², so p -= lr * g / (|g| + eps) = lr * sign(g) (to eps).
        Check("adam step", p0.Detach(), Map(before, before, (q, _) => q - 0.01 * Math.Sign(2 * q) * (2 * Math.Abs(q)) / (2 * Math.Abs(q) + 1e-8)), 1e-6);

        // Convolutions: dense (GEMM) and depthwise (Vector<T>).
        var img = Torch.Randn(2, 4, 9, 11); var w = Torch.Randn(6, 4, 3, 3); var wd = Torch.Randn(4, 1, 3, 3);
        Check("conv2d", Functional.Conv2d(img, w, padding: [1, 1]), ConvRef(img, w, 1, 1), 1e-5);
        Check("depthwise conv2d", Functional.Conv2d(img, wd, padding: [1, 1], groups: 4), ConvRef(img, wd, 1, 4), 1e-5);

        string cap = Torch.Backends.Cpu.GetCpuCapability();
        log.WriteLine($"runtime: {(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
        log.WriteLine($"cpu capability: {cap} (machine: {Torch.Backends.Cpu.GetMachineCapability()})");
        if (Torch.Backends.Cpu.GetCapabilityLimitation() is string why) log.WriteLine($"limited because {why}");
        foreach (var (family, path) in Torch.Backends.Cpu.GetKernelPaths()) log.WriteLine($"path {family}: {path}");
        if (expect is not null && !string.Equals(expect, cap, StringComparison.OrdinalIgnoreCase))
        {
            failures++;
            log.WriteLine($"FAIL expected the {expect} path, the kernels took {cap}");
        }
        log.WriteLine(failures == 0 ? "all checks passed" : $"{failures} check(s) failed");
        return failures == 0 ? 0 : 1;
    }

    // Steady-state timings of the compute-bound kernels, so JIT, NativeAOT-baseline and NativeAOT-x86-64-v3 builds of
    // this program can be compared on one machine (benchmarks/aot/run.sh). Not a test: nothing here asserts a time.
    static int Bench(TextWriter log)
    {
        log.WriteLine($"{(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")} {Torch.Backends.Cpu.GetCpuCapability()} on {Environment.ProcessorCount} cores");
        Torch.ManualSeed(0);
        foreach (int n in (int[])[256, 512, 1024])
        {
            var a = Torch.Randn(n, n); var b = Torch.Randn(n, n);
            double s = Time(() => a.MatMul(b));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sgemm n={n}: {s * 1e3:F2} ms ({2.0 * n * n * n / s / 1e9:F1} GFLOP/s)"));
        }
        var x = Torch.Randn(4, 64, 56, 56); var w = Torch.Randn(64, 64, 3, 3);
        double c = Time(() => Functional.Conv2d(x, w, padding: [1, 1]));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"conv2d 3x3 64->64 @56 batch 4: {c * 1e3:F2} ms"));
        var e = Torch.Randn(1 << 20);
        double ex = Time(() => e.Exp().Mul(e).Sum());
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exp+mul+sum 1M floats: {ex * 1e3:F3} ms"));
        return 0;
    }

    // Median of repeated runs after warm-up, each run at least ~0.2 s of calls.
    static double Time(Func<Tensor> f)
    {
        // Warm up for a second first: under the JIT, hot methods start in tier 0 and are recompiled only after enough
        // calls and a quiet spell, so the first few hundred milliseconds run several times slower than steady state
        // (measured: exp+mul+sum of 1M floats 6 ms per call at first, 0.6–0.9 ms after ~1 s). NativeAOT needs none of it.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 1.0) f().Dispose();
        sw.Restart();
        int reps = 0;
        while (sw.Elapsed.TotalSeconds < 0.2 || reps < 2) { f().Dispose(); reps++; }
        var samples = new double[7];
        for (int r = 0; r < samples.Length; r++)
        {
            sw.Restart();
            for (int i = 0; i < reps; i++) f().Dispose();
            samples[r] = sw.Elapsed.TotalSeconds / reps;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    // The float32 result's bits, so two builds on the same ISA can be compared exactly.
    static string Digest(Tensor t)
    {
        ulong h = 14695981039346656037UL;
        foreach (var v in t.Double().ToArray<double>()) { h ^= (ulong)BitConverter.DoubleToInt64Bits(v); h *= 1099511628211UL; }
        return h.ToString("x16", CultureInfo.InvariantCulture);
    }

    static double[] Map(double[] p, double[] q, Func<double, double, double> f)
    {
        var r = new double[p.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(p[i], q[i]);
        return r;
    }

    static double[] MatMulRef(Tensor a, Tensor b)
    {
        int m = (int)a.Shape[0], k = (int)a.Shape[1], n = (int)b.Shape[1];
        var av = a.Double().ToArray<double>(); var bv = b.Double().ToArray<double>();
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                r[i * n + j] = s;
            }
        return r;
    }

    static double[] BmmRef(Tensor a, Tensor b)
    {
        var r = new List<double>();
        for (long i = 0; i < a.Shape[0]; i++) r.AddRange(MatMulRef(a.Select(0, i), b.Select(0, i)));
        return [.. r];
    }

    static double[] SoftmaxRef(Tensor t)
    {
        int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
        var v = t.Double().ToArray<double>();
        var r = new double[v.Length];
        for (int i = 0; i < rows; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < cols; j++) max = Math.Max(max, v[i * cols + j]);
            for (int j = 0; j < cols; j++) sum += r[i * cols + j] = Math.Exp(v[i * cols + j] - max);
            for (int j = 0; j < cols; j++) r[i * cols + j] /= sum;
        }
        return r;
    }

    static double[] BatchNormRef(Tensor t)
    {
        int n = (int)t.Shape[0], c = (int)t.Shape[1], hw = (int)(t.Shape[2] * t.Shape[3]);
        var v = t.Double().ToArray<double>();
        var r = new double[v.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int s = 0; s < hw; s++) mean += v[(i * c + ch) * hw + s];
            mean /= n * hw;
            for (int i = 0; i < n; i++) for (int s = 0; s < hw; s++) var += Math.Pow(v[(i * c + ch) * hw + s] - mean, 2);
            var /= n * hw;
            for (int i = 0; i < n; i++) for (int s = 0; s < hw; s++)
                r[(i * c + ch) * hw + s] = (v[(i * c + ch) * hw + s] - mean) / Math.Sqrt(var + 1e-5);
        }
        return r;
    }

    // Stride 1, square padding, groups as given.
    static double[] ConvRef(Tensor x, Tensor w, int pad, int groups)
    {
        int n = (int)x.Shape[0], cin = (int)x.Shape[1], h = (int)x.Shape[2], wd = (int)x.Shape[3];
        int cout = (int)w.Shape[0], cg = (int)w.Shape[1], kh = (int)w.Shape[2], kw = (int)w.Shape[3];
        int oh = h + 2 * pad - kh + 1, ow = wd + 2 * pad - kw + 1, coutG = cout / groups;
        var xv = x.Double().ToArray<double>(); var wv = w.Double().ToArray<double>();
        var r = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double s = 0;
                        int g = co / coutG;
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int yy = i + u - pad, xx = j + v - pad;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    s += xv[((b * cin + g * cg + ci) * h + yy) * wd + xx] * wv[((co * cg + ci) * kh + u) * kw + v];
                                }
                        r[((b * cout + co) * oh + i) * ow + j] = s;
                    }
        return r;
    }
}
