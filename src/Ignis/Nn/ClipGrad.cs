namespace Ignis.Nn;

/// <summary>Gradient utilities of <c>torch.nn.utils</c>.</summary>
public static class Utils
{
    /// <summary>
    /// Rescales the gradients of <paramref name="parameters"/> in place so that their joint norm (the norm of the
    /// per-tensor norms) is at most <paramref name="maxNorm"/>, and returns that total norm before clipping
    /// (<c>torch.nn.utils.clip_grad_norm_</c>). Parameters without a gradient are skipped; <paramref name="normType"/>
    /// may be <see cref="double.PositiveInfinity"/> (largest absolute value). The scale is
    /// min(1, maxNorm / (total + 1e-6)), applied even when the total is NaN or infinite unless
    /// <paramref name="errorIfNonfinite"/> is set.
    /// </summary>
    public static Tensor ClipGradNorm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return Torch.Zeros();
        using var _ = Torch.NoGrad();
        var device = grads[0].Device;
        Tensor total;
        if (double.IsPositiveInfinity(normType))
        {
            var norms = grads.Select(g => g.Detach().Abs().Max().To(device)).ToArray();
            total = norms.Length == 1 ? norms[0] : Torch.Stack(norms).Max();
        }
        else
            total = VectorNorm(Torch.Stack(grads.Select(g => VectorNorm(g.Detach(), normType).To(device)).ToArray()), normType);
        if (errorIfNonfinite && !total.IsFinite().Item<bool>())
            throw new InvalidOperationException(
                $"The total norm of order {normType.ToString(System.Globalization.CultureInfo.InvariantCulture)} for gradients from `parameters` is non-finite, so it cannot be clipped. " +
                "To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
        var coef = total.Add(1e-6).Reciprocal().Mul(maxNorm).Clamp(null, 1.0);
        foreach (var g in grads) g.Mul_(coef.To(g.Device).To(g.DType));
        return total;
    }

    /// <summary>Overload for one parameter tensor.</summary>
    public static Tensor ClipGradNorm_(Tensor parameter, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false) =>
        ClipGradNorm_([parameter], maxNorm, normType, errorIfNonfinite);

    /// <summary>Clamps every gradient of <paramref name="parameters"/> into [−clipValue, clipValue] in place (<c>torch.nn.utils.clip_grad_value_</c>).</summary>
    public static void ClipGradValue_(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var _ = Torch.NoGrad();
        foreach (var p in parameters)
            p.Grad?.Clamp_(-clipValue, clipValue);
    }

    // torch.norm(x, p) over all elements: (Σ|x|^p)^(1/p); p = 0 counts non-zeros.
    static Tensor VectorNorm(Tensor x, double p) => p switch
    {
        2.0 => x.Mul(x).Sum().Sqrt(),
        1.0 => x.Abs().Sum(),
        0.0 => x.Ne(0.0).To(x.DType).Sum(),
        double.NegativeInfinity => x.Abs().Min(),
        _ => x.Abs().Pow(p).Sum().Pow(1.0 / p),
    };
}
