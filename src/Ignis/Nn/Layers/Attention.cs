namespace Ignis.Nn;

/// <summary>
/// The output projection of <see cref="MultiheadAttention"/> (<c>torch.nn.modules.linear.NonDynamicallyQuantizableLinear</c>):
/// a <see cref="Linear"/> under its own class name, which is what PyTorch prints for <c>out_proj</c>.
/// </summary>
public sealed class NonDynamicallyQuantizableLinear(long inFeatures, long outFeatures, bool bias = true, DType? dtype = null, Device? device = null)
    : Linear(inFeatures, outFeatures, bias, dtype, device);

/// <summary>
/// Multi-head attention (<c>nn.MultiheadAttention</c>, PyTorch 1.13): queries attend to keys and values through
/// <see cref="NumHeads"/> heads of <see cref="HeadDim"/> = embed_dim / num_heads features each. Parameters, their names,
/// state-dict order and initialisation are PyTorch's: with kdim = vdim = embed_dim one packed
/// <c>in_proj_weight</c> (3E, E), else <c>q_proj_weight</c>, <c>k_proj_weight</c>, <c>v_proj_weight</c>; then
/// <c>in_proj_bias</c> (3E), <c>bias_k</c>/<c>bias_v</c> (1, 1, E) with add_bias_kv, and
/// <c>out_proj</c>. Inputs are (L, N, E), (N, L, E) with batch_first, or unbatched (L, E). PyTorch's
/// inference fast path computes the same values; this is the reference computation
/// (<see cref="Functional.MultiHeadAttentionForward"/>).
/// </summary>
public sealed class MultiheadAttention : Module
{
    /// <summary>
    /// Creates the layer; <paramref name="kdim"/> and <paramref name="vdim"/> default to <paramref name="embedDim"/>,
    /// <paramref name="dropout"/> applies to the attention weights in training. The same seed draws the same initial
    /// parameters as PyTorch: the output projection's Linear initialisation, then xavier_uniform_ for the input
    /// projections, zero biases and xavier_normal_ for bias_k/bias_v.
    /// </summary>
    public MultiheadAttention(long embedDim, long numHeads, double dropout = 0.0, bool bias = true, bool addBiasKv = false,
        bool addZeroAttn = false, long? kdim = null, long? vdim = null, bool batchFirst = false, DType? dtype = null, Device? device = null)
    {
        EmbedDim = embedDim;
        KDim = kdim ?? embedDim;
        VDim = vdim ?? embedDim;
        QkvSameEmbedDim = KDim == embedDim && VDim == embedDim;
        NumHeads = numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;
        if (numHeads <= 0) throw new ArgumentException($"num_heads must be positive, but got {numHeads}");
        HeadDim = embedDim / numHeads;
        if (HeadDim * numHeads != embedDim) throw new ArgumentException("embed_dim must be divisible by num_heads");

        // Registration order is PyTorch's, which fixes the state-dict order.
        if (!QkvSameEmbedDim)
        {
            QProjWeight = new Parameter(Torch.Empty([embedDim, embedDim], dtype, device));
            KProjWeight = new Parameter(Torch.Empty([embedDim, KDim], dtype, device));
            VProjWeight = new Parameter(Torch.Empty([embedDim, VDim], dtype, device));
            RegisterParameter("q_proj_weight", QProjWeight);
            RegisterParameter("k_proj_weight", KProjWeight);
            RegisterParameter("v_proj_weight", VProjWeight);
            RegisterParameter("in_proj_weight", null);
        }
        else
        {
            InProjWeight = new Parameter(Torch.Empty([3 * embedDim, embedDim], dtype, device));
            RegisterParameter("in_proj_weight", InProjWeight);
            RegisterParameter("q_proj_weight", null);
            RegisterParameter("k_proj_weight", null);
            RegisterParameter("v_proj_weight", null);
        }
        if (bias) InProjBias = new Parameter(Torch.Empty([3 * embedDim], dtype, device));
        RegisterParameter("in_proj_bias", InProjBias);
        OutProj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, bias, dtype, device);
        RegisterModule("out_proj", OutProj);
        if (addBiasKv)
        {
            BiasK = new Parameter(Torch.Empty([1, 1, embedDim], dtype, device));
            BiasV = new Parameter(Torch.Empty([1, 1, embedDim], dtype, device));
            RegisterParameter("bias_k", BiasK);
            RegisterParameter("bias_v", BiasV);
        }
        AddZeroAttn = addZeroAttn;
        ResetParameters();
    }

    /// <summary>Model width E (<c>embed_dim</c>).</summary>
    public long EmbedDim { get; }
    /// <summary>Key width (<c>kdim</c>).</summary>
    public long KDim { get; }
    /// <summary>Value width (<c>vdim</c>).</summary>
    public long VDim { get; }
    /// <summary>Whether keys and values are E wide, so one packed input projection is used (<c>_qkv_same_embed_dim</c>).</summary>
    public bool QkvSameEmbedDim { get; }
    /// <summary>Number of heads (<c>num_heads</c>).</summary>
    public long NumHeads { get; }
    /// <summary>Dropout probability on the attention weights (<c>dropout</c>).</summary>
    public double Dropout { get; }
    /// <summary>Whether batched input is (N, L, E) rather than (L, N, E) (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }
    /// <summary>Features per head, E / num_heads (<c>head_dim</c>).</summary>
    public long HeadDim { get; }
    /// <summary>Whether a zero key and value are appended (<c>add_zero_attn</c>).</summary>
    public bool AddZeroAttn { get; }
    /// <summary>Packed (3E, E) query/key/value projection, or null when kdim or vdim differ from E (<c>in_proj_weight</c>).</summary>
    public Parameter? InProjWeight { get; }
    /// <summary>(E, E) query projection when kdim or vdim differ from E, else null (<c>q_proj_weight</c>).</summary>
    public Parameter? QProjWeight { get; }
    /// <summary>(E, kdim) key projection when kdim or vdim differ from E, else null (<c>k_proj_weight</c>).</summary>
    public Parameter? KProjWeight { get; }
    /// <summary>(E, vdim) value projection when kdim or vdim differ from E, else null (<c>v_proj_weight</c>).</summary>
    public Parameter? VProjWeight { get; }
    /// <summary>Packed (3E) input-projection bias, or null without bias (<c>in_proj_bias</c>).</summary>
    public Parameter? InProjBias { get; }
    /// <summary>(1, 1, E) bias appended to the keys, or null (<c>bias_k</c>).</summary>
    public Parameter? BiasK { get; }
    /// <summary>(1, 1, E) bias appended to the values, or null (<c>bias_v</c>).</summary>
    public Parameter? BiasV { get; }
    /// <summary>The output projection (<c>out_proj</c>).</summary>
    public NonDynamicallyQuantizableLinear OutProj { get; }

    /// <summary>PyTorch's initialisation of the projections and biases (<c>_reset_parameters</c>); out_proj.weight keeps Linear's.</summary>
    void ResetParameters()
    {
        if (QkvSameEmbedDim) Init.XavierUniform_(InProjWeight!);
        else
        {
            Init.XavierUniform_(QProjWeight!);
            Init.XavierUniform_(KProjWeight!);
            Init.XavierUniform_(VProjWeight!);
        }
        if (InProjBias is not null)
        {
            Init.Constant_(InProjBias, 0.0);
            Init.Constant_(OutProj.Bias!, 0.0);
        }
        if (BiasK is not null) Init.XavierNormal_(BiasK);
        if (BiasV is not null) Init.XavierNormal_(BiasV);
    }

    /// <summary>
    /// Attends <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/> (<c>forward</c>). Returns the
    /// output, shaped like the query, and with <paramref name="needWeights"/> the attention weights: (N, L, S) averaged
    /// over heads, or (N, heads, L, S) when <paramref name="averageAttnWeights"/> is false (unbatched: without N).
    /// <paramref name="keyPaddingMask"/> is (N, S) or (S): bool, true where a key is padding, or float, added;
    /// <paramref name="attnMask"/> is (L, S) or (N·heads, L, S): bool, true where attending is not allowed, or float, added.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        bool isBatched = query.Dim == 3;
        if (keyPaddingMask is not null) Functional.CheckKeyPaddingMaskDType(keyPaddingMask);
        if (BatchFirst && isBatched)
        {
            // Transposed once per distinct tensor, so that self- and encoder-decoder attention keep their packed projection.
            if (ReferenceEquals(key, value))
            {
                if (ReferenceEquals(query, key)) query = key = value = query.Transpose(1, 0);
                else
                {
                    query = query.Transpose(1, 0);
                    key = value = key.Transpose(1, 0);
                }
            }
            else (query, key, value) = (query.Transpose(1, 0), key.Transpose(1, 0), value.Transpose(1, 0));
        }
        var (output, weights) = Functional.MultiHeadAttentionForward(query, key, value, EmbedDim, NumHeads,
            InProjWeight, InProjBias, BiasK, BiasV, AddZeroAttn, Dropout, OutProj.Weight, OutProj.Bias,
            training: Training, keyPaddingMask: keyPaddingMask, needWeights: needWeights, attnMask: attnMask,
            useSeparateProjWeight: !QkvSameEmbedDim, qProjWeight: QProjWeight, kProjWeight: KProjWeight, vProjWeight: VProjWeight,
            averageAttnWeights: averageAttnWeights);
        return (BatchFirst && isBatched ? output.Transpose(1, 0) : output, weights);
    }
}
