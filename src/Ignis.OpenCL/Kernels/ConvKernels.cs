namespace Ignis.OpenCL.Kernels;

/// <summary>
/// Convolution as im2col + GEMM: <c>im2col</c> unfolds a group of input channels of a chunk of images into columns
/// [image][C·KH·KW][OH·OW]; <c>col2im</c> folds column gradients back, one work-item per input pixel gathering its
/// taps (deterministic, no atomics). Padding and dilation are handled by the index arithmetic.
/// </summary>
internal static class ConvKernels
{
    public static string Source(ClType t) => ClType.Pragmas([t]) + ClType.Prelude + $$"""
        __kernel void im2col(long total, __global const {{t.Mem}}* x, long ox, long C, long H, long W, long cstart, long Ctot,
            __global {{t.Mem}}* col, int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw, long OH, long OW)
        {
            long i = get_global_id(0); if (i >= total) return;
            long ow = i % OW; long r = i / OW; long oh = r % OH; r /= OH;
            long kw = r % KW; r /= KW; long kh = r % KH; r /= KH; long c = r % C; long n = r / C;
            long ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
            {{t.Compute}} v = 0;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = {{t.Load("x", "ox + ((n * Ctot + cstart + c) * H + ih) * W + iw")}};
            {{t.Store("col", "i", "v")}}
        }

        __kernel void col2im(long total, __global const {{t.Mem}}* col, __global {{t.Mem}}* gx, long ogx, long C, long H, long W, long cstart, long Ctot,
            int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw, long OH, long OW)
        {
            long i = get_global_id(0); if (i >= total) return;
            long iw = i % W; long r = i / W; long ih = r % H; r /= H; long c = r % C; long n = r / C;
            {{t.Compute}} acc = 0;
            for (int kh = 0; kh < KH; kh++) {
                long th = ih + ph - kh * dh;
                if (th < 0 || th % sh != 0) continue;
                long oh = th / sh; if (oh >= OH) continue;
                for (int kw = 0; kw < KW; kw++) {
                    long tw = iw + pw - kw * dw;
                    if (tw < 0 || tw % sw != 0) continue;
                    long ow = tw / sw; if (ow >= OW) continue;
                    acc += {{t.Load("col", "(((n * C + c) * KH + kh) * KW + kw) * OH * OW + oh * OW + ow")}};
                }
            }
            {{t.Store("gx", "ogx + ((n * Ctot + cstart + c) * H + ih) * W + iw", "acc")}}
        }

        """;
}
