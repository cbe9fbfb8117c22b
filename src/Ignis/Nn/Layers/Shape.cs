namespace Ignis.Nn;

/// <summary>Flattens dims startDim..endDim into one (<c>nn.Flatten</c>; defaults keep the batch dim).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>First flattened dim.</summary>
    public int StartDim { get; } = startDim;
    /// <summary>Last flattened dim.</summary>
    public int EndDim { get; } = endDim;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

/// <summary>Returns its input (<c>nn.Identity</c>).</summary>
public sealed class Identity : Module<Tensor, Tensor>
{ /// <inheritdoc/>
  public override Tensor Forward(Tensor input) => input; }

/// <summary>A lookup table of learnable vectors (<c>nn.Embedding</c>), initialised N(0, 1) with the padding row zeroed.</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates a [numEmbeddings, embeddingDim] table.</summary>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null, DType? dtype = null, Device? device = null)
    {
        if (paddingIdx is long p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings) throw new ArgumentException("Padding_idx must be within num_embeddings");
            paddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx;
        Weight = new Parameter(Torch.Empty([numEmbeddings, embeddingDim], dtype, device));
        RegisterParameter("weight", Weight);
        Init.Normal_(Weight);
        if (PaddingIdx is long pi) using (Torch.NoGrad()) Weight[pi].Fill_(0);
    }

    /// <summary>Table rows.</summary>
    public long NumEmbeddings { get; }
    /// <summary>Vector size.</summary>
    public long EmbeddingDim { get; }
    /// <summary>Row that gets no gradient, or null.</summary>
    public long? PaddingIdx { get; }
    /// <summary>The [num, dim] table.</summary>
    public Parameter Weight { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);
    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is long p ? $", padding_idx={p}" : "");
}
