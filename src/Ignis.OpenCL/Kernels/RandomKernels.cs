using System.Text;

namespace Ignis.OpenCL.Kernels;

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

    /// <summary>Philox4x32-10 as OpenCL C (<c>ig_philox</c>).</summary>
    public const string Philox = """
        inline uint4 ig_philox(uint4 c, uint2 k) {
            for (int r = 0; r < 10; r++) {
                if (r > 0) { k.x += 0x9E3779B9u; k.y += 0xBB67AE85u; }
                uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
                uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
                c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
            }
            return c;
        }

        """;

    /// <summary>Kernel <c>philox_fill</c> for dtype <paramref name="t"/> and distribution 0 uniform, 1 normal, 2 Bernoulli.</summary>
    public static string Fill(ClType t, int distribution)
    {
        bool dbl = t.DType == DType.Float64;
        string s = dbl ? "double" : "float";
        var sb = new StringBuilder(dbl ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" : "");
        sb.Append("#pragma OPENCL FP_CONTRACT OFF\n").Append(ClType.Prelude).Append(Philox);
        int per = PerBlock(t.DType);
        sb.Append($"__kernel void philox_fill(long n, __global {t.Mem}* d, long od, uint k0, uint k1, uint o0, uint o1, {s} a, {s} b)\n{{\n");
        sb.Append($"    long g = get_global_id(0), first = g * {per};\n    if (first >= n) return;\n");
        sb.Append("    uint4 r = ig_philox((uint4)((uint)g, (uint)(g >> 32), o0, o1), (uint2)(k0, k1));\n");
        // Uniforms in [0, 1): the top 24 bits of a word, or 53 bits of two words.
        if (dbl)
        {
            sb.Append("    double u[2];\n    u[0] = (double)((((ulong)r.x << 32) | r.y) >> 11) * 0x1.0p-53;\n");
            sb.Append("    u[1] = (double)((((ulong)r.z << 32) | r.w) >> 11) * 0x1.0p-53;\n");
        }
        else
        {
            sb.Append("    float u[4];\n    u[0] = (float)(r.x >> 8) * 0x1.0p-24f; u[1] = (float)(r.y >> 8) * 0x1.0p-24f;\n");
            sb.Append("    u[2] = (float)(r.z >> 8) * 0x1.0p-24f; u[3] = (float)(r.w >> 8) * 0x1.0p-24f;\n");
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
