namespace Ignis.Kernels;

/// <summary>
/// The deep-learning unit kernels for float32/float64 (float16/bfloat16 take the host path): max/avg/adaptive pooling
/// and their gradients, batch-norm statistics, normalisation and gradients, and the fused Adam/AdamW step. Each follows
/// the CPU kernel's formula; the pooling gradients run one work-item per plane in the CPU's order on CPU devices, and on
/// GPUs one work-item per input element that gathers the outputs whose windows hold it (PyTorch's CUDA formulation), in
/// the same ascending output order — so both give the CPU's sums bit for bit, without atomics — batch-norm statistics one work-group per channel accumulating in <c>ACC</c> (float64 where the device has it,
/// as the CPU).
/// </summary>
internal static class NnKernels
{
    public static string Source(KernelType t, bool fp64) =>
        (fp64 || t.DType == DType.Float64 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "") +
        $"#define T {t.Mem}\n#define ACC {(fp64 ? "double" : "float")}\n#define WG {RowKernels.Group}\n" + Body;

    /// <summary>
    /// Kernel <c>sgd</c>: the fused SGD step, one rounding per operation in the parameter's dtype with contraction off
    /// (no fused multiply-adds), so it equals the CPU's composed tensor ops bit for bit.
    /// </summary>
    public static string Sgd(KernelType t) =>
        (t.DType == DType.Float64 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "") + "#pragma OPENCL FP_CONTRACT OFF\n" +
        $"#define T {t.Mem}\n" + """
        __kernel void sgd(long total, __global T* p, long op, __global const T* g, long og, __global T* buf, long ob,
            int hasBuf, int first, int maximize, int nesterov, int decay, T wd, T mom, T omd, T negLr)
        {
            long i = get_global_id(0); if (i >= total) return;
            T gv = g[og + i];
            T d = maximize ? -gv : gv;
            if (decay) { T s = p[op + i] * wd; d = d + s; }
            if (hasBuf) {
                T b;
                if (first) b = d;
                else { b = buf[ob + i] * mom; T s = d * omd; b = b + s; }
                buf[ob + i] = b;
                if (nesterov) { T s = b * mom; d = d + s; } else d = b;
            }
            T step = d * negLr;
            p[op + i] = p[op + i] + step;
        }

        """;

    const string Body = """
        inline void window(int adaptive, long i, long j, long h, long w, long oh, long ow, int kh, int kw, int sh, int sw, int ph, int pw,
            int countIncludePad, long* h0, long* h1, long* w0, long* w1, long* div)
        {
            if (adaptive) {
                *h0 = i * h / oh; *h1 = ((i + 1) * h + oh - 1) / oh;
                *w0 = j * w / ow; *w1 = ((j + 1) * w + ow - 1) / ow;
                *div = (*h1 - *h0) * (*w1 - *w0);
                return;
            }
            long a0 = i * sh - ph, b0 = j * sw - pw;
            long a1 = min(a0 + kh, h + ph), b1 = min(b0 + kw, w + pw);
            long pool = (a1 - a0) * (b1 - b0);
            a0 = max(a0, 0L); b0 = max(b0, 0L); a1 = min(a1, h); b1 = min(b1, w);
            *h0 = a0; *h1 = a1; *w0 = b0; *w1 = b1;
            *div = countIncludePad ? pool : (a1 - a0) * (b1 - b0);
        }

        __kernel void maxpool(long total, __global const T* x, long ox, __global T* y, long oy, __global long* ix, long oi,
            long h, long w, long oh, long ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
        {
            long o = get_global_id(0); if (o >= total) return;
            long j = o % ow, i = (o / ow) % oh, p = o / (oh * ow);
            long hs = i * sh - ph, ws = j * sw - pw;
            __global const T* xp = x + ox + p * h * w;
            T best = -INFINITY; long bi = -1;
            for (int a = 0; a < kh; a++) {
                long ih = hs + a * dh; if (ih < 0 || ih >= h) continue;
                for (int b = 0; b < kw; b++) {
                    long iw = ws + b * dw; if (iw < 0 || iw >= w) continue;
                    long idx = ih * w + iw; T v = xp[idx];
                    if (v > best || isnan(v) || bi < 0) { best = v; bi = idx; if (isnan(v)) { a = kh; break; } }
                }
            }
            y[oy + o] = best; ix[oi + o] = bi;
        }

        __kernel void maxpool_bw(long planes, __global const T* gy, long ogy, __global const long* ix, long oi, __global T* gx, long ogx, long hw, long ohw)
        {
            long p = get_global_id(0); if (p >= planes) return;
            __global T* g = gx + ogx + p * hw;
            for (long k = 0; k < hw; k++) g[k] = 0;
            for (long k = 0; k < ohw; k++) { long idx = ix[oi + p * ohw + k]; if (idx >= 0) g[idx] += gy[ogy + p * ohw + k]; }
        }

        // Per input element: the output windows that can hold it, ascending (the order maxpool_bw adds them in), and of
        // those the ones whose argmax it is.
        __kernel void maxpool_bw_gather(long total, __global const T* gy, long ogy, __global const long* ix, long oi, __global T* gx, long ogx,
            long h, long w, long oh, long ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
        {
            long e = get_global_id(0); if (e >= total) return;
            long b = e % w, a = (e / w) % h, p = e / (h * w), idx = a * w + b;
            long ni = a + ph - (long)(kh - 1) * dh, nj = b + pw - (long)(kw - 1) * dw;
            long i0 = ni <= 0 ? 0 : (ni + sh - 1) / sh, j0 = nj <= 0 ? 0 : (nj + sw - 1) / sw;
            long i1 = min((a + ph) / sh, oh - 1), j1 = min((b + pw) / sw, ow - 1);
            __global const T* g = gy + ogy + p * oh * ow;
            __global const long* at = ix + oi + p * oh * ow;
            T s = 0;
            for (long i = i0; i <= i1; i++) for (long j = j0; j <= j1; j++) if (at[i * ow + j] == idx) s += g[i * ow + j];
            gx[ogx + e] = s;
        }

        __kernel void avgpool(long total, __global const T* x, long ox, __global T* y, long oy, long h, long w, long oh, long ow,
            int kh, int kw, int sh, int sw, int ph, int pw, int countIncludePad, int adaptive)
        {
            long o = get_global_id(0); if (o >= total) return;
            long j = o % ow, i = (o / ow) % oh, p = o / (oh * ow);
            long h0, h1, w0, w1, div;
            window(adaptive, i, j, h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad, &h0, &h1, &w0, &w1, &div);
            __global const T* xp = x + ox + p * h * w;
            T s = 0;
            for (long a = h0; a < h1; a++) for (long b = w0; b < w1; b++) s += xp[a * w + b];
            y[oy + o] = s / (T)div;
        }

        __kernel void avgpool_bw(long planes, __global const T* gy, long ogy, __global T* gx, long ogx, long h, long w, long oh, long ow,
            int kh, int kw, int sh, int sw, int ph, int pw, int countIncludePad, int adaptive)
        {
            long p = get_global_id(0); if (p >= planes) return;
            __global T* g = gx + ogx + p * h * w;
            for (long k = 0; k < h * w; k++) g[k] = 0;
            for (long i = 0; i < oh; i++) for (long j = 0; j < ow; j++) {
                long h0, h1, w0, w1, div;
                window(adaptive, i, j, h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad, &h0, &h1, &w0, &w1, &div);
                T v = gy[ogy + p * oh * ow + i * ow + j] / (T)div;
                for (long a = h0; a < h1; a++) for (long b = w0; b < w1; b++) g[a * w + b] += v;
            }
        }

        // Per input element: the output windows around it, ascending (avgpool_bw's order), each checked with window().
        __kernel void avgpool_bw_gather(long total, __global const T* gy, long ogy, __global T* gx, long ogx, long h, long w, long oh, long ow,
            int kh, int kw, int sh, int sw, int ph, int pw, int countIncludePad, int adaptive)
        {
            long e = get_global_id(0); if (e >= total) return;
            long b = e % w, a = (e / w) % h, p = e / (h * w);
            long i0, i1, j0, j1;
            if (adaptive) {
                i0 = a * oh / h; i1 = min(((a + 1) * oh + h - 1) / h, oh - 1);
                j0 = b * ow / w; j1 = min(((b + 1) * ow + w - 1) / w, ow - 1);
            } else {
                long ni = a + ph - kh + 1, nj = b + pw - kw + 1;
                i0 = ni <= 0 ? 0 : (ni + sh - 1) / sh; j0 = nj <= 0 ? 0 : (nj + sw - 1) / sw;
                i1 = min((a + ph) / sh, oh - 1); j1 = min((b + pw) / sw, ow - 1);
            }
            __global const T* g = gy + ogy + p * oh * ow;
            T s = 0;
            for (long i = i0; i <= i1; i++) for (long j = j0; j <= j1; j++) {
                long h0, h1, w0, w1, div;
                window(adaptive, i, j, h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad, &h0, &h1, &w0, &w1, &div);
                if (h0 <= a && a < h1 && w0 <= b && b < w1) s += g[i * ow + j] / (T)div;
            }
            gx[ogx + e] = s;
        }

        // Training: one work-group per channel sums the channel (mean, then squared deviations) into stats[2c], stats[2c+1].
        __kernel void bn_stats(long n, long c, long s, __global const T* x, long ox, __global ACC* stats)
        {
            long ch = get_group_id(0); int lid = get_local_id(0);
            __local ACC sh[WG];
            long count = n * s;
            ACC a = 0;
            for (long e = lid; e < count; e += WG) a += (ACC)x[ox + ((e / s) * c + ch) * s + e % s];
            sh[lid] = a; barrier(CLK_LOCAL_MEM_FENCE);
            for (int k = WG / 2; k > 0; k >>= 1) { if (lid < k) sh[lid] += sh[lid + k]; barrier(CLK_LOCAL_MEM_FENCE); }
            ACC mean = sh[0] / (ACC)count;
            barrier(CLK_LOCAL_MEM_FENCE);
            ACC m = 0;
            for (long e = lid; e < count; e += WG) { ACC d = (ACC)x[ox + ((e / s) * c + ch) * s + e % s] - mean; m += d * d; }
            sh[lid] = m; barrier(CLK_LOCAL_MEM_FENCE);
            for (int k = WG / 2; k > 0; k >>= 1) { if (lid < k) sh[lid] += sh[lid + k]; barrier(CLK_LOCAL_MEM_FENCE); }
            if (lid == 0) { stats[2 * ch] = mean; stats[2 * ch + 1] = sh[0]; }
        }

        // One work-item per channel: the batch statistics (training) or the running ones (evaluation), the running-stat
        // update, saved mean/invstd, and the affine constants scale = γ·invstd, shift = β − mean·scale into coef.
        // (Kept apart from the barrier kernel above: PoCL mis-compiled the running update when both shared one kernel.)
        __kernel void bn_finish(long c, long count, __global const ACC* stats, int training, ACC momentum, ACC eps,
            __global T* rm, long orm, __global T* rv, long orv, int hasRunning,
            __global const T* wt, long ow, int hasW, __global const T* bs, long ob, int hasB,
            __global T* sm, long osm, __global T* si, long osi, __global ACC* coef)
        {
            long ch = get_global_id(0); if (ch >= c) return;
            ACC mean, invStd;
            if (training) {
                mean = stats[2 * ch];
                ACC m2 = stats[2 * ch + 1];
                invStd = 1 / sqrt(m2 / (ACC)count + eps);
                if (hasRunning) {
                    rm[orm + ch] = (T)((1 - momentum) * (ACC)rm[orm + ch] + momentum * mean);
                    ACC unbiased = count > 1 ? m2 / (ACC)(count - 1) : NAN;
                    rv[orv + ch] = (T)((1 - momentum) * (ACC)rv[orv + ch] + momentum * unbiased);
                }
            } else {
                mean = (ACC)rm[orm + ch];
                invStd = 1 / sqrt((ACC)rv[orv + ch] + eps);
            }
            sm[osm + ch] = (T)mean; si[osi + ch] = (T)invStd;
            ACC gamma = hasW ? (ACC)wt[ow + ch] : 1, beta = hasB ? (ACC)bs[ob + ch] : 0;
            coef[2 * ch] = gamma * invStd; coef[2 * ch + 1] = beta - mean * gamma * invStd;
        }

        __kernel void bn_apply(long total, long c, long s, __global const T* x, long ox, __global T* y, long oy, __global const ACC* coef)
        {
            long e = get_global_id(0); if (e >= total) return;
            long ch = (e / s) % c;
            y[oy + e] = x[ox + e] * (T)coef[2 * ch] + (T)coef[2 * ch + 1];
        }

        // Per channel: Σdy, Σdy·x → gradWeight, gradBias, and dx = k·dy + b·x + a's constants into coef[3c..3c+2].
        __kernel void bn_bw_stats(long n, long c, long s, __global const T* gy, long ogy, __global const T* x, long ox,
            __global const T* wt, long ow, int hasW, __global const T* sm, long osm, __global const T* si, long osi, int training,
            __global T* gw, long ogw, int hasGw, __global T* gb, long ogb, int hasGb, __global ACC* coef)
        {
            long ch = get_group_id(0); int lid = get_local_id(0);
            __local ACC s1[WG], s2[WG];
            long count = n * s;
            ACC a = 0, d = 0;
            for (long e = lid; e < count; e += WG) {
                long at = ((e / s) * c + ch) * s + e % s;
                ACC g = (ACC)gy[ogy + at]; a += g; d += g * (ACC)x[ox + at];
            }
            s1[lid] = a; s2[lid] = d; barrier(CLK_LOCAL_MEM_FENCE);
            for (int k = WG / 2; k > 0; k >>= 1) { if (lid < k) { s1[lid] += s1[lid + k]; s2[lid] += s2[lid + k]; } barrier(CLK_LOCAL_MEM_FENCE); }
            if (lid != 0) return;
            ACC mean = (ACC)sm[osm + ch], invStd = (ACC)si[osi + ch], gamma = hasW ? (ACC)wt[ow + ch] : 1;
            ACC sumDy = s1[0], sumDyXhat = (s2[0] - mean * sumDy) * invStd;
            if (hasGw) gw[ogw + ch] = (T)sumDyXhat;
            if (hasGb) gb[ogb + ch] = (T)sumDy;
            ACC k = gamma * invStd;
            coef[3 * ch] = k;
            coef[3 * ch + 1] = training ? -k * invStd * sumDyXhat / (ACC)count : 0;
            coef[3 * ch + 2] = training ? -k * sumDy / (ACC)count + k * invStd * mean * sumDyXhat / (ACC)count : 0;
        }

        __kernel void bn_bw_apply(long total, long c, long s, __global const T* gy, long ogy, __global const T* x, long ox,
            __global T* gx, long ogx, __global const ACC* coef)
        {
            long e = get_global_id(0); if (e >= total) return;
            long ch = (e / s) % c;
            gx[ogx + e] = gy[ogy + e] * (T)coef[3 * ch] + x[ox + e] * (T)coef[3 * ch + 1] + (T)coef[3 * ch + 2];
        }

        __kernel void adam(long total, __global T* p, long op, __global const T* g, long og, __global T* m, long om, __global T* v, long ov,
            __global T* vmax, long ovm, int amsgrad, T b1, T b2, T omb1, T omb2, T eps, T bc2Sqrt, T negStep, T wd, T decay, int coupled, int decoupled)
        {
            long i = get_global_id(0); if (i >= total) return;
            T pv = p[op + i], gv = g[og + i];
            if (decoupled) pv *= decay;
            if (coupled) gv += pv * wd;
            T mv = m[om + i] * b1 + gv * omb1;
            T sv = v[ov + i] * b2 + gv * gv * omb2;
            T use = sv;
            if (amsgrad) { use = fmax(vmax[ovm + i], sv); vmax[ovm + i] = use; }
            T denom = sqrt(use) / bc2Sqrt + eps;
            m[om + i] = mv; v[ov + i] = sv;
            p[op + i] = pv + negStep * (mv / denom);
        }

        """;
}
