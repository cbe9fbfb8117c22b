using Ignis.Backends;

namespace Ignis.Gpu;

// float16/bfloat16 operands of the deep-learning kernels, computed as the CPU computes them: widened to float32 on the
// device, the float32 kernel run, the written operands rounded back (to nearest even) — no host round trip.
internal sealed partial class GpuBackend
{
    /// <summary>
    /// When any operand is float16/bfloat16, runs <paramref name="body"/> on float32 device copies of those operands and
    /// rounds the <paramref name="written"/> ones back; returns false (nothing done) when there is none.
    /// </summary>
    bool InFloat32(TensorView?[] views, int[] written, Action<TensorView?[]> body)
    {
        if (!views.Any(v => v is not null && v.DType.IsReducedFloat())) return false;
        var wide = new TensorView?[views.Length];
        for (int i = 0; i < views.Length; i++)
        {
            var v = views[i];
            if (v is null || !v.DType.IsReducedFloat()) { wide[i] = v; continue; }
            var w = TensorView.Contiguous(AllocateUninitialized(v.Device, DType.Float32, v.Numel), v.Shape);
            Copy(v, w);
            wide[i] = w;
        }
        try
        {
            body(wide);
            foreach (int i in written)
                if (views[i] is { } v && v.DType.IsReducedFloat()) Copy(wide[i]!, v);
        }
        finally
        {
            for (int i = 0; i < views.Length; i++)
                if (!ReferenceEquals(wide[i], views[i])) wide[i]!.Storage.Dispose();
            GC.KeepAlive(views);
        }
        return true;
    }
}
