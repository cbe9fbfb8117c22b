namespace Ignis.Nn;

/// <summary>
/// y = x·Wᵀ + b (<c>nn.Linear</c>), initialised as PyTorch does: kaiming_uniform_(a=√5) weight, U(±1/√in) bias. Not
/// sealed: PyTorch's <c>NonDynamicallyQuantizableLinear</c> (the output projection of <see cref="MultiheadAttention"/>)
/// is a Linear.
/// </summary>
public class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; <paramref name="dtype"/> defaults to <see cref="Torch.DefaultDType"/>.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true, DType? dtype = null, Device? device = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(Torch.Empty([outFeatures, inFeatures], dtype, device));
        Bias = bias ? new Parameter(Torch.Empty([outFeatures], dtype, device)) : null;
        RegisterParameter("weight", Weight);
        RegisterParameter("bias", Bias);
        ResetParameters();
    }

    /// <summary>Input size.</summary>
    public long InFeatures { get; }

    /// <summary>Output size.</summary>
    public long OutFeatures { get; }

    /// <summary>[out, in] weight.</summary>
    public Parameter Weight { get; }

    /// <summary>[out] bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters with PyTorch's default initialisation (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5));
        if (Bias is not null)
        {
            double bound = InFeatures > 0 ? 1 / Math.Sqrt(InFeatures) : 0;
            Init.Uniform_(Bias, -bound, bound);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={PyRepr(Bias is not null)}";
}
