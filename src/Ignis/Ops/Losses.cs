using Ignis.Autograd;

namespace Ignis.Nn;

public static partial class Functional
{
    static Tensor Reduce(Tensor loss, string reduction) => reduction switch
    {
        "mean" => loss.Mean(),
        "sum" => loss.Sum(),
        "none" => loss,
        _ => throw new ArgumentException($"{reduction} is not a valid value for reduction"),
    };

    internal static void CheckReduction(string reduction)
    {
        if (reduction is not ("mean" or "sum" or "none")) throw new ArgumentException($"{reduction} is not a valid value for reduction");
    }

    static void CheckFloat(Tensor t, string fn)
    {
        if (!t.DType.IsFloatingPoint()) throw new ArgumentException($"\"{fn}\" not implemented for '{t.DType.ScalarTypeName()}'");
    }

    /// <summary>
    /// Cross-entropy between logits and targets (<c>F.cross_entropy</c>). <paramref name="target"/> holds class indices
    /// (int64, shape [N] or [N, d…]) or class probabilities (floating, the input's shape). The class dimension is 1
    /// (0 for unbatched [C] input).
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        string reduction = "mean", double labelSmoothing = 0.0)
    {
        CheckReduction(reduction);
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentException($"label_smoothing must be between 0.0 and 1.0. Got: {Ignis.Py.Repr(labelSmoothing)}");
        int classDim = input.Dim == 1 ? 0 : 1;
        long nClasses = input.Size(classDim);
        var logp = input.LogSoftmax(classDim);
        if (target.DType.IsFloatingPoint())
        {
            if (!target.Shape.SequenceEqual(input.Shape))
                throw new ArgumentException($"Expected target size {Tensor.ShapeStr(input.Shape)}, got {Tensor.ShapeStr(target.Shape)}");
            var t = labelSmoothing > 0 ? target.Mul(1 - labelSmoothing).Add(labelSmoothing / nClasses) : target;
            var prod = logp.Mul(t);
            if (weight is not null) prod = prod.Mul(ClassBroadcast(weight, input.Dim, classDim));
            return reduction switch
            {
                "mean" => prod.Sum().Neg().Div((double)(input.Numel / Math.Max(nClasses, 1))),
                "sum" => prod.Sum().Neg(),
                _ => prod.Sum(classDim).Neg(),
            };
        }
        var nll = NllLoss(logp, target, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) return nll;
        var ignoreMask = target.Eq(ignoreIndex);
        var smooth = (weight is null ? logp : logp.Mul(ClassBroadcast(weight, input.Dim, classDim))).Sum(classDim).Neg();
        smooth = smooth.MaskedFill(ignoreMask, 0.0);
        Tensor ret = reduction switch
        {
            "mean" when weight is not null => smooth.Sum().Div(weight.IndexSelect(0, Torch.Where(ignoreMask, Torch.ZerosLike(target), target).Reshape(-1))
                                                                 .Mul(ignoreMask.LogicalNot().Reshape(-1).To(weight.DType)).Sum()),
            "mean" => smooth.Sum().Div(ignoreMask.LogicalNot().Sum().To(smooth.DType)),
            "sum" => smooth.Sum(),
            _ => smooth,
        };
        return nll.Mul(1 - labelSmoothing).Add(ret.Mul(labelSmoothing / nClasses));
    }

    static Tensor ClassBroadcast(Tensor weight, int dims, int classDim)
    {
        var shape = Enumerable.Repeat(1L, dims).ToArray();
        shape[classDim] = weight.Numel;
        return weight.View(shape);
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities [N, C] (or [C], or [N, C, d…]) at int64 class indices (<c>F.nll_loss</c>).
    /// Targets equal to <paramref name="ignoreIndex"/> contribute nothing; "mean" divides by the summed class weights.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean")
    {
        CheckReduction(reduction);
        CheckFloat(input, "nll_loss");
        if (target.DType != DType.Int64)
            throw new ArgumentException($"expected scalar type Long but found {target.DType.ScalarTypeName()}");
        if (input.Dim < 1) throw new ArgumentException("input tensor should be 1D or more");
        if (input.Dim == 1 ? target.Dim != 0 : target.Dim != input.Dim - 1)
            throw new ArgumentException($"Expected target of {Math.Max(input.Dim - 1, 0)}D for input of {input.Dim}D, got target of size {Tensor.ShapeStr(target.Shape)}");
        if (input.Dim >= 2 && input.Size(0) != target.Size(0))
            throw new ArgumentException($"Expected input batch_size ({input.Size(0)}) to match target batch_size ({target.Size(0)}).");
        long c = input.Dim == 1 ? input.Size(0) : input.Size(1);
        if (weight is not null && (weight.Dim != 1 || weight.Numel != c))
            throw new ArgumentException($"weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {Tensor.ShapeStr(weight.Shape)}");
        if (input.Dim >= 3)
            for (int d = 2; d < input.Dim; d++)
                if (input.Size(d) != target.Size(d - 1))
                    throw new ArgumentException($"Expected target size {Tensor.ShapeStr(input.Shape.Take(1).Concat(input.Shape.Skip(2)).ToArray())}, got {Tensor.ShapeStr(target.Shape)}");

        // Rows of class scores: [M, C] with the class dimension last.
        int[] perm = input.Dim >= 3 ? [0, .. Enumerable.Range(2, input.Dim - 2), 1] : [];
        Tensor x2 = input.Dim == 1 ? input.Detach().Reshape(1, c)
            : input.Dim == 2 ? input.Detach()
            : input.Detach().Permute(perm).Reshape(-1, c);
        var t = target.Reshape(-1);
        Tensor result, tSafe, wt, wSum;
        using (Torch.NoGrad())
        {
            var keep = t.Ne(ignoreIndex);
            tSafe = Torch.Where(keep, t, Torch.ZerosLike(t));
            if (tSafe.Numel > 0)
            {
                long lo = tSafe.Min().Item<long>(), hi = tSafe.Max().Item<long>();
                if (lo < 0 || hi >= c) throw new IndexOutOfRangeException($"Target {(lo < 0 ? lo : hi)} is out of bounds.");
            }
            wt = keep.To(input.DType);
            if (weight is not null) wt = wt.Mul(weight.IndexSelect(0, tSafe));
            var picked = x2.Gather(1, tSafe.Unsqueeze(1)).Reshape(-1);
            var losses = picked.Mul(wt).Neg();
            wSum = wt.Sum();
            result = reduction switch
            {
                "none" => losses.Reshape(target.Shape),
                "sum" => losses.Sum(),
                _ => losses.Sum().Div(wSum),
            };
        }
        var inShape = input.Shape;
        var permutedShape = input.Dim >= 3 ? perm.Select(d => inShape[d]).ToArray() : null;
        return Engine.Record(result, input.Dim == 4 ? "NllLoss2DBackward0" : "NllLossBackward0", [input], g =>
        {
            var coef = reduction switch
            {
                "none" => g.Reshape(-1).Mul(wt).Neg(),
                "sum" => wt.Mul(g).Neg(),
                _ => wt.Mul(g).Div(wSum).Neg(),
            };
            var gx = Torch.Zeros([t.Numel, c], g.DType, g.Device).ScatterAdd(1, tSafe.Unsqueeze(1), coef.Unsqueeze(1).Contiguous());
            if (permutedShape is null) return [gx.Reshape(inShape)];
            var inverse = new int[perm.Length];
            for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
            return [gx.Reshape(permutedShape).Permute(inverse).Contiguous()];
        }, Engine.Attrs(("ignore_index", ignoreIndex), ("reduction", reduction)), saved: [input, target, weight]);
    }

    /// <summary>Mean squared error (<c>F.mse_loss</c>); shapes broadcast.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean") =>
        Reduce(input.Sub(target).Square(), reduction).NamedAs("MseLossBackward0");

    /// <summary>Mean absolute error (<c>F.l1_loss</c>).</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean") =>
        Reduce(input.Sub(target).Abs(), reduction);

    /// <summary>Huber-style loss: ½d²/β below β, |d| − ½β above (<c>F.smooth_l1_loss</c>).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", double beta = 1.0)
    {
        if (beta < 0) throw new ArgumentException("smooth_l1_loss does not support negative values for beta.");
        var d = input.Sub(target);
        var ad = d.Abs();
        var loss = beta == 0 ? ad : Torch.Where(ad.Lt(beta), d.Square().Mul(0.5 / beta), ad.Sub(0.5 * beta));
        return Reduce(loss, reduction).NamedAs("SmoothL1LossBackward0");
    }

    /// <summary>Binary cross-entropy of probabilities (<c>F.binary_cross_entropy</c>); logs are clamped at −100 as in PyTorch.</summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean")
    {
        CheckReduction(reduction);
        if (!target.Shape.SequenceEqual(input.Shape))
            throw new ArgumentException($"Using a target size ({Tensor.ShapeStr(target.Shape)}) that is different to the input size ({Tensor.ShapeStr(input.Shape)}) is deprecated. Please ensure they have the same size.");
        Tensor loss;
        using (Torch.NoGrad())
        {
            double lo = input.Numel == 0 ? 0 : input.Min().Item<double>(), hi = input.Numel == 0 ? 1 : input.Max().Item<double>();
            if (lo < 0 || hi > 1) throw new ArgumentException("all elements of input should be between 0 and 1");
            var logX = input.Log().Clamp(min: -100);
            var log1mX = input.RSub(1.0).Log().Clamp(min: -100);
            loss = target.Sub(1.0).Mul(log1mX).Sub(target.Mul(logX));
            if (weight is not null) loss = loss.Mul(weight);
            loss = Reduce(loss, reduction);
        }
        long n = input.Numel;
        return Engine.Record(loss, "BinaryCrossEntropyBackward0", [input, target], g =>
        {
            // d/dx = w (x − y) / max((1 − x) x, 1e-12)
            var gx = input.Sub(target).Div(input.RSub(1.0).Mul(input).Clamp(min: 1e-12));
            if (weight is not null) gx = gx.Mul(weight);
            gx = gx.Mul(g);
            if (reduction == "mean") gx = gx.Div((double)n);
            // d/dy = w (log(1 − x) − log x)
            var gy = input.RSub(1.0).Log().Clamp(min: -100).Sub(input.Log().Clamp(min: -100));
            if (weight is not null) gy = gy.Mul(weight);
            gy = gy.Mul(g);
            if (reduction == "mean") gy = gy.Div((double)n);
            return [gx, gy];
        }, Engine.Attrs(("reduction", reduction)), saved: [input, target, weight]);
    }

    /// <summary>Binary cross-entropy on logits, computed stably (<c>F.binary_cross_entropy_with_logits</c>).</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null)
    {
        CheckReduction(reduction);
        if (!target.Shape.SequenceEqual(input.Shape))
            throw new ArgumentException($"Target size ({Tensor.ShapeStr(target.Shape)}) must be the same as input size ({Tensor.ShapeStr(input.Shape)})");
        // (1 − y) x + l (log(e^{−m} + e^{−x−m}) + m), m = max(−x, 0), l = 1 + (pw − 1) y
        var maxVal = input.Neg().Clamp(min: 0);
        var logTerm = maxVal.Neg().Exp().Add(input.Neg().Sub(maxVal).Exp()).Log().Add(maxVal);
        var loss = posWeight is null
            ? target.RSub(1.0).Mul(input).Add(logTerm)
            : target.RSub(1.0).Mul(input).Add(posWeight.Sub(1.0).Mul(target).Add(1.0).Mul(logTerm));
        if (weight is not null) loss = loss.Mul(weight);
        return Reduce(loss, reduction).NamedAs("BinaryCrossEntropyWithLogitsBackward0");
    }
}

public static partial class Functional
{
    /// <summary>
    /// Kullback-Leibler divergence of <paramref name="target"/> from the log-probabilities <paramref name="input"/>
    /// (<c>F.kl_div</c>): pointwise xlogy(t, t) − t·input, or exp(t)·(t − input) with <paramref name="logTarget"/>;
    /// reduction "mean" (PyTorch's default, over every element), "batchmean" (divides by the batch size, the
    /// mathematically meant one), "sum" or "none". Both arguments are differentiable.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        if (reduction is not ("mean" or "sum" or "none" or "batchmean")) throw new ArgumentException($"{reduction} is not a valid value for reduction");
        var pointwise = logTarget ? target.Exp().Mul(target.Sub(input)) : Torch.Xlogy(target, target).Sub(target.Mul(input));
        return reduction switch
        {
            "batchmean" => input.Dim == 0 ? pointwise.Sum() : pointwise.Sum().Div((double)input.Shape[0]),
            "sum" => pointwise.Sum(),
            "mean" => pointwise.Mean(),
            _ => pointwise,
        };
    }
}
