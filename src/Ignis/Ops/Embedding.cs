using Ignis.Autograd;
using Ignis.Backends;

namespace Ignis.Nn;

// Op family: embedding (F.embedding / nn.Embedding): lookup, padding_idx, scatter-add gradient and the op record.
public static partial class Functional
{
    /// <summary>Looks up rows of <paramref name="weight"/> (<c>F.embedding</c>); rows at <paramref name="paddingIdx"/> get no gradient.</summary>
    public static Tensor Embedding(Tensor input, Tensor weight, long? paddingIdx = null)
    {
        if (input.DType.Kind is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {input.DType.ScalarTypeName()} instead (while checking arguments for embedding)");
        if (weight.Dim != 2) throw new ArgumentException("'weight' must be 2-D");
        var flat = input.Reshape(-1).Long();
        if (flat.Numel > 0)
        {
            long lo = flat.Min().Item<long>(), hi = flat.Max().Item<long>();
            if (lo < 0 || hi >= weight.Size(0)) throw new IndexOutOfRangeException("index out of range in self");
        }
        Tensor rows;
        using (Torch.NoGrad()) rows = weight.IndexSelect(0, flat);
        var outShape = input.Shape.Append(weight.Size(1)).ToArray();
        var r = rows.Reshape(outShape);
        long num = weight.Size(0), dim = weight.Size(1);
        long pad = paddingIdx is long p ? (p < 0 ? p + num : p) : -1;
        return Engine.Record(r, "EmbeddingBackward0", [weight], g =>
        {
            var g2 = g.Reshape(-1, dim);
            var gw = Torch.Zeros([num, dim], g.DType, g.Device).ScatterAdd(0, flat.Unsqueeze(1).Expand(flat.Numel, dim).Contiguous(), g2.Contiguous());
            if (pad >= 0) gw[pad] = Torch.Zeros([dim], g.DType, g.Device);
            return [gw];
        }, Engine.Attrs(("padding_idx", pad)), saved: [input]);
    }
}
