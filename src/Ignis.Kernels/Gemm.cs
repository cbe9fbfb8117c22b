namespace Ignis.Kernels;

/// <summary>
/// The GEMM template: C[z] (+)= Σ_s A[z·S+s] · B[z·S+s] for batched [M,K]×[K,N] with any strides on A and B (transposes
/// and broadcast batches by indexing, no copies) and row-major C with its own batch and row strides. A work-group of
/// 8×8 work-items computes a 32×32 tile of C, each work-item a 4×4 register block, staging 32×16 slices of A and B in
/// local memory. The inner sum over S batches lets convolution's weight gradient sum over images in one launch.
/// Accumulates in the compute type (float32 for float16/bfloat16), so results agree with the CPU to float rounding.
/// </summary>
internal static class Gemm
{
    public const int Tile = 32, Threads = 8, Depth = 16, Reg = 4;

    public static string Source(KernelType t) => KernelType.Pragmas([t]) + KernelType.Prelude + $$"""
        #define TM {{Tile}}
        #define TK {{Depth}}
        #define NT {{Threads}}
        #define R {{Reg}}
        __kernel void gemm(long M, long N, long K, long S, int accumulate,
            __global const {{t.Mem}}* a, long oa, long sab, long sam, long sak,
            __global const {{t.Mem}}* b, long ob, long sbb, long sbk, long sbn,
            __global {{t.Mem}}* c, long oc, long scb, long scm)
        {
            int tx = get_local_id(0), ty = get_local_id(1);
            int lid = ty * NT + tx;
            long n0 = (long)get_group_id(0) * TM, m0 = (long)get_group_id(1) * TM, z = get_global_id(2);
            __local {{t.Compute}} As[TK][TM];
            __local {{t.Compute}} Bs[TK][TM];
            {{t.Compute}} acc[R][R];
            for (int i = 0; i < R; i++) for (int j = 0; j < R; j++) acc[i][j] = 0;
            for (long s = 0; s < S; s++) {
                long ab = oa + (z * S + s) * sab, bb = ob + (z * S + s) * sbb;
                for (long k0 = 0; k0 < K; k0 += TK) {
                    for (int e = lid; e < TM * TK; e += NT * NT) {
                        int mm = e / TK, kk = e % TK;
                        long gm = m0 + mm, gk = k0 + kk;
                        As[kk][mm] = (gm < M && gk < K) ? {{t.Load("a", "ab + gm * sam + gk * sak")}} : 0;
                        int kb = e / TM, nn = e % TM;
                        long gn = n0 + nn, gkb = k0 + kb;
                        Bs[kb][nn] = (gn < N && gkb < K) ? {{t.Load("b", "bb + gkb * sbk + gn * sbn")}} : 0;
                    }
                    barrier(CLK_LOCAL_MEM_FENCE);
                    for (int kk = 0; kk < TK; kk++) {
                        {{t.Compute}} ar[R], br[R];
                        for (int i = 0; i < R; i++) ar[i] = As[kk][ty + i * NT];
                        for (int j = 0; j < R; j++) br[j] = Bs[kk][tx + j * NT];
                        for (int i = 0; i < R; i++) for (int j = 0; j < R; j++) acc[i][j] += ar[i] * br[j];
                    }
                    barrier(CLK_LOCAL_MEM_FENCE);
                }
            }
            for (int i = 0; i < R; i++) {
                long m = m0 + ty + i * NT;
                if (m >= M) continue;
                for (int j = 0; j < R; j++) {
                    long n = n0 + tx + j * NT;
                    if (n >= N) continue;
                    long ci = oc + z * scb + m * scm + n;
                    {{t.Compute}} v = acc[i][j];
                    if (accumulate) v += {{t.Load("c", "ci")}};
                    {{t.Store("c", "ci", "v")}}
                }
            }
        }

        """;
}

/// <summary>
/// The GEMM for CPU OpenCL devices (PoCL): one work-item per output element and a plain loop over K, which the CPU
/// compilers vectorise across neighbouring work-items; barriers and local-memory tiles only slow them down.
/// </summary>
internal static class GemmSimple
{
    public static string Source(KernelType t) => KernelType.Pragmas([t]) + KernelType.Prelude + $$"""
        __kernel void gemm(long M, long N, long K, long S, int accumulate,
            __global const {{t.Mem}}* a, long oa, long sab, long sam, long sak,
            __global const {{t.Mem}}* b, long ob, long sbb, long sbk, long sbn,
            __global {{t.Mem}}* c, long oc, long scb, long scm)
        {
            long n = get_global_id(0), m = get_global_id(1), z = get_global_id(2);
            if (n >= N || m >= M) return;
            {{t.Compute}} acc = 0;
            for (long s = 0; s < S; s++) {
                __global const {{t.Mem}}* ap = a + oa + (z * S + s) * sab + m * sam;
                __global const {{t.Mem}}* bp = b + ob + (z * S + s) * sbb + n * sbn;
                for (long k = 0; k < K; k++) acc += {{t.Load("ap", "k * sak")}} * {{t.Load("bp", "k * sbk")}};
            }
            long ci = oc + z * scb + m * scm + n;
            if (accumulate) acc += {{t.Load("c", "ci")}};
            {{t.Store("c", "ci", "acc")}}
        }

        """;
}
