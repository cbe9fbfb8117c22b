using Ignis.Autograd;

namespace Ignis;

public partial class Tensor
{
    static string Dims2(long[] s) => s.Length == 2 ? $"{s[0]}x{s[1]}" : ShapeStr(s);

    void CheckMatmulDTypes(Tensor other, string op)
    {
        CheckSameDevice(this, other);
        if (DType != other.DType)
            throw new ArgumentException($"expected scalar type {DType.ScalarTypeName()} but found {other.DType.ScalarTypeName()}");
    }

    /// <summary>Batched product of strided [B,M,K] × [B,K,N] operands, no autograd; transposes are read in place.</summary>
    static Tensor BmmRaw(Tensor a, Tensor b)
    {
        var dst = Output([a.shape[0], a.shape[1], b.shape[2]], a.DType, a.Device);
        if (dst.Numel > 0) a.Backend.MatMul(a, b, dst);
        return dst;
    }

    /// <summary>Matrix product of two 2-D tensors (<c>mm</c>).</summary>
    public Tensor Mm(Tensor other)
    {
        if (Dim != 2) throw new ArgumentException("self must be a matrix");
        if (other.Dim != 2) throw new ArgumentException("mat2 must be a matrix");
        if (shape[1] != other.shape[0])
            throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied ({Dims2(shape)} and {Dims2(other.shape)})");
        CheckMatmulDTypes(other, "mm");
        var r = BmmRaw(Unsqueeze0Raw(), other.Unsqueeze0Raw());
        r = r.AsStridedRaw([shape[0], other.shape[1]], [other.shape[1], 1], 0);
        var a = this;
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        // As PyTorch's mm_mat1_backward/mm_mat2_backward: an operand stored column-major (a Linear layer's W.T) gets
        // its gradient computed as the transpose of a row-major product, so the gradient has the operand's layout
        // and W.grad needs no transposing copy (151 MB for alexnet's fc6: 440 ms per step).
        bool aColMajor = IsColumnMajor(this), bColMajor = IsColumnMajor(other);
        return Engine.Record(r, "MmBackward0", [this, other], g => [
            ga ? (aColMajor ? other.Mm(g.T).T : g.Mm(other.T)) : null,
            gb ? (bColMajor ? g.T.Mm(a).T : a.T.Mm(g)) : null], saved: [gb ? a : null, ga ? other : null]);
    }

    static bool IsColumnMajor(Tensor m) => m.strides[0] == 1 && m.strides[1] == m.shape[0] && m.shape[0] > 1 && m.shape[1] > 1;

    Tensor Unsqueeze0Raw() => AsStridedRaw([1, .. shape], [Numel, .. strides], offset);

    /// <summary>Batched matrix product of two 3-D tensors (<c>bmm</c>).</summary>
    public Tensor Bmm(Tensor other)
    {
        if (Dim != 3) throw new ArgumentException("batch1 must be a 3D tensor");
        if (other.Dim != 3) throw new ArgumentException("batch2 must be a 3D tensor");
        if (other.shape[0] != shape[0] || other.shape[1] != shape[2])
            throw new ArgumentException($"Expected size for first two dimensions of batch2 tensor to be: [{shape[0]}, {shape[2]}] but got: [{other.shape[0]}, {other.shape[1]}].");
        CheckMatmulDTypes(other, "bmm");
        var r = BmmRaw(this, other);
        var a = this;
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        return Engine.Record(r, "BmmBackward0", [this, other], g => [
            ga ? g.Bmm(other.Transpose(1, 2)) : null,
            gb ? a.Transpose(1, 2).Bmm(g) : null], saved: [gb ? a : null, ga ? other : null]);
    }

    /// <summary>Inner product of two 1-D tensors (<c>dot</c>).</summary>
    public Tensor Dot(Tensor other)
    {
        if (Dim != 1 || other.Dim != 1)
            throw new ArgumentException($"1D tensors expected, but got {Dim}D and {other.Dim}D tensors");
        if (shape[0] != other.shape[0])
            throw new ArgumentException($"inconsistent tensor size, expected tensor [{shape[0]}] and src [{other.shape[0]}] to have the same number of elements, but got {shape[0]} and {other.shape[0]} elements respectively");
        CheckMatmulDTypes(other, "dot");
        var r = BmmRaw(AsStridedRaw([1, 1, shape[0]], [0, 0, strides[0]], offset), other.AsStridedRaw([1, shape[0], 1], [0, other.strides[0], 0], other.offset));
        r = r.AsStridedRaw([], [], 0);
        var a = this;
        bool ga = RequiresGrad, gb = other.RequiresGrad;
        return Engine.Record(r, "DotBackward0", [this, other], g => [ga ? g.Mul(other) : null, gb ? g.Mul(a) : null],
            saved: [gb ? a : null, ga ? other : null]);
    }

    /// <summary>Matrix–vector product (<c>mv</c>).</summary>
    public Tensor Mv(Tensor vec)
    {
        if (Dim != 2 || vec.Dim != 1)
            throw new ArgumentException($"vector + matrix @ vector expected, got 1, {Dim}, {vec.Dim}");
        if (shape[1] != vec.shape[0])
            throw new ArgumentException($"size mismatch, got input ({shape[0]}), mat ({shape[0]}x{shape[1]}), vec ({vec.shape[0]})");
        CheckMatmulDTypes(vec, "mv");
        var r = BmmRaw(Unsqueeze0Raw(), vec.AsStridedRaw([1, vec.shape[0], 1], [0, vec.strides[0], 0], vec.offset));
        r = r.AsStridedRaw([shape[0]], [1], 0);
        var m = this;
        bool ga = RequiresGrad, gb = vec.RequiresGrad;
        return Engine.Record(r, "MvBackward0", [this, vec], g => [
            ga ? g.Outer(vec) : null,
            gb ? m.T.Mv(g) : null], saved: [gb ? m : null, ga ? vec : null]);
    }

    /// <summary>Outer product of two vectors (<c>outer</c>).</summary>
    public Tensor Outer(Tensor other)
    {
        if (Dim != 1 || other.Dim != 1) throw new ArgumentException($"outer: expected 1-D tensors, got {Dim}D and {other.Dim}D");
        return Unsqueeze(1).Mul(other.Unsqueeze(0));
    }

    /// <summary>
    /// Matrix product with PyTorch's rules (<c>matmul</c>): dot for 1-D·1-D, <c>mm</c>/<c>mv</c> for 2-D, and
    /// batched products with broadcast batch dimensions otherwise (1-D operands gain and then lose a dimension).
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        if (Dim == 0 || other.Dim == 0)
            throw new ArgumentException($"both arguments to matmul need to be at least 1D, but they are {Dim}D and {other.Dim}D");
        if (Dim == 1 && other.Dim == 1) return Dot(other);
        if (Dim == 2 && other.Dim == 1) return Mv(other);
        if (Dim == 1 && other.Dim == 2)
        {
            if (shape[0] != other.shape[0])
                throw new ArgumentException($"mat1 and mat2 shapes cannot be multiplied (1x{shape[0]} and {Dims2(other.shape)})");
            return Unsqueeze(0).Mm(other).Squeeze(0);
        }
        if (Dim == 2 && other.Dim == 2) return Mm(other);

        var a = Dim == 1 ? Unsqueeze(0) : this;
        var b = other.Dim == 1 ? other.Unsqueeze(1) : other;
        long m = a.shape[^2], k = a.shape[^1], k2 = b.shape[^2], n = b.shape[^1];
        if (k != k2)
            throw new ArgumentException($"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[..^2].Aggregate(1L, (x, y) => x * y)}, {k}] but got: [{b.shape[..^2].Aggregate(1L, (x, y) => x * y)}, {k2}].");
        var batch = BroadcastShapes(a.shape[..^2], b.shape[..^2]);
        long bsz = batch.Aggregate(1L, (x, y) => x * y);
        var a3 = a.Expand([.. batch, m, k]).Reshape(bsz, m, k);
        var b3 = b.Expand([.. batch, k, n]).Reshape(bsz, k, n);
        var r = a3.Bmm(b3).View([.. batch, m, n]);
        if (Dim == 1) r = r.Squeeze(-2);
        if (other.Dim == 1) r = r.Squeeze(-1);
        return r;
    }
}
