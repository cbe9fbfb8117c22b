using Ignis.Autograd;

namespace Ignis;

// Op family: diagonals (torch.diagonal, torch.diag, torch.trace). A diagonal is a view: the two dimensions are replaced
// by one, appended last, whose stride is the sum of theirs. Gradients write the incoming gradient onto the diagonal of
// a zero tensor of the input's shape.
public partial class Tensor
{
    /// <summary>
    /// The diagonal of the (<paramref name="dim1"/>, <paramref name="dim2"/>) planes as a view, appended as the last
    /// dimension (<c>diagonal(offset=0, dim1=0, dim2=1)</c>); <paramref name="offset"/> &gt; 0 is above the main diagonal.
    /// </summary>
    public Tensor Diagonal(long offset = 0, int dim1 = 0, int dim2 = 1)
    {
        int d1 = NormDim(dim1, Dim), d2 = NormDim(dim2, Dim);
        if (d1 == d2) throw new ArgumentException($"diagonal dimensions cannot be identical {dim1}, {dim2}");
        var r = DiagonalRaw(offset, d1, d2);
        var inShape = shape;
        return Engine.Record(r, "DiagonalBackward0", [this], g =>
        {
            var z = Torch.Zeros(inShape, g.DType, g.Device);
            z.DiagonalRaw(offset, d1, d2).CopyFrom(g);
            return [z];
        }, Engine.Attrs(("offset", offset), ("dim1", d1), ("dim2", d2)), view: true);
    }

    /// <summary>The diagonal view without autograd (normalised dims).</summary>
    internal Tensor DiagonalRaw(long offset, int d1, int d2)
    {
        long len = offset >= 0 ? Math.Min(shape[d1], shape[d2] - offset) : Math.Min(shape[d1] + offset, shape[d2]);
        len = Math.Max(len, 0);
        long start = len == 0 ? 0 : offset >= 0 ? offset * strides[d2] : -offset * strides[d1];
        var ns = new List<long>();
        var nst = new List<long>();
        for (int i = 0; i < Dim; i++)
            if (i != d1 && i != d2) { ns.Add(shape[i]); nst.Add(strides[i]); }
        ns.Add(len);
        nst.Add(strides[d1] + strides[d2]);
        return AsStridedRaw([.. ns], [.. nst], this.offset + start);
    }

    /// <summary>
    /// A 1-D tensor's values placed on the <paramref name="diagonal"/>-th diagonal of a square matrix, or a 2-D tensor's
    /// diagonal copied into a 1-D tensor (<c>diag(diagonal=0)</c>).
    /// </summary>
    public Tensor Diag(long diagonal = 0)
    {
        if (Dim == 1)
        {
            long n = shape[0] + Math.Abs(diagonal);
            var r = Torch.Zeros([n, n], DType, Device);
            r.DiagonalRaw(diagonal, 0, 1).CopyFrom(this);
            return Engine.Record(r, "DiagBackward0", [this], g => [g.DiagonalRaw(diagonal, 0, 1).ContiguousRaw()], Engine.Attrs(("diagonal", diagonal)));
        }
        if (Dim == 2)
        {
            var r = DiagonalRaw(diagonal, 0, 1).ContiguousRaw();
            var inShape = shape;
            return Engine.Record(r, "DiagBackward0", [this], g =>
            {
                var z = Torch.Zeros(inShape, g.DType, g.Device);
                z.DiagonalRaw(diagonal, 0, 1).CopyFrom(g);
                return [z];
            }, Engine.Attrs(("diagonal", diagonal)));
        }
        throw new ArgumentException("matrix or a vector expected");
    }

    /// <summary>The sum of a matrix's main diagonal (<c>trace</c>); integer matrices give int64.</summary>
    public Tensor Trace()
    {
        if (Dim != 2) throw new ArgumentException($"trace: expected a matrix, but got tensor with dim {Dim}");
        Tensor r;
        using (Torch.NoGrad()) r = DiagonalRaw(0, 0, 1).Sum();
        var inShape = shape;
        return Engine.Record(r, "TraceBackward0", [this], g =>
        {
            var z = Torch.Zeros(inShape, g.DType, g.Device);
            z.DiagonalRaw(0, 0, 1).CopyFrom(g);
            return [z];
        });
    }
}

public static partial class Torch
{
    /// <summary><c>torch.diagonal(input, offset=0, dim1=0, dim2=1)</c>.</summary>
    public static Ignis.Tensor Diagonal(Ignis.Tensor input, long offset = 0, int dim1 = 0, int dim2 = 1) => input.Diagonal(offset, dim1, dim2);

    /// <summary><c>torch.diag(input, diagonal=0)</c>.</summary>
    public static Ignis.Tensor Diag(Ignis.Tensor input, long diagonal = 0) => input.Diag(diagonal);

    /// <summary><c>torch.trace(input)</c>.</summary>
    public static Ignis.Tensor Trace(Ignis.Tensor input) => input.Trace();
}
