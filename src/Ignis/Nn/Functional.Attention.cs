namespace Ignis.Nn;

// Multi-head attention (F.multi_head_attention_forward, PyTorch 1.13), composed from differentiable ops — linear,
// chunk/split, view/transpose, cat, pad, bmm, softmax, dropout — so autograd needs nothing of its own. The steps,
// their order and the checks with their messages follow torch/nn/functional.py line by line.
public static partial class Functional
{
    /// <summary>
    /// Multi-head attention as <see cref="MultiheadAttention"/> computes it (<c>F.multi_head_attention_forward</c>).
    /// <paramref name="query"/> is (L, N, E) or unbatched (L, E); <paramref name="key"/> and <paramref name="value"/>
    /// are (S, N, E_k) and (S, N, E_v) or unbatched. Masks: <paramref name="keyPaddingMask"/> (N, S) or (S), bool (true =
    /// ignore the key) or float (added); <paramref name="attnMask"/> (L, S) or (N·heads, L, S), bool (true = may not
    /// attend), uint8 (treated as bool) or float (added to the scores). Returns the (L, N, E) output and, with
    /// <paramref name="needWeights"/>, the attention weights: (N, L, S) averaged over heads, or (N, heads, L, S) with
    /// <paramref name="averageAttnWeights"/> false (unbatched: without the N dim). Dropout on the weights applies only
    /// when <paramref name="training"/>.
    /// </summary>
    public static (Tensor Output, Tensor? Weights) MultiHeadAttentionForward(
        Tensor query, Tensor key, Tensor value, long embedDimToCheck, long numHeads,
        Tensor? inProjWeight, Tensor? inProjBias, Tensor? biasK, Tensor? biasV, bool addZeroAttn, double dropoutP,
        Tensor outProjWeight, Tensor? outProjBias, bool training = true, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool useSeparateProjWeight = false, Tensor? qProjWeight = null, Tensor? kProjWeight = null,
        Tensor? vProjWeight = null, Tensor? staticK = null, Tensor? staticV = null, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(outProjWeight);
        bool isBatched = MhaShapeCheck(query, key, value, keyPaddingMask, attnMask, numHeads);

        // Unbatched input runs as a batch of one; the batch dim is squeezed off the results.
        if (!isBatched)
        {
            query = query.Unsqueeze(1);
            key = key.Unsqueeze(1);
            value = value.Unsqueeze(1);
            keyPaddingMask = keyPaddingMask?.Unsqueeze(0);
        }

        long tgtLen = query.Size(0), bsz = query.Size(1), embedDim = query.Size(2);
        long srcLen = key.Size(0);
        if (keyPaddingMask is not null) CheckKeyPaddingMaskDType(keyPaddingMask);
        if (embedDim != embedDimToCheck)
            throw new ArgumentException($"was expecting embedding dimension of {embedDimToCheck}, but got {embedDim}");
        if (numHeads <= 0) throw new ArgumentException($"num_heads must be positive, but got {numHeads}");
        long headDim = embedDim / numHeads;
        if (headDim * numHeads != embedDim)
            throw new ArgumentException($"embed_dim {embedDim} not divisible by num_heads {numHeads}");
        if (useSeparateProjWeight)
        {
            // Separate projections allow keys and values of other widths than the queries.
            if (key.Size(0) != value.Size(0) || key.Size(1) != value.Size(1))
                throw new ArgumentException($"key's sequence and batch dims {TorchSize([key.Size(0), key.Size(1)])} do not match value's {TorchSize([value.Size(0), value.Size(1)])}");
        }
        else if (!key.Shape.SequenceEqual(value.Shape))
            throw new ArgumentException($"key shape {TorchSize(key.Shape)} does not match value shape {TorchSize(value.Shape)}");

        // ---- in-projection ----
        Tensor q, k, v;
        if (!useSeparateProjWeight)
        {
            if (inProjWeight is null) throw new ArgumentException("use_separate_proj_weight is False but in_proj_weight is None");
            (q, k, v) = InProjectionPacked(query, key, value, inProjWeight, inProjBias);
        }
        else
        {
            if (qProjWeight is null) throw new ArgumentException("use_separate_proj_weight is True but q_proj_weight is None");
            if (kProjWeight is null) throw new ArgumentException("use_separate_proj_weight is True but k_proj_weight is None");
            if (vProjWeight is null) throw new ArgumentException("use_separate_proj_weight is True but v_proj_weight is None");
            Tensor? bq = null, bk = null, bv = null;
            if (inProjBias is not null)
            {
                var b = inProjBias.Chunk(3);
                (bq, bk, bv) = (b[0], b[1], b[2]);
            }
            (q, k, v) = InProjection(query, key, value, qProjWeight, kProjWeight, vProjWeight, bq, bk, bv);
        }

        // ---- attention mask: bool (uint8 read as bool) or float, made 3-D ----
        if (attnMask is not null)
        {
            if (attnMask.DType == DType.UInt8) attnMask = attnMask.To(DType.Bool); // PyTorch warns that byte masks are deprecated
            else if (!attnMask.DType.IsFloatingPoint() && attnMask.DType != DType.Bool)
                throw new ArgumentException($"Only float, byte, and bool types are supported for attn_mask, not {attnMask.DType.TorchName()}");
            if (attnMask.Dim == 2)
            {
                if (attnMask.Size(0) != tgtLen || attnMask.Size(1) != srcLen)
                    throw new ArgumentException($"The shape of the 2D attn_mask is {TorchSize(attnMask.Shape)}, but should be ({tgtLen}, {srcLen}).");
                attnMask = attnMask.Unsqueeze(0);
            }
            else if (attnMask.Dim == 3)
            {
                if (attnMask.Size(0) != bsz * numHeads || attnMask.Size(1) != tgtLen || attnMask.Size(2) != srcLen)
                    throw new ArgumentException($"The shape of the 3D attn_mask is {TorchSize(attnMask.Shape)}, but should be ({bsz * numHeads}, {tgtLen}, {srcLen}).");
            }
            else throw new ArgumentException($"attn_mask's dimension {attnMask.Dim} is not supported");
        }

        // ---- learned bias appended to the keys and values (one more source position) ----
        if (biasK is not null && biasV is not null)
        {
            if (staticK is not null) throw new ArgumentException("bias cannot be added to static key.");
            if (staticV is not null) throw new ArgumentException("bias cannot be added to static value.");
            k = Torch.Cat([k, biasK.Expand(1, bsz, biasK.Size(-1))]);
            v = Torch.Cat([v, biasV.Expand(1, bsz, biasV.Size(-1))]);
            if (attnMask is not null) attnMask = Pad(attnMask, [0, 1]);
            if (keyPaddingMask is not null) keyPaddingMask = Pad(keyPaddingMask, [0, 1]);
        }
        else if (biasK is not null || biasV is not null)
            throw new ArgumentException("bias_k and bias_v must be given together");

        // ---- heads into the batch dim: (N·heads, L or S, head_dim) ----
        q = q.Contiguous().View(tgtLen, bsz * numHeads, headDim).Transpose(0, 1);
        if (staticK is null) k = k.Contiguous().View(k.Size(0), bsz * numHeads, headDim).Transpose(0, 1);
        else
        {
            if (staticK.Size(0) != bsz * numHeads) throw new ArgumentException($"expecting static_k.size(0) of {bsz * numHeads}, but got {staticK.Size(0)}");
            if (staticK.Size(2) != headDim) throw new ArgumentException($"expecting static_k.size(2) of {headDim}, but got {staticK.Size(2)}");
            k = staticK;
        }
        if (staticV is null) v = v.Contiguous().View(v.Size(0), bsz * numHeads, headDim).Transpose(0, 1);
        else
        {
            if (staticV.Size(0) != bsz * numHeads) throw new ArgumentException($"expecting static_v.size(0) of {bsz * numHeads}, but got {staticV.Size(0)}");
            if (staticV.Size(2) != headDim) throw new ArgumentException($"expecting static_v.size(2) of {headDim}, but got {staticV.Size(2)}");
            v = staticV;
        }

        // ---- a zero key and value appended (one more source position) ----
        if (addZeroAttn)
        {
            k = Torch.Cat([k, Torch.Zeros([bsz * numHeads, 1, headDim], k.DType, k.Device)], 1);
            v = Torch.Cat([v, Torch.Zeros([bsz * numHeads, 1, headDim], v.DType, v.Device)], 1);
            if (attnMask is not null) attnMask = Pad(attnMask, [0, 1]);
            if (keyPaddingMask is not null) keyPaddingMask = Pad(keyPaddingMask, [0, 1]);
        }
        srcLen = k.Size(1);

        // ---- key padding merged into the attention mask ----
        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.Dim != 2 || keyPaddingMask.Size(0) != bsz || keyPaddingMask.Size(1) != srcLen)
                throw new ArgumentException($"expecting key_padding_mask shape of ({bsz}, {srcLen}), but got {TorchSize(keyPaddingMask.Shape)}");
            keyPaddingMask = keyPaddingMask.View(bsz, 1, 1, srcLen).Expand(-1, numHeads, -1, -1).Reshape(bsz * numHeads, 1, srcLen);
            if (attnMask is null) attnMask = keyPaddingMask;
            else if (attnMask.DType == DType.Bool) attnMask = attnMask.LogicalOr(keyPaddingMask);
            else attnMask = attnMask.MaskedFill(keyPaddingMask, double.NegativeInfinity);
        }

        // ---- a bool mask becomes 0 / -inf of the queries' dtype ----
        if (attnMask is not null && attnMask.DType == DType.Bool)
            attnMask = Torch.Zeros(attnMask.Shape, q.DType, q.Device).MaskedFill(attnMask, double.NegativeInfinity);

        if (!training) dropoutP = 0.0;

        // ---- scaled dot products, softmax, dropout, weighted values, out-projection ----
        var (weights, output) = ScaledDotProduct(q, k, v, attnMask, dropoutP);
        output = output.Transpose(0, 1).Contiguous().View(tgtLen * bsz, embedDim);
        output = Linear(output, outProjWeight, outProjBias);
        output = output.View(tgtLen, bsz, output.Size(1));

        if (!needWeights) return (isBatched ? output : output.Squeeze(1), null);
        weights = weights.View(bsz, numHeads, tgtLen, srcLen);
        if (averageAttnWeights) weights = weights.Sum(1).Div(numHeads);
        return isBatched ? (output, weights) : (output.Squeeze(1), weights.Squeeze(0));
    }

    /// <summary>softmax(q·kᵀ/√d + mask), dropped out, times v; q (B, L, d), k and v (B, S, d); returns (weights, output).</summary>
    static (Tensor Weights, Tensor Output) ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? attnMask, double dropoutP)
    {
        var qScaled = q.Div(Math.Sqrt(q.Size(2)));
        // torch.baddbmm(attn_mask, q_scaled, kᵀ): the product plus the (broadcast) mask.
        var scores = qScaled.Bmm(k.Transpose(-2, -1));
        if (attnMask is not null) scores = scores.Add(attnMask);
        var weights = scores.Softmax(-1);
        if (dropoutP > 0.0) weights = Dropout(weights, dropoutP);
        return (weights, weights.Bmm(v));
    }

    /// <summary>Checks the ranks of the attention inputs and masks; true for batched (3-D) input (<c>_mha_shape_check</c>).</summary>
    static bool MhaShapeCheck(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, Tensor? attnMask, long numHeads)
    {
        if (query.Dim == 3)
        {
            if (key.Dim != 3 || value.Dim != 3)
                throw new ArgumentException($"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found {key.Dim}-D and {value.Dim}-D tensors respectively");
            if (keyPaddingMask is not null && keyPaddingMask.Dim != 2)
                throw new ArgumentException($"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found {keyPaddingMask.Dim}-D tensor instead");
            if (attnMask is not null && attnMask.Dim is not (2 or 3))
                throw new ArgumentException($"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {attnMask.Dim}-D tensor instead");
            return true;
        }
        if (query.Dim == 2)
        {
            if (key.Dim != 2 || value.Dim != 2)
                throw new ArgumentException($"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found {key.Dim}-D and {value.Dim}-D tensors respectively");
            if (keyPaddingMask is not null && keyPaddingMask.Dim != 1)
                throw new ArgumentException($"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but found {keyPaddingMask.Dim}-D tensor instead");
            if (attnMask is not null)
            {
                if (attnMask.Dim is not (2 or 3))
                    throw new ArgumentException($"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {attnMask.Dim}-D tensor instead");
                if (attnMask.Dim == 3 && (attnMask.Size(0) != numHeads || attnMask.Size(1) != query.Size(0) || attnMask.Size(2) != key.Size(0)))
                    throw new ArgumentException($"Expected `attn_mask` shape to be ({numHeads}, {query.Size(0)}, {key.Size(0)}) but got {TorchSize(attnMask.Shape)}");
            }
            return false;
        }
        throw new ArgumentException($"query should be unbatched 2D or batched 3D tensor but received {query.Dim}-D query tensor");
    }

    /// <summary>Key padding masks are bool or floating point (PyTorch's check in MultiheadAttention and the transformer layers).</summary>
    internal static void CheckKeyPaddingMaskDType(Tensor keyPaddingMask)
    {
        if (keyPaddingMask.DType != DType.Bool && !keyPaddingMask.DType.IsFloatingPoint())
            throw new ArgumentException("only bool and floating types of key_padding_mask are supported");
    }

    /// <summary>
    /// q, k, v projected by one packed (3E, E) weight (<c>_in_projection_packed</c>): self-attention (one tensor for all
    /// three) runs one linear, encoder-decoder attention (key is value) two; otherwise each gets its third.
    /// </summary>
    static (Tensor Q, Tensor K, Tensor V) InProjectionPacked(Tensor q, Tensor k, Tensor v, Tensor w, Tensor? b)
    {
        long e = q.Size(-1);
        if (ReferenceEquals(k, v))
        {
            if (ReferenceEquals(q, k))
            {
                var qkv = Linear(q, w, b).Chunk(3, -1);
                return (qkv[0], qkv[1], qkv[2]);
            }
            var ws = w.Split([e, e * 2]);
            var bs = b?.Split([e, e * 2]);
            var kv = Linear(k, ws[1], bs?[1]).Chunk(2, -1);
            return (Linear(q, ws[0], bs?[0]), kv[0], kv[1]);
        }
        var wc = w.Chunk(3);
        var bc = b?.Chunk(3);
        return (Linear(q, wc[0], bc?[0]), Linear(k, wc[1], bc?[1]), Linear(v, wc[2], bc?[2]));
    }

    /// <summary>q, k, v projected by their own weights, shapes checked (<c>_in_projection</c>).</summary>
    static (Tensor Q, Tensor K, Tensor V) InProjection(Tensor q, Tensor k, Tensor v, Tensor wq, Tensor wk, Tensor wv, Tensor? bq, Tensor? bk, Tensor? bv)
    {
        long eq = q.Size(-1), ek = k.Size(-1), ev = v.Size(-1);
        static bool Is(Tensor t, params long[] shape) => t.Shape.SequenceEqual(shape);
        if (!Is(wq, eq, eq)) throw new ArgumentException($"expecting query weights shape of ({eq}, {eq}), but got {TorchSize(wq.Shape)}");
        if (!Is(wk, eq, ek)) throw new ArgumentException($"expecting key weights shape of ({eq}, {ek}), but got {TorchSize(wk.Shape)}");
        if (!Is(wv, eq, ev)) throw new ArgumentException($"expecting value weights shape of ({eq}, {ev}), but got {TorchSize(wv.Shape)}");
        if (bq is not null && !Is(bq, eq)) throw new ArgumentException($"expecting query bias shape of ({eq},), but got {TorchSize(bq.Shape)}");
        if (bk is not null && !Is(bk, eq)) throw new ArgumentException($"expecting key bias shape of ({eq},), but got {TorchSize(bk.Shape)}");
        if (bv is not null && !Is(bv, eq)) throw new ArgumentException($"expecting value bias shape of ({eq},), but got {TorchSize(bv.Shape)}");
        return (Linear(q, wq, bq), Linear(k, wk, bk), Linear(v, wv, bv));
    }

    static string TorchSize(long[] s) => "torch.Size([" + string.Join(", ", s) + "])";
}
