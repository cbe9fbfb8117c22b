using System.Globalization;
using Ignis.Autograd;

namespace Ignis.Nn;

// Op family: padding (F.pad). Constant padding (negative pads crop) is its own op with ATen's backward — the same pad
// negated; reflect, replicate and circular gather the input along each padded dim with computed indices, so their
// gradients are index_select's (scatter-add), under ATen's grad_fn names.
public static partial class Functional
{
    /// <summary>
    /// Pads the last <c>pad.Length / 2</c> dimensions (<c>F.pad(input, pad, mode="constant", value=0)</c>): pad lists
    /// (left, right) for the last dim, then (top, bottom) for the one before, and so on. Modes: "constant" (any
    /// dims; negative values crop), "reflect" (mirror without repeating the edge; each pad smaller than the dim),
    /// "replicate" (repeat the edge) and "circular" (wrap around at most once) — the last three, as in PyTorch 1.13,
    /// for 1-D padding of 2-D/3-D input, 2-D of 3-D/4-D and 3-D of 4-D/5-D (circular: batched input only).
    /// </summary>
    public static Tensor Pad(Tensor input, long[] pad, string mode = "constant", double value = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(pad);
        if (pad.Length % 2 != 0) throw new ArgumentException("Padding length must be divisible by 2");
        if (pad.Length / 2 > input.Dim) throw new ArgumentException("Padding length too large");
        switch (mode)
        {
            case "constant": return ConstantPad(input, pad, value);
            case "reflect" or "replicate" or "circular":
                if (value != 0) throw new ArgumentException($"Padding mode \"{mode}\" doesn't take in value argument");
                int k = pad.Length / 2;
                if (k is < 1 or > 3 || input.Dim < k + 1 || input.Dim > k + 2)
                    throw new NotSupportedException("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
                return mode == "circular" ? CircularPad(input, pad) : IndexPad(input, pad, mode);
            default:
                throw new ArgumentException($"Unrecognised padding mode {mode}");
        }
    }

    /// <summary><see cref="Pad(Tensor, long[], string, double)"/> with int pads (<c>F.pad(x, (1, 1))</c>).</summary>
    public static Tensor Pad(Tensor input, int[] pad, string mode = "constant", double value = 0) =>
        Pad(input, pad.Select(p => (long)p).ToArray(), mode, value);

    static Tensor ConstantPad(Tensor input, long[] pad, double value)
    {
        var inShape = input.Shape;
        var outShape = (long[])inShape.Clone();
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = input.Dim - 1 - i;
            long size = inShape[d] + pad[2 * i] + pad[2 * i + 1];
            if (size < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The input size {inShape[d]}, plus negative padding {pad[2 * i]} and {pad[2 * i + 1]} resulted in a negative output size, which is invalid. Check dimension {d} of your input."));
            outShape[d] = size;
        }
        Tensor r;
        using (Torch.NoGrad())
        {
            r = Torch.Full(outShape, value, input.DType, input.Device);
            // The part of the input that survives (negative pads crop it) lands at the positive pads' offsets.
            Tensor dst = r, src = input;
            for (int i = 0; i < pad.Length / 2; i++)
            {
                int d = input.Dim - 1 - i;
                long lo = pad[2 * i], hi = pad[2 * i + 1];
                long keep = inShape[d] - Math.Max(0, -lo) - Math.Max(0, -hi);
                if (keep <= 0) { src = null!; break; }
                src = src.Narrow(d, Math.Max(0, -lo), keep);
                dst = dst.Narrow(d, Math.Max(0, lo), keep);
            }
            if (src is not null) dst.Copy_(src);
        }
        var negated = pad.Select(p => -p).ToArray();
        return Engine.Record(r, "ConstantPadNdBackward0", [input], g => [ConstantPad(g, negated, 0)], Engine.Attrs(("pad", pad)));
    }

    // reflect / replicate: gather along each padded dim, last first.
    static Tensor IndexPad(Tensor input, long[] pad, string mode)
    {
        var x = input;
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = input.Dim - 1 - i;
            long n = input.Shape[d], lo = pad[2 * i], hi = pad[2 * i + 1];
            if (mode == "reflect" && (lo >= n || hi >= n))
                throw new ArgumentException($"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ({lo}, {hi}) at dimension {d} of input {Tensor.ShapeStr(input.Shape)}");
            if (mode == "replicate" && n == 0)
                throw new ArgumentException($"Expected input's dimension {d} to be non-empty, input {Tensor.ShapeStr(input.Shape)}");
            var idx = new long[Math.Max(0, n + lo + hi)];
            for (long j = 0; j < idx.Length; j++)
            {
                long p = j - lo;
                idx[j] = mode == "reflect" ? (p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p) : Math.Clamp(p, 0, n - 1);
            }
            x = x.IndexSelect(d, Torch.Tensor(idx).To(input.Device));
        }
        int k = pad.Length / 2;
        return x.NamedAs((mode == "reflect" ? "ReflectionPad" : "ReplicationPad") + k + "DBackward0");
    }

    // circular: PyTorch 1.13's _pad_circular pads dims 2… of a batched input and wraps around at most once.
    static Tensor CircularPad(Tensor input, long[] pad)
    {
        int paddable = input.Dim - 2;
        if (pad.Length != 2 * paddable) throw new ArgumentException($"Invalid padding size, expected {2 * paddable} but got {pad.Length}");
        var x = input;
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = input.Dim - 1 - i;
            long n = input.Shape[d], lo = pad[2 * i], hi = pad[2 * i + 1];
            if (lo > n || hi > n) throw new ArgumentException("Padding value causes wrapping around more than once.");
            if (lo + hi + n < 0) throw new ArgumentException("Negative padding value is resulting in an empty dimension.");
            var idx = new long[n + lo + hi];
            for (long j = 0; j < idx.Length; j++) idx[j] = ((j - lo) % n + n) % n;
            x = x.IndexSelect(d, Torch.Tensor(idx).To(input.Device));
        }
        return x.NamedAs("CopySlices");
    }
}
