namespace Ignis.Kernels;

/// <summary>
/// Convolution as im2col + GEMM: <c>im2col</c> unfolds a group of input channels of a chunk of images into columns
/// [image][C·KH·KW][OH·OW]; <c>col2im</c> folds column gradients back, one work-item per input pixel gathering its
/// taps (deterministic, no atomics). Padding and dilation are handled by the index arithmetic.
/// Depthwise convolutions (one input channel per group, any channel multiplier M = Cout/Cin) run direct kernels
/// instead (<see cref="Depthwise"/>): a GEMM per group would launch hundreds of tiny products.
/// </summary>
internal static class ConvKernels
{
    public static string Source(KernelType t) => KernelType.Pragmas([t]) + KernelType.Prelude + $$"""
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

    /// <summary>
    /// Kernels <c>dw_fwd</c> (a work-item per output element), <c>dw_bw_input</c> (a work-item per input element gathering
    /// every output tap that read it, over the channel multiplier) and <c>dw_bw_weight</c> (a work-group of
    /// <see cref="RowKernels.Group"/> per weight element, striding over images and output positions, then a tree).
    /// Sums run in the compute type, in a different order from the CPU's (float rounding).
    /// </summary>
    public static string Depthwise(KernelType t) => KernelType.Pragmas([t]) + KernelType.Prelude + $"#define WG {RowKernels.Group}\n" + $$"""
        #define GEOM long C, long M, long H, long W, int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw, long OH, long OW
        __kernel void dw_fwd(long total, __global const {{t.Mem}}* x, long ox, __global const {{t.Mem}}* wt, long ow_, __global {{t.Mem}}* y, long oy, GEOM)
        {
            long i = get_global_id(0); if (i >= total) return;
            long xo = i % OW; long r = i / OW; long yo = r % OH; r /= OH; long o = r % (C * M); long n = r / (C * M);
            long c = o / M;
            __global const {{t.Mem}}* plane = x + ox + (n * C + c) * H * W;
            {{t.Compute}} acc = 0;
            for (int a = 0; a < KH; a++) {
                long ih = yo * sh - ph + a * dh;
                if (ih < 0 || ih >= H) continue;
                for (int b = 0; b < KW; b++) {
                    long iw = xo * sw - pw + b * dw;
                    if (iw < 0 || iw >= W) continue;
                    acc += {{t.Load("plane", "ih * W + iw")}} * {{t.Load("wt", "ow_ + (o * KH + a) * KW + b")}};
                }
            }
            {{t.Store("y", "oy + i", "acc")}}
        }

        __kernel void dw_bw_input(long total, __global const {{t.Mem}}* gy, long ogy, __global const {{t.Mem}}* wt, long ow_, __global {{t.Mem}}* gx, long ogx, GEOM)
        {
            long i = get_global_id(0); if (i >= total) return;
            long iw = i % W; long r = i / W; long ih = r % H; r /= H; long c = r % C; long n = r / C;
            {{t.Compute}} acc = 0;
            for (long m = 0; m < M; m++) {
                long o = c * M + m;
                for (int a = 0; a < KH; a++) {
                    long th = ih + ph - a * dh;
                    if (th < 0 || th % sh != 0) continue;
                    long yo = th / sh; if (yo >= OH) continue;
                    for (int b = 0; b < KW; b++) {
                        long tw = iw + pw - b * dw;
                        if (tw < 0 || tw % sw != 0) continue;
                        long xo = tw / sw; if (xo >= OW) continue;
                        acc += {{t.Load("gy", "ogy + ((n * C * M + o) * OH + yo) * OW + xo")}} * {{t.Load("wt", "ow_ + (o * KH + a) * KW + b")}};
                    }
                }
            }
            {{t.Store("gx", "ogx + i", "acc")}}
        }

        __kernel void dw_bw_weight(long N, __global const {{t.Mem}}* gy, long ogy, __global const {{t.Mem}}* x, long ox, __global {{t.Mem}}* gw, long ogw, GEOM)
        {
            long e = get_group_id(0); int lid = get_local_id(0);
            int b = e % KW; long r = e / KW; int a = r % KH; long o = r / KH; long c = o / M;
            long count = N * OH * OW;
            {{t.Compute}} acc = 0;
            for (long j = lid; j < count; j += WG) {
                long xo = j % OW; long q = j / OW; long yo = q % OH; long n = q / OH;
                long ih = yo * sh - ph + a * dh, iw = xo * sw - pw + b * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += {{t.Load("gy", "ogy + ((n * C * M + o) * OH + yo) * OW + xo")}} * {{t.Load("x", "ox + ((n * C + c) * H + ih) * W + iw")}};
            }
            __local {{t.Compute}} part[WG];
            part[lid] = acc; barrier(CLK_LOCAL_MEM_FENCE);
            for (int s = WG / 2; s > 0; s >>= 1) { if (lid < s) part[lid] += part[lid + s]; barrier(CLK_LOCAL_MEM_FENCE); }
            if (lid == 0) { {{t.Store("gw", "ogw + e", "part[0]")}} }
        }

        """;
}
