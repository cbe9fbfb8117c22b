using System.Text.Json;
using Ignis;
using Ignis.Autograd;
using Ignis.Nn;
using Xunit;
using F = Ignis.Nn.Functional;

namespace Ignis.Tests;

/// <summary>
/// MultiheadAttention, TransformerEncoderLayer and TransformerEncoder against PyTorch 1.13
/// (tools/fixtures/make_attention_fixtures.py → Fixtures/attention.json): seeded initialisation, state-dict keys,
/// print-out, outputs, attention weights and gradients of inputs, float masks and every parameter; PyTorch's error
/// messages; finite-difference gradient checks in float64.
/// </summary>
public class AttentionTests
{
    public static IEnumerable<object[]> Cases => Fixture.Names("attention");

    static bool Bool(JsonElement cfg, string key, bool fallback) =>
        cfg.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    static double Num(JsonElement cfg, string key, double fallback) =>
        cfg.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    static long? Long(JsonElement cfg, string key) =>
        cfg.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    /// <summary>The module of a case, built from the constructor arguments PyTorch was given.</summary>
    static Module Make(JsonElement c)
    {
        var cfg = c.GetProperty("config");
        if (c.GetProperty("kind").GetString() == "mha")
            return new MultiheadAttention(Long(cfg, "embed_dim")!.Value, Long(cfg, "num_heads")!.Value, dropout: Num(cfg, "dropout", 0.0),
                bias: Bool(cfg, "bias", true), addBiasKv: Bool(cfg, "add_bias_kv", false), addZeroAttn: Bool(cfg, "add_zero_attn", false),
                kdim: Long(cfg, "kdim"), vdim: Long(cfg, "vdim"), batchFirst: Bool(cfg, "batch_first", false));
        long d = Long(cfg, "d_model")!.Value;
        var layer = new TransformerEncoderLayer(d, Long(cfg, "nhead")!.Value, Long(cfg, "dim_feedforward")!.Value, Num(cfg, "dropout", 0.1),
            cfg.TryGetProperty("activation", out var a) ? a.GetString()! : "relu", Num(cfg, "layer_norm_eps", 1e-5),
            Bool(cfg, "batch_first", false), Bool(cfg, "norm_first", false));
        if (c.GetProperty("kind").GetString() == "tel") return layer;
        return new TransformerEncoder(layer, (int)Long(cfg, "num_layers")!.Value, Bool(cfg, "final_norm", false) ? new LayerNorm(d) : null);
    }

    /// <summary>Runs a case's forward pass on its inputs; the same tensor is passed where PyTorch passed one tensor twice or thrice.</summary>
    static (Tensor Output, Tensor? Weights) Run(JsonElement c, Module m, Dictionary<string, Tensor> x)
    {
        switch (m)
        {
            case MultiheadAttention mha:
            {
                var cfg = c.GetProperty("config");
                var same = c.GetProperty("same").ValueKind == JsonValueKind.Null ? null : c.GetProperty("same").GetString();
                var q = x["query"];
                var k = same == "qkv" ? q : x["key"];
                var v = same is "qkv" or "kv" ? k : x["value"];
                return mha.Forward(q, k, v, x.GetValueOrDefault("key_padding_mask"), Bool(cfg, "need_weights", true),
                    x.GetValueOrDefault("attn_mask"), Bool(cfg, "average_attn_weights", true));
            }
            case TransformerEncoderLayer layer:
                return (layer.Forward(x["src"], x.GetValueOrDefault("src_mask"), x.GetValueOrDefault("src_key_padding_mask")), null);
            default:
                return (((TransformerEncoder)m).Forward(x["src"], x.GetValueOrDefault("src_mask"), x.GetValueOrDefault("src_key_padding_mask")), null);
        }
    }

    static Dictionary<string, Tensor> State(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => Fixture.ToTensor(p.Value));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seeded_construction_draws_pytorchs_parameters_with_its_keys_and_print(string name)
    {
        var c = Fixture.Case("attention", name);
        Torch.ManualSeed(c.GetProperty("seed").GetInt64());
        var m = Make(c);
        var sd = m.StateDict();
        // The generator stands where PyTorch's stands: construction (and the encoder's layer copies) drew exactly as much.
        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("rng_after")), Torch.Rand(4), $"{name} rng_after", 0, 0);
        Assert.Equal(c.GetProperty("keys").EnumerateArray().Select(k => k.GetString()), sd.Keys);
        foreach (var p in c.GetProperty("init").EnumerateObject())
            Fixture.AssertClose(Fixture.ToTensor(p.Value), sd[p.Name], $"{name} init {p.Name}", 1e-6, 1e-7);
        Assert.Equal(c.GetProperty("repr").GetString(), m.ToString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_weights_and_gradients_match_pytorch(string name)
    {
        var c = Fixture.Case("attention", name);
        var m = Make(c);
        m.LoadStateDict(State(c.GetProperty("params")));
        m.Train();
        var grads = c.GetProperty("input_grads");
        var inputs = new Dictionary<string, Tensor>();
        foreach (var p in c.GetProperty("inputs").EnumerateObject())
        {
            var t = Fixture.ToTensor(p.Value);
            if (grads.TryGetProperty(p.Name, out _)) t.RequiresGrad = true;
            inputs[p.Name] = t;
        }
        if (c.GetProperty("fwd_seed").ValueKind == JsonValueKind.Number) Torch.ManualSeed(c.GetProperty("fwd_seed").GetInt64());
        var (output, weights) = Run(c, m, inputs);

        Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("output")), output, $"{name} output", 1e-5, 1e-5);
        if (c.GetProperty("weights").ValueKind == JsonValueKind.Null) Assert.Null(weights);
        else Fixture.AssertClose(Fixture.ToTensor(c.GetProperty("weights")), weights!, $"{name} weights", 1e-5, 1e-6);

        var loss = output.Mul(Fixture.ToTensor(c.GetProperty("grad_output"))).Sum();
        if (weights is not null) loss = loss.Add(weights.Mul(Fixture.ToTensor(c.GetProperty("grad_weights"))).Sum());
        loss.Backward();
        foreach (var g in grads.EnumerateObject())
            Fixture.AssertClose(Fixture.ToTensor(g.Value), inputs[g.Name].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: {g.Name} has no gradient"),
                $"{name} grad {g.Name}", 1e-5, 1e-5);
        var parameters = m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var expectedParamGrads = c.GetProperty("param_grads").EnumerateObject().ToList();
        Assert.Equal(expectedParamGrads.Select(p => p.Name), parameters.Keys);
        foreach (var g in expectedParamGrads)
            Fixture.AssertClose(Fixture.ToTensor(g.Value), parameters[g.Name].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: {g.Name} has no gradient"),
                $"{name} grad {g.Name}", 1e-5, 1e-5);
    }

    [Fact]
    public void Multihead_attention_exposes_pytorchs_attributes_and_parameters()
    {
        var mha = new MultiheadAttention(8, 2, kdim: 3, vdim: 5, addBiasKv: true, batchFirst: true);
        Assert.Equal((8L, 3L, 5L, 4L, 2L), (mha.EmbedDim, mha.KDim, mha.VDim, mha.HeadDim, mha.NumHeads));
        Assert.False(mha.QkvSameEmbedDim);
        Assert.Null(mha.InProjWeight);
        Assert.Equal([8L, 3], mha.KProjWeight!.Shape);
        Assert.Equal([1L, 1, 8], mha.BiasK!.Shape);
        Assert.IsAssignableFrom<Linear>(mha.OutProj);
        Assert.Equal(["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"],
            mha.NamedParameters().Select(p => p.Name));
        var noBias = new MultiheadAttention(4, 4, bias: false);
        Assert.Equal(["in_proj_weight", "out_proj.weight"], noBias.StateDict().Keys);
        Assert.Equal("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, out_features=4, bias=False)\n)", noBias.ToString());
    }

    [Fact]
    public void Unbatched_batch_first_and_eval_forms_agree_with_the_batched_one()
    {
        Torch.ManualSeed(5);
        var mha = new MultiheadAttention(4, 2);
        var bf = new MultiheadAttention(4, 2, batchFirst: true);
        bf.LoadStateDict(mha.StateDict());
        var x = Torch.Randn(3, 2, 4);
        var (o, w) = mha.Forward(x, x, x);
        var xt = x.Transpose(0, 1).Contiguous();
        var (ob, wb) = bf.Forward(xt, xt, xt);
        Fixture.AssertClose(o, ob.Transpose(0, 1), "batch_first output", 1e-6, 1e-6);
        Fixture.AssertClose(w!, wb!, "batch_first weights", 1e-6, 1e-6);
        var x1 = x.Select(1, 1);
        var (o1, w1) = mha.Forward(x1, x1, x1);
        Fixture.AssertClose(o.Select(1, 1), o1, "unbatched output", 1e-6, 1e-6);
        Fixture.AssertClose(w!.Select(0, 1), w1!, "unbatched weights", 1e-6, 1e-6);
        // Dropout acts in training only; evaluation gives the undropped result.
        var drop = new MultiheadAttention(4, 2, dropout: 0.5);
        drop.LoadStateDict(mha.StateDict());
        drop.Eval();
        Fixture.AssertClose(o, drop.Forward(x, x, x).Output, "eval", 0, 0);
        Assert.Null(mha.Forward(x, x, x, needWeights: false).Weights);
    }

    static void Throws<TEx>(string message, Action act) where TEx : Exception => Assert.Equal(message, Assert.Throws<TEx>(act).Message);

    [Fact]
    public void Bad_shapes_and_dtypes_raise_pytorchs_messages()
    {
        Throws<ArgumentException>("embed_dim must be divisible by num_heads", () => new MultiheadAttention(10, 3));
        var m = new MultiheadAttention(4, 2);
        var q = Torch.Randn(4, 2, 4);
        var k = Torch.Randn(5, 2, 4);
        Throws<ArgumentException>("query should be unbatched 2D or batched 3D tensor but received 4-D query tensor", () => m.Forward(Torch.Randn(1, 4, 2, 4), k, k));
        Throws<ArgumentException>("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 3-D tensors respectively",
            () => m.Forward(q, Torch.Randn(5, 4), k));
        Throws<ArgumentException>("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found 3-D tensor instead",
            () => m.Forward(q, k, k, keyPaddingMask: Torch.Zeros([2, 2, 5], DType.Bool)));
        Throws<ArgumentException>("The shape of the 2D attn_mask is torch.Size([3, 3]), but should be (4, 5).",
            () => m.Forward(q, k, k, attnMask: Torch.Zeros([3, 3], DType.Bool)));
        Throws<ArgumentException>("The shape of the 3D attn_mask is torch.Size([2, 4, 5]), but should be (4, 4, 5).",
            () => m.Forward(q, k, k, attnMask: Torch.Zeros(2, 4, 5)));
        Throws<ArgumentException>("only bool and floating types of key_padding_mask are supported",
            () => m.Forward(q, k, k, keyPaddingMask: Torch.Zeros([2, 5], DType.Int64)));
        Throws<ArgumentException>("Only float, byte, and bool types are supported for attn_mask, not torch.int64",
            () => m.Forward(q, k, k, attnMask: Torch.Zeros([4, 5], DType.Int64)));
        Throws<ArgumentException>("was expecting embedding dimension of 4, but got 6",
            () => m.Forward(Torch.Randn(4, 2, 6), Torch.Randn(5, 2, 6), Torch.Randn(5, 2, 6)));
        Throws<ArgumentException>("key shape torch.Size([5, 2, 4]) does not match value shape torch.Size([6, 2, 4])", () => m.Forward(q, k, Torch.Randn(6, 2, 4)));
        Throws<ArgumentException>("expecting key_padding_mask shape of (2, 5), but got torch.Size([2, 4])",
            () => m.Forward(q, k, k, keyPaddingMask: Torch.Zeros([2, 4], DType.Bool)));
        Throws<ArgumentException>("Expected `attn_mask` shape to be (2, 4, 5) but got torch.Size([4, 4, 5])",
            () => m.Forward(q.Select(1, 0), k.Select(1, 0), k.Select(1, 0), attnMask: Torch.Zeros(4, 4, 5)));
        var sep = new MultiheadAttention(4, 2, kdim: 3, vdim: 5);
        Throws<ArgumentException>("key's sequence and batch dims torch.Size([5, 2]) do not match value's torch.Size([6, 2])",
            () => sep.Forward(q, Torch.Randn(5, 2, 3), Torch.Randn(6, 2, 5)));
        Throws<ArgumentException>("expecting key weights shape of (4, 4), but got torch.Size([4, 3])", () => sep.Forward(q, k, Torch.Randn(5, 2, 5)));
        // A float key padding mask cannot be merged into a float attention mask by masked_fill (bool masks only).
        Throws<ArgumentException>("masked_fill_ only supports boolean masks, but got mask with dtype float",
            () => m.Forward(q, k, k, keyPaddingMask: Torch.Zeros(2, 5), attnMask: Torch.Zeros(4, 5)));
        Throws<ArgumentException>("activation should be relu/gelu, not tanh", () => new TransformerEncoderLayer(4, 2, activation: "tanh"));
        Throws<ArgumentException>("only bool and floating types of key_padding_mask are supported",
            () => new TransformerEncoderLayer(4, 2, 8).Forward(q, null, Torch.Zeros([2, 4], DType.Int64)));
    }

    [Fact]
    public void Byte_attention_masks_act_as_bool_masks()
    {
        Torch.ManualSeed(9);
        var m = new MultiheadAttention(4, 2);
        var x = Torch.Randn(3, 2, 4);
        var causal = Torch.Tensor(new bool[] { false, true, true, false, false, true, false, false, false }, 3, 3);
        var (o, w) = m.Forward(x, x, x, attnMask: causal);
        var (ob, wb) = m.Forward(x, x, x, attnMask: causal.To(DType.UInt8));
        Fixture.AssertClose(o, ob, "byte mask output", 0, 0);
        Fixture.AssertClose(w!, wb!, "byte mask weights", 0, 0);
        Assert.Equal(0f, w!.Select(0, 1).Select(0, 0).Select(0, 2).Item<float>()); // query 0 may not attend key 2
    }

    [Fact]
    public void Encoder_layers_are_independent_copies_and_custom_activations_work()
    {
        Torch.ManualSeed(3);
        var layer = new TransformerEncoderLayer(4, 2, 8, dropout: 0.0);
        layer.Linear1.Weight.RequiresGrad = false;
        layer.Eval();
        var enc = new TransformerEncoder(layer, 3);
        Assert.Equal(3, enc.Layers.Count);
        var a = (TransformerEncoderLayer)enc.Layers[0];
        var b = (TransformerEncoderLayer)enc.Layers[1];
        Assert.NotSame(layer, a);
        Assert.NotSame(a.SelfAttn.InProjWeight, b.SelfAttn.InProjWeight);
        Assert.True(a.SelfAttn.InProjWeight!.Equal(layer.SelfAttn.InProjWeight!));
        Assert.False(a.Linear1.Weight.RequiresGrad);
        Assert.True(enc.Training);
        Assert.All(a.Modules(), mod => Assert.False(mod.Training)); // modes are copied, as deepcopy copies them
        using (Torch.NoGrad()) a.Linear2.Bias!.Add_(1.0);
        Assert.False(a.Linear2.Bias!.Equal(b.Linear2.Bias!));

        var x = Torch.Randn(5, 2, 4);
        var gelu = new TransformerEncoderLayer(4, 2, 8, dropout: 0.0, activation: "gelu");
        var custom = new TransformerEncoderLayer(4, 2, x => F.Gelu(x), dimFeedforward: 8, dropout: 0.0);
        custom.LoadStateDict(gelu.StateDict());
        Fixture.AssertClose(gelu.Forward(x), custom.Forward(x), "custom activation", 0, 0);
        Assert.Null(custom.Activation);
        Assert.IsType<TransformerEncoderLayer>(new TransformerEncoder(custom, 2).Layers[1]);
    }

    [Fact]
    public void Multihead_attention_passes_gradcheck_through_the_functional_form()
    {
        Torch.ManualSeed(11);
        Tensor R(params long[] s) => Torch.Randn(s, DType.Float64).Mul(0.5).RequiresGrad_();
        // add_bias_kv, add_zero_attn, a float attention mask and a bool key padding mask, all heads returned.
        var inputs = new[] { R(3, 2, 4), R(4, 2, 4), R(4, 2, 4), R(12, 4), R(12), R(4, 4), R(4), R(1, 1, 4), R(1, 1, 4), R(3, 4) };
        var kpm = Torch.Tensor(new bool[] { false, false, true, false, false, false, false, true }, 2, 4);
        var report = GradCheck.Check(x =>
        {
            var (o, w) = F.MultiHeadAttentionForward(x[0], x[1], x[2], 4, 2, x[3], x[4], x[7], x[8], true, 0.0, x[5], x[6],
                keyPaddingMask: kpm, attnMask: x[9], averageAttnWeights: false);
            return Torch.Cat([o.Reshape(-1), w!.Reshape(-1)]);
        }, inputs);
        Assert.True(report.Passed, report.Detail);
    }

    [Fact]
    public void Multihead_attention_with_separate_projections_passes_gradcheck()
    {
        Torch.ManualSeed(12);
        var m = new MultiheadAttention(4, 2, kdim: 3, vdim: 5, batchFirst: true);
        m.Double();
        var q = Torch.Randn([2, 3, 4], DType.Float64).RequiresGrad_();
        var k = Torch.Randn([2, 4, 3], DType.Float64).RequiresGrad_();
        var v = Torch.Randn([2, 4, 5], DType.Float64).RequiresGrad_();
        var kpm = Torch.Tensor(new bool[] { false, false, false, true, false, false, false, false }, 2, 4);
        var report = GradCheck.Check(x =>
        {
            var (o, w) = m.Forward(x[0], x[1], x[2], keyPaddingMask: kpm);
            return Torch.Cat([o.Reshape(-1), w!.Reshape(-1)]);
        }, [q, k, v, .. m.Parameters()]);
        Assert.True(report.Passed, report.Detail);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encoder_layer_passes_gradcheck(bool normFirst)
    {
        Torch.ManualSeed(13);
        var layer = new TransformerEncoderLayer(4, 2, 6, dropout: 0.0, activation: "gelu", normFirst: normFirst);
        layer.Double();
        var src = Torch.Randn([3, 2, 4], DType.Float64).RequiresGrad_();
        var causal = Torch.Tensor(new bool[] { false, true, true, false, false, true, false, false, false }, 3, 3);
        var kpm = Torch.Tensor(new bool[] { false, false, false, false, false, true }, 2, 3);
        var report = GradCheck.Check(x => layer.Forward(x[0], causal, kpm), [src, .. layer.Parameters()]);
        Assert.True(report.Passed, report.Detail);
    }
}
