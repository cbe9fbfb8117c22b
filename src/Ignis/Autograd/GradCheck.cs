namespace Ignis.Autograd;

/// <summary>
/// Compares autograd gradients with central finite differences (<c>torch.autograd.gradcheck</c>).
/// Inputs should be float64 leaves that require grad; every output element's row of the Jacobian is checked.
/// </summary>
public static class GradCheck
{
    /// <summary>Result of a check: the largest mismatch found and where.</summary>
    public sealed record Report(bool Passed, double MaxAbsError, string Detail);

    /// <summary>
    /// Checks d f(inputs) / d inputs. Returns a report rather than throwing, so tests can show the detail.
    /// </summary>
    public static Report Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        foreach (var x in inputs)
            if (x.RequiresGrad && x.DType != DType.Float64)
                throw new ArgumentException("GradCheck needs float64 inputs for meaningful finite differences.");
        var output = f(inputs);
        if (!output.RequiresGrad) return new Report(true, 0, "output does not require grad");
        long nOut = output.Numel;
        var outShape = output.Shape;
        double worst = 0;
        string detail = "";
        bool ok = true;

        // Analytical Jacobian: one backward pass per output element.
        var analytical = new double[inputs.Length][][];
        for (int i = 0; i < inputs.Length; i++) analytical[i] = new double[nOut][];
        for (long j = 0; j < nOut; j++)
        {
            foreach (var x in inputs) x.Grad = null;
            var onehot = new double[nOut];
            onehot[j] = 1;
            var y = f(inputs);
            y.Backward(Torch.From(onehot, outShape).To(y.DType).To(y.Device));
            for (int i = 0; i < inputs.Length; i++)
                analytical[i][j] = inputs[i].RequiresGrad
                    ? (inputs[i].Grad?.ToArray<double>() ?? new double[inputs[i].Numel])
                    : [];
        }
        foreach (var x in inputs) x.Grad = null;

        // Numerical Jacobian: perturb each input element both ways.
        using (Torch.NoGrad())
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                var x = inputs[i];
                if (!x.RequiresGrad) continue;
                long n = x.Numel;
                var flat = x.View(-1);
                for (long k = 0; k < n; k++)
                {
                    double orig = flat[k].Item<double>();
                    flat[k].Fill_(orig + eps);
                    var plus = f(inputs).ToArray<double>();
                    flat[k].Fill_(orig - eps);
                    var minus = f(inputs).ToArray<double>();
                    flat[k].Fill_(orig);
                    for (long j = 0; j < nOut; j++)
                    {
                        double num = (plus[j] - minus[j]) / (2 * eps);
                        double ana = analytical[i][j][k];
                        double err = Math.Abs(num - ana);
                        if (double.IsNaN(num) != double.IsNaN(ana) || err > atol + rtol * Math.Abs(num))
                        {
                            ok = false;
                            if (err > worst || double.IsNaN(err))
                                detail = $"input {i} element {k}, output element {j}: numerical {num}, analytical {ana}";
                        }
                        if (!double.IsNaN(err)) worst = Math.Max(worst, err);
                    }
                }
            }
        }
        return new Report(ok, worst, ok ? "ok" : detail);
    }
}
