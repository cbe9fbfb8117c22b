using System.Text;

namespace Ignis.Kernels;

/// <summary>
/// Random fills on the device from Philox4x32-10 (Salmon et al., SC'11 — the generator behind cuRAND's and PyTorch's
/// CUDA sampling): a work-item hashes counter (block index, generator offset) under key (seed) to four 32-bit words and
/// writes a block of outputs — four float32/float16/bfloat16 values (24-bit uniforms) or two float64 values (53-bit
/// uniforms). Normals use Box–Muller on pairs of uniforms, Bernoulli compares a uniform with p. Samples depend only on
/// seed, offset and element index, so a seed reproduces them on any device and launch shape. Contraction is off so the
/// affine steps round as written.
/// </summary>
internal static class RandomKernels
{
    /// <summary>Outputs per work-item for a dtype.</summary>
    public static int PerBlock(DType t) => t == DType.Float64 ? 2 : 4;

    /// <summary>Philox4x32-10 (<c>ig_philox</c>: the counter words in place, hashed under the key); scalar words, no vector types, so it renders to CUDA too.</summary>
    public const string Philox = """
        inline void ig_philox(uint c[4], uint k0, uint k1) {
            for (int r = 0; r < 10; r++) {
                if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
                uint hi0 = mul_hi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
                uint hi1 = mul_hi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
                uint n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
                c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
            }
        }

        """;

    /// <summary>Kernel <c>philox_fill</c> for dtype <paramref name="t"/> and distribution 0 uniform, 1 normal, 2 Bernoulli.</summary>
    public static string Fill(KernelType t, int distribution)
    {
        bool dbl = t.DType == DType.Float64;
        string s = dbl ? "double" : "float";
        var sb = new StringBuilder(dbl ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "");
        sb.Append("#pragma OPENCL FP_CONTRACT OFF\n").Append(KernelType.Prelude).Append(Philox);
        int per = PerBlock(t.DType);
        sb.Append($"__kernel void philox_fill(long n, __global {t.Mem}* d, long od, uint k0, uint k1, uint o0, uint o1, {s} a, {s} b)\n{{\n");
        sb.Append($"    long g = get_global_id(0), first = g * {per};\n    if (first >= n) return;\n");
        sb.Append("    uint r[4] = { (uint)g, (uint)(g >> 32), o0, o1 };\n    ig_philox(r, k0, k1);\n");
        // Uniforms in [0, 1): the top 24 bits of a word, or 53 bits of two words.
        if (dbl)
        {
            sb.Append("    double u[2];\n    u[0] = (double)((((ulong)r[0] << 32) | r[1]) >> 11) * 0x1.0p-53;\n");
            sb.Append("    u[1] = (double)((((ulong)r[2] << 32) | r[3]) >> 11) * 0x1.0p-53;\n");
        }
        else
        {
            sb.Append("    float u[4];\n    for (int j = 0; j < 4; j++) u[j] = (float)(r[j] >> 8) * 0x1.0p-24f;\n");
        }
        sb.Append($"    {s} v[{per}];\n");
        switch (distribution)
        {
            case 0: // a = lower bound, b = width of the range
                sb.Append($"    for (int j = 0; j < {per}; j++) {{ {s} w = u[j] * b; v[j] = w + a; }}\n");
                break;
            case 1: // a = mean, b = std; log of 1 − u keeps the argument in (0, 1]
                sb.Append($"    for (int j = 0; j < {per}; j += 2) {{\n");
                sb.Append($"        {s} rad = sqrt(({s})-2 * log(({s})1 - u[j]));\n        {s} th = {(dbl ? "2 * M_PI" : "2 * M_PI_F")} * u[j + 1];\n");
                sb.Append($"        {s} z0 = rad * cos(th) * b, z1 = rad * sin(th) * b;\n        v[j] = z0 + a; v[j + 1] = z1 + a;\n    }}\n");
                break;
            default: // a = p
                sb.Append($"    for (int j = 0; j < {per}; j++) v[j] = u[j] < a ? 1 : 0;\n");
                break;
        }
        sb.Append($"    for (int j = 0; j < {per} && first + j < n; j++) {{ {t.Store("d", "od + first + j", "v[j]")} }}\n}}\n");
        return sb.ToString();
    }
}
