using Ignis.Autograd;

namespace Ignis;

// How in-place ops take part in autograd, as PyTorch's VariableType does: every in-place write bumps the storage's
// version counter; on a tensor in the graph the op is recorded like its out-of-place form and the tensor takes the new
// grad_fn; a write through a view rewrites the base's history (CopySlices) and the view's (AsStridedBackward0).
public partial class Tensor
{
    /// <summary>
    /// Runs an in-place op: <paramref name="raw"/> writes the elements when autograd has nothing to record; otherwise
    /// <paramref name="tracked"/> computes the new value out of place, differentiably, from an alias of this tensor.
    /// </summary>
    internal Tensor InPlace(Tensor? other, Action raw, Func<Tensor, Tensor> tracked)
    {
        if (GradMode.IsEnabled)
        {
            CheckLeafWrite();
            if (RequiresGrad || (other?.RequiresGrad ?? false))
            {
                InPlaceTracked(tracked);
                return this;
            }
        }
        raw();
        storage.BumpVersion();
        return this;
    }

    /// <summary>PyTorch refuses in-place writes to leaves that require grad (and to their views) while grad mode is on.</summary>
    internal void CheckLeafWrite()
    {
        if (!GradMode.IsEnabled) return;
        if (requiresGrad && CurrentGradFn() is null)
            throw new InvalidOperationException("a leaf Variable that requires grad is being used in an in-place operation.");
        if (viewBase is { } b && b.RequiresGrad && b.IsLeaf && RequiresGrad)
            throw new InvalidOperationException("a view of a leaf Variable that requires grad is being used in an in-place operation.");
    }

    void InPlaceTracked(Func<Tensor, Tensor> compute)
    {
        // The op reads this tensor's value and history through an alias: if its gradient needs the original value,
        // the alias is given a copy of it before the write (PyTorch saves original_self the same way).
        var self0 = new Tensor(storage, shape, strides, offset, DType) { gradFn = CurrentGradFn(), requiresGrad = requiresGrad };
        var r = compute(self0);
        if (r.DType != DType) r = r.To(DType);
        var node = r.gradFn;
        if (node is not null && node.Saves(self0))
        {
            self0.SetData(self0.CopyRaw());
            node.RefreshSaved(self0);
        }
        using (Torch.NoGrad()) CopyFrom(r);
        storage.BumpVersion();
        if (viewBase is { } b) RecordCopySlices(b, r);
        else if (node is not null)
        {
            gradFn = node;
            requiresGrad = true;
        }
        // A saved result now lives in this tensor's storage, so a later write to it is caught at backward time.
        if (node is not null && node.Saves(r))
        {
            r.SetData(this);
            node.RefreshSaved(r);
        }
    }

    /// <summary>
    /// After a write of <paramref name="value"/> through this view of <paramref name="b"/>: the base's new history is
    /// CopySlices (its old history outside the view, the value's inside) and this view's is AsStridedBackward0 of it.
    /// </summary>
    void RecordCopySlices(Tensor b, Tensor value)
    {
        var region = new Region(shape, strides, offset - b.offset);
        var based = new Region(b.shape, b.strides, 0);
        Engine.Record(b, "CopySlices", [b, value], g =>
        {
            var gb = based.Materialize(g);
            var inside = region.Of(gb);
            var gValue = inside.CopyRaw();
            inside.Backend.Fill(inside, 0);
            return [gb, gValue];
        });
        RecordAsViewOf(b, region, based);
    }

    /// <summary>Makes this view's grad_fn AsStridedBackward0 of its base's current history.</summary>
    void RecordAsViewOf(Tensor b, Region region, Region based)
    {
        gradFn = null;
        requiresGrad = false;
        using (GradMode.Set(true))
            Engine.Record(this, "AsStridedBackward0", [b], g =>
            {
                var gb = based.Materialize(null, g);
                region.Of(gb).CopyFrom(g);
                return [gb];
            }, view: true);
    }

    /// <summary>
    /// This tensor's grad_fn, regenerated first when it is a view whose base was written in place since (PyTorch does
    /// this when <c>grad_fn</c> is read and the base's version moved on).
    /// </summary>
    internal Node? CurrentGradFn()
    {
        if (viewBase is { } b && !ReferenceEquals(b.gradFn, viewFnBaseFn) && b.requiresGrad)
            RecordAsViewOf(b, new Region(shape, strides, offset - b.offset), new Region(b.shape, b.strides, 0));
        return gradFn;
    }

    /// <summary>A view's geometry relative to its base's first element.</summary>
    readonly record struct Region(long[] Shape, long[] Strides, long Offset)
    {
        /// <summary>The elements of a base-laid-out tensor this region covers.</summary>
        public Tensor Of(Tensor based) => based.AsStridedRaw(Shape, Strides, based.offset + Offset);

        /// <summary>
        /// A fresh tensor laid out with these (base) strides: a copy of <paramref name="src"/> when given, else zeros
        /// shaped like <paramref name="like"/>'s base.
        /// </summary>
        public Tensor Materialize(Tensor? src, Tensor? like = null)
        {
            var proto = src ?? like!;
            long extent = 1;
            for (int i = 0; i < Shape.Length; i++)
            {
                if (Shape[i] == 0) { extent = 0; break; }
                extent += (Shape[i] - 1) * Math.Abs(Strides[i]);
            }
            var buf = Empty([extent], proto.DType, proto.Device);
            var t = buf.AsStridedRaw(Shape, Strides, 0);
            if (src is not null) t.Backend.Copy(src, t);
            return t;
        }
    }
}
