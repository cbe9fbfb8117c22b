using Ignis.Nn;
using Ignis.Vision.Ops;

namespace Ignis.Vision.Models;

/// <summary>
/// Vision Transformer as torchvision 0.14 builds it (<c>torchvision.models.VisionTransformer</c>; vit_b_16 = 224 px,
/// patch 16, 12 layers, 12 heads, hidden 768, MLP 3072). torchvision's convolutional-stem option is not offered.
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the model (<c>VisionTransformer(image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
    /// attention_dropout, num_classes, representation_size)</c>) with torchvision's initialisation.
    /// </summary>
    public VisionTransformer(int imageSize, int patchSize, int numLayers, int numHeads, int hiddenDim, int mlpDim, double dropout = 0.0,
        double attentionDropout = 0.0, int numClasses = 1000, int? representationSize = null)
    {
        if (imageSize % patchSize != 0) throw new ArgumentException("Input shape indivisible by patch size!");
        ImageSize = imageSize;
        PatchSize = patchSize;
        HiddenDim = hiddenDim;
        var convProj = new Conv2d(3, hiddenDim, patchSize, stride: patchSize);
        conv_proj = convProj;
        int seqLength = (imageSize / patchSize) * (imageSize / patchSize);
        class_token = new Parameter(Torch.Zeros([1, 1, hiddenDim]));
        seqLength += 1;
        encoder = new Encoder(seqLength, numLayers, numHeads, hiddenDim, mlpDim, dropout, attentionDropout);
        SeqLength = seqLength;
        Linear? preLogits = null;
        Linear head;
        if (representationSize is int rs)
        {
            preLogits = new Linear(hiddenDim, rs);
            head = new Linear(rs, numClasses);
            heads = new Sequential(("pre_logits", preLogits), ("act", new Tanh()), ("head", head));
        }
        else
        {
            head = new Linear(hiddenDim, numClasses);
            heads = new Sequential(("head", head));
        }
        long fanIn = convProj.InChannels * convProj.KernelSize[0] * convProj.KernelSize[1];
        Init.TruncNormal_(convProj.Weight, std: Math.Sqrt(1.0 / fanIn));
        Init.Zeros_(convProj.Bias!);
        if (preLogits is not null)
        {
            Init.TruncNormal_(preLogits.Weight, std: Math.Sqrt(1.0 / preLogits.InFeatures));
            Init.Zeros_(preLogits.Bias!);
        }
        Init.Zeros_(head.Weight);
        Init.Zeros_(head.Bias!);
    }

#pragma warning disable IDE1006 // torchvision's module and parameter names
    Module<Tensor, Tensor> conv_proj;
    Parameter class_token;
    readonly Encoder encoder;
    Sequential heads;
#pragma warning restore IDE1006

    /// <summary>Input height and width the model accepts.</summary>
    public int ImageSize { get; }
    /// <summary>Patch side.</summary>
    public int PatchSize { get; }
    /// <summary>Token width.</summary>
    public int HiddenDim { get; }
    /// <summary>Patches + 1 (the class token).</summary>
    public int SeqLength { get; }
    /// <summary>Patch embedding (<c>conv_proj</c>).</summary>
    public Module<Tensor, Tensor> ConvProj { get => conv_proj; set => conv_proj = value; }
    /// <summary>The learned class token (<c>class_token</c>, [1, 1, hidden]).</summary>
    public Parameter ClassToken { get => class_token; set => class_token = value; }
    /// <summary>The transformer (<c>encoder</c>).</summary>
    public Encoder EncoderModule => encoder;
    /// <summary>The head (<c>heads</c>; <c>Heads[^1]</c> is <c>heads.head</c>); replace <c>Heads[0]</c> for another number of classes.</summary>
    public Sequential Heads { get => heads; set => heads = value; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim != 4) throw new ArgumentException($"expected a 4-D (N, C, H, W) input, got {input.Dim}-D");
        long n = input.Shape[0], h = input.Shape[2], w = input.Shape[3];
        if (h != ImageSize) throw new ArgumentException($"Wrong image height! Expected {ImageSize} but got {h}!");
        if (w != ImageSize) throw new ArgumentException($"Wrong image width! Expected {ImageSize} but got {w}!");
        long nh = h / PatchSize, nw = w / PatchSize;
        var x = conv_proj.Forward(input).Reshape(n, HiddenDim, nh * nw).Permute(0, 2, 1);
        x = Torch.Cat([class_token.Expand(n, -1, -1), x], 1);
        x = encoder.Forward(x);
        return heads.Forward(x.Select(1, 0));
    }

    /// <summary>The transformer: position embedding, encoder blocks, final LayerNorm (<c>vision_transformer.Encoder</c>).</summary>
    public sealed class Encoder : Module<Tensor, Tensor>
    {
        /// <summary>Creates the encoder.</summary>
        public Encoder(int seqLength, int numLayers, int numHeads, int hiddenDim, int mlpDim, double dropout, double attentionDropout)
        {
            pos_embedding = new Parameter(Init.Normal_(Torch.Empty([1, seqLength, hiddenDim]), 0, 0.02));
            this.dropout = new Dropout(dropout);
            layers = new Sequential();
            for (int i = 0; i < numLayers; i++)
                layers.AddModule($"encoder_layer_{i}", new EncoderBlock(numHeads, hiddenDim, mlpDim, dropout, attentionDropout));
            ln = new LayerNorm(hiddenDim, 1e-6);
        }

#pragma warning disable IDE1006 // torchvision's module and parameter names
        readonly Parameter pos_embedding;
        readonly Dropout dropout;
        readonly Sequential layers;
        readonly LayerNorm ln;
#pragma warning restore IDE1006

        /// <summary>The learned position embedding (<c>pos_embedding</c>, [1, seq, hidden]).</summary>
        public Parameter PosEmbedding => pos_embedding;
        /// <summary>The blocks (<c>layers</c>, named <c>encoder_layer_i</c>).</summary>
        public Sequential Layers => layers;

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            if (input.Dim != 3) throw new ArgumentException($"Expected (batch_size, seq_length, hidden_dim) got torch.Size([{string.Join(", ", input.Shape)}])");
            return ln.Forward(layers.Forward(dropout.Forward(input.Add(pos_embedding))));
        }
    }

    /// <summary>Pre-norm self-attention and MLP with residuals (<c>vision_transformer.EncoderBlock</c>).</summary>
    public sealed class EncoderBlock : Module<Tensor, Tensor>
    {
        /// <summary>Creates the block.</summary>
        public EncoderBlock(int numHeads, int hiddenDim, int mlpDim, double dropout, double attentionDropout)
        {
            NumHeads = numHeads;
            ln_1 = new LayerNorm(hiddenDim, 1e-6);
            self_attention = new MultiheadAttention(hiddenDim, numHeads, dropout: attentionDropout, batchFirst: true);
            this.dropout = new Dropout(dropout);
            ln_2 = new LayerNorm(hiddenDim, 1e-6);
            mlp = new MLPBlock(hiddenDim, mlpDim, dropout);
        }

        /// <summary>Attention heads.</summary>
        public int NumHeads { get; }
#pragma warning disable IDE1006 // torchvision's module names
        readonly LayerNorm ln_1;
        readonly MultiheadAttention self_attention;
        readonly Dropout dropout;
        readonly LayerNorm ln_2;
        readonly MLPBlock mlp;
#pragma warning restore IDE1006

        /// <summary>The block's attention (<c>self_attention</c>).</summary>
        public MultiheadAttention SelfAttention => self_attention;

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            if (input.Dim != 3) throw new ArgumentException($"Expected (batch_size, seq_length, hidden_dim) got torch.Size([{string.Join(", ", input.Shape)}])");
            var x = ln_1.Forward(input);
            x = self_attention.Forward(x, x, x, needWeights: false).Output;
            x = dropout.Forward(x).Add(input);
            var y = mlp.Forward(ln_2.Forward(x));
            return x.Add(y);
        }
    }

    /// <summary>The transformer MLP (<c>vision_transformer.MLPBlock</c>): Linear, GELU, Dropout, Linear, Dropout, Xavier-initialised.</summary>
    public sealed class MLPBlock : Mlp
    {
        /// <summary>Creates the block.</summary>
        public MLPBlock(int inDim, int mlpDim, double dropout)
            : base(inDim, [mlpDim, inDim], activationLayer: _ => new GELU(), inplace: null, dropout: dropout)
        {
            foreach (var m in Modules())
            {
                if (m is not Linear l) continue;
                Init.XavierUniform_(l.Weight);
                if (l.Bias is not null) Init.Normal_(l.Bias, std: 1e-6);
            }
        }
    }
}
