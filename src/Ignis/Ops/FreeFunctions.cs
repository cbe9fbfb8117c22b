namespace Ignis;

// The free-function forms of tensor methods (torch.exp(x), torch.matmul(a, b), torch.sum(x, 1), …), which PyTorch code
// uses as often as the methods. Each forwards to the method, where the op's forward, gradient and record live.
public static partial class Torch
{
    /// <summary><c>torch.abs(input)</c>: <see cref="Ignis.Tensor.Abs"/>.</summary>
    public static Ignis.Tensor Abs(Ignis.Tensor input) => input.Abs();
    /// <summary><c>torch.neg(input)</c>: <see cref="Ignis.Tensor.Neg"/>.</summary>
    public static Ignis.Tensor Neg(Ignis.Tensor input) => input.Neg();
    /// <summary><c>torch.sign(input)</c>: <see cref="Ignis.Tensor.Sign"/>.</summary>
    public static Ignis.Tensor Sign(Ignis.Tensor input) => input.Sign();
    /// <summary><c>torch.exp(input)</c>: <see cref="Ignis.Tensor.Exp"/>.</summary>
    public static Ignis.Tensor Exp(Ignis.Tensor input) => input.Exp();
    /// <summary><c>torch.log(input)</c>: <see cref="Ignis.Tensor.Log"/>.</summary>
    public static Ignis.Tensor Log(Ignis.Tensor input) => input.Log();
    /// <summary><c>torch.log1p(input)</c>: <see cref="Ignis.Tensor.Log1p"/>.</summary>
    public static Ignis.Tensor Log1p(Ignis.Tensor input) => input.Log1p();
    /// <summary><c>torch.sqrt(input)</c>: <see cref="Ignis.Tensor.Sqrt"/>.</summary>
    public static Ignis.Tensor Sqrt(Ignis.Tensor input) => input.Sqrt();
    /// <summary><c>torch.rsqrt(input)</c>: <see cref="Ignis.Tensor.Rsqrt"/>.</summary>
    public static Ignis.Tensor Rsqrt(Ignis.Tensor input) => input.Rsqrt();
    /// <summary><c>torch.sin(input)</c>: <see cref="Ignis.Tensor.Sin"/>.</summary>
    public static Ignis.Tensor Sin(Ignis.Tensor input) => input.Sin();
    /// <summary><c>torch.cos(input)</c>: <see cref="Ignis.Tensor.Cos"/>.</summary>
    public static Ignis.Tensor Cos(Ignis.Tensor input) => input.Cos();
    /// <summary><c>torch.tanh(input)</c>: <see cref="Ignis.Tensor.Tanh"/>.</summary>
    public static Ignis.Tensor Tanh(Ignis.Tensor input) => input.Tanh();
    /// <summary><c>torch.sigmoid(input)</c>: <see cref="Ignis.Tensor.Sigmoid"/>.</summary>
    public static Ignis.Tensor Sigmoid(Ignis.Tensor input) => input.Sigmoid();
    /// <summary><c>torch.relu(input)</c>: <see cref="Ignis.Tensor.Relu"/>.</summary>
    public static Ignis.Tensor Relu(Ignis.Tensor input) => input.Relu();
    /// <summary><c>torch.floor(input)</c>: <see cref="Ignis.Tensor.Floor"/>.</summary>
    public static Ignis.Tensor Floor(Ignis.Tensor input) => input.Floor();
    /// <summary><c>torch.ceil(input)</c>: <see cref="Ignis.Tensor.Ceil"/>.</summary>
    public static Ignis.Tensor Ceil(Ignis.Tensor input) => input.Ceil();
    /// <summary><c>torch.square(input)</c>: <see cref="Ignis.Tensor.Square"/>.</summary>
    public static Ignis.Tensor Square(Ignis.Tensor input) => input.Square();
    /// <summary><c>torch.reciprocal(input)</c>: <see cref="Ignis.Tensor.Reciprocal"/>.</summary>
    public static Ignis.Tensor Reciprocal(Ignis.Tensor input) => input.Reciprocal();
    /// <summary><c>torch.erf(input)</c>: <see cref="Ignis.Tensor.Erf"/>.</summary>
    public static Ignis.Tensor Erf(Ignis.Tensor input) => input.Erf();
    /// <summary><c>torch.erfinv(input)</c>: <see cref="Ignis.Tensor.Erfinv"/>.</summary>
    public static Ignis.Tensor Erfinv(Ignis.Tensor input) => input.Erfinv();
    /// <summary><c>torch.isnan(input)</c>: <see cref="Ignis.Tensor.IsNan"/>.</summary>
    public static Ignis.Tensor IsNan(Ignis.Tensor input) => input.IsNan();
    /// <summary><c>torch.isfinite(input)</c>: <see cref="Ignis.Tensor.IsFinite"/>.</summary>
    public static Ignis.Tensor IsFinite(Ignis.Tensor input) => input.IsFinite();
    /// <summary><c>torch.logical_not(input)</c>: <see cref="Ignis.Tensor.LogicalNot"/>.</summary>
    public static Ignis.Tensor LogicalNot(Ignis.Tensor input) => input.LogicalNot();
    /// <summary><c>torch.add(input, other)</c>: <see cref="Ignis.Tensor.Add(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Add(Ignis.Tensor input, Ignis.Tensor other) => input.Add(other);
    /// <summary><c>torch.sub(input, other)</c>: <see cref="Ignis.Tensor.Sub(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Sub(Ignis.Tensor input, Ignis.Tensor other) => input.Sub(other);
    /// <summary><c>torch.mul(input, other)</c>: <see cref="Ignis.Tensor.Mul(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Mul(Ignis.Tensor input, Ignis.Tensor other) => input.Mul(other);
    /// <summary><c>torch.maximum(input, other)</c>: <see cref="Ignis.Tensor.Maximum(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Maximum(Ignis.Tensor input, Ignis.Tensor other) => input.Maximum(other);
    /// <summary><c>torch.minimum(input, other)</c>: <see cref="Ignis.Tensor.Minimum(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Minimum(Ignis.Tensor input, Ignis.Tensor other) => input.Minimum(other);
    /// <summary><c>torch.remainder(input, other)</c>: <see cref="Ignis.Tensor.Remainder(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Remainder(Ignis.Tensor input, Ignis.Tensor other) => input.Remainder(other);
    /// <summary><c>torch.floor_divide(input, other)</c>: <see cref="Ignis.Tensor.FloorDivide(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor FloorDivide(Ignis.Tensor input, Ignis.Tensor other) => input.FloorDivide(other);
    /// <summary><c>torch.eq(input, other)</c>: <see cref="Ignis.Tensor.Eq(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Eq(Ignis.Tensor input, Ignis.Tensor other) => input.Eq(other);
    /// <summary><c>torch.ne(input, other)</c>: <see cref="Ignis.Tensor.Ne(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Ne(Ignis.Tensor input, Ignis.Tensor other) => input.Ne(other);
    /// <summary><c>torch.lt(input, other)</c>: <see cref="Ignis.Tensor.Lt(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Lt(Ignis.Tensor input, Ignis.Tensor other) => input.Lt(other);
    /// <summary><c>torch.le(input, other)</c>: <see cref="Ignis.Tensor.Le(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Le(Ignis.Tensor input, Ignis.Tensor other) => input.Le(other);
    /// <summary><c>torch.gt(input, other)</c>: <see cref="Ignis.Tensor.Gt(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Gt(Ignis.Tensor input, Ignis.Tensor other) => input.Gt(other);
    /// <summary><c>torch.ge(input, other)</c>: <see cref="Ignis.Tensor.Ge(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Ge(Ignis.Tensor input, Ignis.Tensor other) => input.Ge(other);
    /// <summary><c>torch.logical_and(input, other)</c>: <see cref="Ignis.Tensor.LogicalAnd(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor LogicalAnd(Ignis.Tensor input, Ignis.Tensor other) => input.LogicalAnd(other);
    /// <summary><c>torch.logical_or(input, other)</c>: <see cref="Ignis.Tensor.LogicalOr(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor LogicalOr(Ignis.Tensor input, Ignis.Tensor other) => input.LogicalOr(other);
    /// <summary><c>torch.logical_xor(input, other)</c>: <see cref="Ignis.Tensor.LogicalXor(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor LogicalXor(Ignis.Tensor input, Ignis.Tensor other) => input.LogicalXor(other);
    /// <summary><c>torch.matmul(input, other)</c>: <see cref="Ignis.Tensor.MatMul(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor MatMul(Ignis.Tensor input, Ignis.Tensor other) => input.MatMul(other);
    /// <summary><c>torch.mm(input, other)</c>: <see cref="Ignis.Tensor.Mm(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Mm(Ignis.Tensor input, Ignis.Tensor other) => input.Mm(other);
    /// <summary><c>torch.bmm(input, other)</c>: <see cref="Ignis.Tensor.Bmm(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Bmm(Ignis.Tensor input, Ignis.Tensor other) => input.Bmm(other);
    /// <summary><c>torch.dot(input, other)</c>: <see cref="Ignis.Tensor.Dot(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Dot(Ignis.Tensor input, Ignis.Tensor other) => input.Dot(other);
    /// <summary><c>torch.mv(input, other)</c>: <see cref="Ignis.Tensor.Mv(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Mv(Ignis.Tensor input, Ignis.Tensor other) => input.Mv(other);
    /// <summary><c>torch.outer(input, other)</c>: <see cref="Ignis.Tensor.Outer(Ignis.Tensor)"/>.</summary>
    public static Ignis.Tensor Outer(Ignis.Tensor input, Ignis.Tensor other) => input.Outer(other);
    /// <summary><c>torch.add(input, other, alpha=alpha)</c>.</summary>
    public static Ignis.Tensor Add(Ignis.Tensor input, Ignis.Tensor other, double alpha) => input.Add(other, alpha);
    /// <summary><c>torch.div(input, other, rounding_mode=...)</c>.</summary>
    public static Ignis.Tensor Div(Ignis.Tensor input, Ignis.Tensor other, string? roundingMode = null) => input.Div(other, roundingMode);
    /// <summary><c>torch.pow(input, exponent)</c>.</summary>
    public static Ignis.Tensor Pow(Ignis.Tensor input, Ignis.Tensor exponent) => input.Pow(exponent);
    /// <summary><c>torch.pow(input, exponent)</c> with a number exponent.</summary>
    public static Ignis.Tensor Pow(Ignis.Tensor input, double exponent) => input.Pow(exponent);
    /// <summary><c>torch.clamp(input, min, max)</c>.</summary>
    public static Ignis.Tensor Clamp(Ignis.Tensor input, double? min = null, double? max = null) => input.Clamp(min, max);
    /// <summary><c>torch.softmax(input, dim)</c>.</summary>
    public static Ignis.Tensor Softmax(Ignis.Tensor input, int dim) => input.Softmax(dim);
    /// <summary><c>torch.log_softmax(input, dim)</c>.</summary>
    public static Ignis.Tensor LogSoftmax(Ignis.Tensor input, int dim) => input.LogSoftmax(dim);
    /// <summary><c>torch.sum(input)</c>.</summary>
    public static Ignis.Tensor Sum(Ignis.Tensor input) => input.Sum();
    /// <summary><c>torch.sum(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Sum(Ignis.Tensor input, int dim, bool keepDim = false) => input.Sum(dim, keepDim);
    /// <summary><c>torch.sum(input, dims, keepdim)</c>.</summary>
    public static Ignis.Tensor Sum(Ignis.Tensor input, int[] dims, bool keepDim = false) => input.Sum(dims, keepDim);
    /// <summary><c>torch.mean(input)</c>.</summary>
    public static Ignis.Tensor Mean(Ignis.Tensor input) => input.Mean();
    /// <summary><c>torch.mean(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Mean(Ignis.Tensor input, int dim, bool keepDim = false) => input.Mean(dim, keepDim);
    /// <summary><c>torch.mean(input, dims, keepdim)</c>.</summary>
    public static Ignis.Tensor Mean(Ignis.Tensor input, int[] dims, bool keepDim = false) => input.Mean(dims, keepDim);
    /// <summary><c>torch.prod(input)</c>.</summary>
    public static Ignis.Tensor Prod(Ignis.Tensor input) => input.Prod();
    /// <summary><c>torch.prod(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Prod(Ignis.Tensor input, int dim, bool keepDim = false) => input.Prod(dim, keepDim);
    /// <summary><c>torch.max(input)</c>: the largest element.</summary>
    public static Ignis.Tensor Max(Ignis.Tensor input) => input.Max();
    /// <summary><c>torch.max(input, dim, keepdim)</c>: values and indices.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor Indices) Max(Ignis.Tensor input, int dim, bool keepDim = false) => input.Max(dim, keepDim);
    /// <summary><c>torch.max(input, other)</c>: the elementwise maximum.</summary>
    public static Ignis.Tensor Max(Ignis.Tensor input, Ignis.Tensor other) => input.Maximum(other);
    /// <summary><c>torch.min(input)</c>: the smallest element.</summary>
    public static Ignis.Tensor Min(Ignis.Tensor input) => input.Min();
    /// <summary><c>torch.min(input, dim, keepdim)</c>: values and indices.</summary>
    public static (Ignis.Tensor Values, Ignis.Tensor Indices) Min(Ignis.Tensor input, int dim, bool keepDim = false) => input.Min(dim, keepDim);
    /// <summary><c>torch.min(input, other)</c>: the elementwise minimum.</summary>
    public static Ignis.Tensor Min(Ignis.Tensor input, Ignis.Tensor other) => input.Minimum(other);
    /// <summary><c>torch.argmax(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Argmax(Ignis.Tensor input, int? dim = null, bool keepDim = false) => input.Argmax(dim, keepDim);
    /// <summary><c>torch.argmin(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Argmin(Ignis.Tensor input, int? dim = null, bool keepDim = false) => input.Argmin(dim, keepDim);
    /// <summary><c>torch.std(input, unbiased)</c>.</summary>
    public static Ignis.Tensor Std(Ignis.Tensor input, bool unbiased = true) => input.Std(unbiased);
    /// <summary><c>torch.std(input, dim, unbiased, keepdim)</c>.</summary>
    public static Ignis.Tensor Std(Ignis.Tensor input, int dim, bool unbiased = true, bool keepDim = false) => input.Std(dim, unbiased, keepDim);
    /// <summary><c>torch.var(input, unbiased)</c>.</summary>
    public static Ignis.Tensor Var(Ignis.Tensor input, bool unbiased = true) => input.Var(unbiased);
    /// <summary><c>torch.var(input, dim, unbiased, keepdim)</c>.</summary>
    public static Ignis.Tensor Var(Ignis.Tensor input, int dim, bool unbiased = true, bool keepDim = false) => input.Var(dim, unbiased, keepDim);
    /// <summary><c>torch.logsumexp(input, dim, keepdim)</c>.</summary>
    public static Ignis.Tensor Logsumexp(Ignis.Tensor input, int dim, bool keepDim = false) => input.Logsumexp(dim, keepDim);
    /// <summary><c>torch.cumsum(input, dim)</c>.</summary>
    public static Ignis.Tensor Cumsum(Ignis.Tensor input, int dim) => input.Cumsum(dim);
    /// <summary><c>torch.flatten(input, start_dim, end_dim)</c>.</summary>
    public static Ignis.Tensor Flatten(Ignis.Tensor input, int startDim = 0, int endDim = -1) => input.Flatten(startDim, endDim);
    /// <summary><c>torch.reshape(input, shape)</c>.</summary>
    public static Ignis.Tensor Reshape(Ignis.Tensor input, params long[] shape) => input.Reshape(shape);
    /// <summary><c>torch.squeeze(input)</c>.</summary>
    public static Ignis.Tensor Squeeze(Ignis.Tensor input) => input.Squeeze();
    /// <summary><c>torch.squeeze(input, dim)</c>.</summary>
    public static Ignis.Tensor Squeeze(Ignis.Tensor input, int dim) => input.Squeeze(dim);
    /// <summary><c>torch.unsqueeze(input, dim)</c>.</summary>
    public static Ignis.Tensor Unsqueeze(Ignis.Tensor input, int dim) => input.Unsqueeze(dim);
    /// <summary><c>torch.transpose(input, dim0, dim1)</c>.</summary>
    public static Ignis.Tensor Transpose(Ignis.Tensor input, int dim0, int dim1) => input.Transpose(dim0, dim1);
    /// <summary><c>torch.permute(input, dims)</c>.</summary>
    public static Ignis.Tensor Permute(Ignis.Tensor input, params int[] dims) => input.Permute(dims);
    /// <summary><c>torch.t(input)</c>: transpose of a tensor of at most 2 dimensions.</summary>
    public static Ignis.Tensor T(Ignis.Tensor input) => input.T;
    /// <summary><c>torch.narrow(input, dim, start, length)</c>.</summary>
    public static Ignis.Tensor Narrow(Ignis.Tensor input, int dim, long start, long length) => input.Narrow(dim, start, length);
    /// <summary><c>torch.select(input, dim, index)</c>.</summary>
    public static Ignis.Tensor Select(Ignis.Tensor input, int dim, long index) => input.Select(dim, index);
    /// <summary><c>torch.chunk(input, chunks, dim)</c>.</summary>
    public static Ignis.Tensor[] Chunk(Ignis.Tensor input, int chunks, int dim = 0) => input.Chunk(chunks, dim);
    /// <summary><c>torch.split(input, split_size, dim)</c>.</summary>
    public static Ignis.Tensor[] Split(Ignis.Tensor input, long splitSize, int dim = 0) => input.Split(splitSize, dim);
    /// <summary><c>torch.split(input, sizes, dim)</c>.</summary>
    public static Ignis.Tensor[] Split(Ignis.Tensor input, long[] sizes, int dim = 0) => input.Split(sizes, dim);
    /// <summary><c>torch.gather(input, dim, index)</c>.</summary>
    public static Ignis.Tensor Gather(Ignis.Tensor input, int dim, Ignis.Tensor index) => input.Gather(dim, index);
    /// <summary><c>torch.index_select(input, dim, index)</c>.</summary>
    public static Ignis.Tensor IndexSelect(Ignis.Tensor input, int dim, Ignis.Tensor index) => input.IndexSelect(dim, index);
    /// <summary><c>torch.scatter_add(input, dim, index, src)</c>.</summary>
    public static Ignis.Tensor ScatterAdd(Ignis.Tensor input, int dim, Ignis.Tensor index, Ignis.Tensor src) => input.ScatterAdd(dim, index, src);
    /// <summary><c>torch.masked_fill(input, mask, value)</c>.</summary>
    public static Ignis.Tensor MaskedFill(Ignis.Tensor input, Ignis.Tensor mask, double value) => input.MaskedFill(mask, value);
    /// <summary><c>torch.clone(input)</c>.</summary>
    public static Ignis.Tensor Clone(Ignis.Tensor input) => input.Clone();
    /// <summary><c>torch.equal(input, other)</c>: same shape and elements.</summary>
    public static bool Equal(Ignis.Tensor input, Ignis.Tensor other) => input.Equal(other);

    /// <summary><c>torch.isclose(input, other, rtol, atol, equal_nan)</c>: <see cref="Ignis.Tensor.Isclose"/>.</summary>
    public static Ignis.Tensor Isclose(Ignis.Tensor input, Ignis.Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        input.Isclose(other, rtol, atol, equalNan);
    /// <summary><c>torch.allclose(input, other, rtol, atol, equal_nan)</c>: <see cref="Ignis.Tensor.Allclose"/>.</summary>
    public static bool Allclose(Ignis.Tensor input, Ignis.Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        input.Allclose(other, rtol, atol, equalNan);
    /// <summary><c>torch.all(input)</c>: <see cref="Ignis.Tensor.All()"/>.</summary>
    public static Ignis.Tensor All(Ignis.Tensor input) => input.All();
    /// <summary><c>torch.all(input, dim, keepdim)</c>: <see cref="Ignis.Tensor.All(int, bool)"/>.</summary>
    public static Ignis.Tensor All(Ignis.Tensor input, int dim, bool keepdim = false) => input.All(dim, keepdim);
    /// <summary><c>torch.any(input)</c>: <see cref="Ignis.Tensor.Any()"/>.</summary>
    public static Ignis.Tensor Any(Ignis.Tensor input) => input.Any();
    /// <summary><c>torch.any(input, dim, keepdim)</c>: <see cref="Ignis.Tensor.Any(int, bool)"/>.</summary>
    public static Ignis.Tensor Any(Ignis.Tensor input, int dim, bool keepdim = false) => input.Any(dim, keepdim);
}
