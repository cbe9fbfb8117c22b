namespace Ignis.Nn;

/// <summary>
/// One transformer encoder block (<c>nn.TransformerEncoderLayer</c>, PyTorch 1.13): self-attention, then a two-layer
/// feed-forward network, each with dropout, a residual connection and layer normalisation — after each block (the
/// default), or before it with <c>normFirst</c>. Submodules, names and order are PyTorch's: <c>self_attn</c>,
/// <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>, so
/// state dicts load either way. PyTorch's inference fast path computes the same values; this is the reference computation.
/// </summary>
public sealed class TransformerEncoderLayer : Module<Tensor, Tensor>
{
    readonly Func<Tensor, Tensor>? customActivation;

    /// <summary>
    /// Creates the layer; <paramref name="activation"/> is "relu" or "gelu" (<c>activation=</c> as a string).
    /// Submodules are built in PyTorch's order, so the same seed draws the same initial parameters.
    /// </summary>
    public TransformerEncoderLayer(long dModel, long nhead, long dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, DType? dtype = null, Device? device = null)
        : this(dModel, nhead, dimFeedforward, dropout, layerNormEps, batchFirst, normFirst, dtype, device)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (activation is not ("relu" or "gelu")) throw new ArgumentException($"activation should be relu/gelu, not {activation}");
        Activation = activation;
    }

    /// <summary>Creates the layer with a custom activation function (<c>activation=</c> as a callable).</summary>
    public TransformerEncoderLayer(long dModel, long nhead, Func<Tensor, Tensor> activation, long dimFeedforward = 2048, double dropout = 0.1,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, DType? dtype = null, Device? device = null)
        : this(dModel, nhead, dimFeedforward, dropout, layerNormEps, batchFirst, normFirst, dtype, device)
    {
        ArgumentNullException.ThrowIfNull(activation);
        customActivation = activation;
        Activation = null;
    }

    TransformerEncoderLayer(long dModel, long nhead, long dimFeedforward, double dropout, double layerNormEps, bool batchFirst, bool normFirst, DType? dtype, Device? device)
    {
        DModel = dModel;
        DimFeedforward = dimFeedforward;
        LayerNormEps = layerNormEps;
        NormFirst = normFirst;
        SelfAttn = new MultiheadAttention(dModel, nhead, dropout: dropout, batchFirst: batchFirst, dtype: dtype, device: device);
        Linear1 = new Linear(dModel, dimFeedforward, dtype: dtype, device: device);
        Dropout = new Dropout(dropout);
        Linear2 = new Linear(dimFeedforward, dModel, dtype: dtype, device: device);
        Norm1 = new LayerNorm([dModel], layerNormEps, dtype: dtype, device: device);
        Norm2 = new LayerNorm([dModel], layerNormEps, dtype: dtype, device: device);
        Dropout1 = new Dropout(dropout);
        Dropout2 = new Dropout(dropout);
        RegisterModule("self_attn", SelfAttn);
        RegisterModule("linear1", Linear1);
        RegisterModule("dropout", Dropout);
        RegisterModule("linear2", Linear2);
        RegisterModule("norm1", Norm1);
        RegisterModule("norm2", Norm2);
        RegisterModule("dropout1", Dropout1);
        RegisterModule("dropout2", Dropout2);
    }

    /// <summary>Model width (<c>d_model</c>).</summary>
    public long DModel { get; }
    /// <summary>Hidden width of the feed-forward network (<c>dim_feedforward</c>).</summary>
    public long DimFeedforward { get; }
    /// <summary>Epsilon of both layer norms (<c>layer_norm_eps</c>).</summary>
    public double LayerNormEps { get; }
    /// <summary>Whether the layer norms come before the blocks (pre-norm) rather than after (<c>norm_first</c>).</summary>
    public bool NormFirst { get; }
    /// <summary>"relu" or "gelu", or null for a custom activation function.</summary>
    public string? Activation { get; }
    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }
    /// <summary>d_model → dim_feedforward (<c>linear1</c>).</summary>
    public Linear Linear1 { get; }
    /// <summary>Dropout inside the feed-forward network (<c>dropout</c>).</summary>
    public Dropout Dropout { get; }
    /// <summary>dim_feedforward → d_model (<c>linear2</c>).</summary>
    public Linear Linear2 { get; }
    /// <summary>Norm of the self-attention block (<c>norm1</c>).</summary>
    public LayerNorm Norm1 { get; }
    /// <summary>Norm of the feed-forward block (<c>norm2</c>).</summary>
    public LayerNorm Norm2 { get; }
    /// <summary>Dropout on the self-attention output (<c>dropout1</c>).</summary>
    public Dropout Dropout1 { get; }
    /// <summary>Dropout on the feed-forward output (<c>dropout2</c>).</summary>
    public Dropout Dropout2 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>
    /// Runs the layer (<c>forward</c>): <paramref name="src"/> is (S, N, E), (N, S, E) with batch_first, or (S, E);
    /// <paramref name="srcMask"/> (S, S) or (N·heads, S, S) and <paramref name="srcKeyPaddingMask"/> (N, S) are the
    /// self-attention's attn_mask and key_padding_mask.
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        if (srcKeyPaddingMask is not null) Functional.CheckKeyPaddingMaskDType(srcKeyPaddingMask);
        var x = src;
        if (NormFirst)
        {
            x = x.Add(SelfAttentionBlock(Norm1.Forward(x), srcMask, srcKeyPaddingMask));
            x = x.Add(FeedForwardBlock(Norm2.Forward(x)));
        }
        else
        {
            x = Norm1.Forward(x.Add(SelfAttentionBlock(x, srcMask, srcKeyPaddingMask)));
            x = Norm2.Forward(x.Add(FeedForwardBlock(x)));
        }
        return x;
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? attnMask, Tensor? keyPaddingMask) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask: keyPaddingMask, needWeights: false, attnMask: attnMask).Output);

    Tensor FeedForwardBlock(Tensor x) => Dropout2.Forward(Linear2.Forward(Dropout.Forward(Activate(Linear1.Forward(x)))));

    Tensor Activate(Tensor x) => customActivation is not null ? customActivation(x)
        : Activation == "gelu" ? Functional.Gelu(x) : x.Relu();

    /// <summary>
    /// An independent copy with equal parameters, gradients, requires-grad flags and modes (<c>copy.deepcopy</c>). The
    /// copy is built with the generator's state put back afterwards, so copying draws nothing, as in PyTorch.
    /// </summary>
    internal TransformerEncoderLayer DeepCopy()
    {
        var like = SelfAttn.OutProj.Weight;
        var rng = Torch.DefaultGenerator.SaveState();
        TransformerEncoderLayer copy;
        try
        {
            copy = customActivation is not null
                ? new TransformerEncoderLayer(DModel, SelfAttn.NumHeads, customActivation, DimFeedforward, SelfAttn.Dropout, LayerNormEps,
                    SelfAttn.BatchFirst, NormFirst, like.DType, like.Device)
                : new TransformerEncoderLayer(DModel, SelfAttn.NumHeads, DimFeedforward, SelfAttn.Dropout, Activation!, LayerNormEps,
                    SelfAttn.BatchFirst, NormFirst, like.DType, like.Device);
        }
        finally
        {
            Torch.DefaultGenerator.RestoreState(rng);
        }
        using (Torch.NoGrad())
            foreach (var (from, to) in Parameters().Zip(copy.Parameters()))
            {
                if (from.DType != to.DType || from.Device != to.Device) to.SetData(from.Detach().Clone());
                else to.Copy_(from);
                to.RequiresGrad = from.RequiresGrad;
                if (from.Grad is { } g) to.Grad = g.Clone();
            }
        foreach (var (from, to) in Modules().Zip(copy.Modules())) to.Train(from.Training);
        return copy;
    }
}

/// <summary>
/// A stack of encoder layers with an optional final norm (<c>nn.TransformerEncoder</c>): <c>new
/// TransformerEncoder(layer, 6)</c> holds six independent copies of <c>layer</c> in <c>layers</c> (PyTorch's
/// <c>_get_clones</c>: equal initial parameters, no random draws), then <c>norm</c> when given. This is PyTorch's
/// math path; one visible difference from its inference fast path: in eval mode under no_grad, with batch_first and a
/// key padding mask, PyTorch runs on nested tensors and returns zeros at the padded positions, where this returns the
/// computed values (the other positions agree).
/// </summary>
public sealed class TransformerEncoder : Module<Tensor, Tensor>
{
    /// <summary>
    /// Stacks <paramref name="numLayers"/> deep copies of <paramref name="encoderLayer"/>. <paramref name="enableNestedTensor"/>
    /// and <paramref name="maskCheck"/> select PyTorch's inference fast path and are accepted for compatibility only.
    /// </summary>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module<Tensor, Tensor>? norm = null,
        bool enableNestedTensor = true, bool maskCheck = true)
    {
        ArgumentNullException.ThrowIfNull(encoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Layers = new ModuleList();
        for (int i = 0; i < numLayers; i++) Layers.Add(encoderLayer.DeepCopy());
        NumLayers = numLayers;
        Norm = norm;
        EnableNestedTensor = enableNestedTensor;
        MaskCheck = maskCheck;
        RegisterModule("layers", Layers);
        RegisterModule("norm", norm);
    }

    /// <summary>The encoder layers (<c>layers</c>).</summary>
    public ModuleList Layers { get; }
    /// <summary>Number of layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }
    /// <summary>Norm applied to the last layer's output, or null (<c>norm</c>).</summary>
    public Module<Tensor, Tensor>? Norm { get; }
    /// <summary>Accepted for compatibility; the nested-tensor fast path is not used (<c>enable_nested_tensor</c>).</summary>
    public bool EnableNestedTensor { get; }
    /// <summary>Accepted for compatibility (<c>mask_check</c>).</summary>
    public bool MaskCheck { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>
    /// Runs the layers in turn, each with <paramref name="mask"/> and <paramref name="srcKeyPaddingMask"/>, then the final
    /// norm (<c>forward</c>).
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        if (srcKeyPaddingMask is not null) Functional.CheckKeyPaddingMaskDType(srcKeyPaddingMask);
        var output = src;
        foreach (var layer in Layers)
            output = layer is TransformerEncoderLayer encoderLayer
                ? encoderLayer.Forward(output, mask, srcKeyPaddingMask)
                : throw new InvalidOperationException($"TransformerEncoder.layers holds a {layer.GetType().Name}, not a TransformerEncoderLayer");
        return Norm is null ? output : Norm.Forward(output);
    }
}
