namespace Ignis.Kernels;

/// <summary>
/// The kernel templates are written once, in OpenCL C 1.2, and rendered to CUDA C++ (for NVRTC) by a prelude that maps
/// the OpenCL vocabulary they use — address-space qualifiers, work-item functions, <c>barrier</c>, <c>long8</c> by value,
/// <c>vload_half</c>/<c>vstore_half_rte</c>, <c>as_uint</c>/<c>as_float</c>, <c>atomic_min</c>, <c>mul_hi</c>, the
/// fixed-width type names (OpenCL's <c>long</c> is 64-bit everywhere, CUDA's only where the host's is, so it becomes
/// <c>long long</c>) — onto CUDA's. Templates use no vector literals or other constructs without a CUDA spelling.
/// <c>#pragma OPENCL</c> lines are dropped; <c>FP_CONTRACT OFF</c> becomes a request to compile without fused
/// multiply-adds (NVRTC's <c>--fmad=false</c>).
/// </summary>
internal static class Dialect
{
    /// <summary>The definitions a rendered CUDA program starts with (NVRTC supplies CUDA's built-ins and math API).</summary>
    public const string CudaPrelude = """
        // Ignis kernel dialect: OpenCL C 1.2 vocabulary rendered for CUDA.
        #define cl_khr_fp64 1
        typedef unsigned char uchar;
        typedef unsigned short ushort;
        typedef unsigned int uint;
        typedef unsigned long long ulong;
        typedef unsigned short ig_half_bits;
        struct long8 { long long s[8]; };
        #define half ig_half_bits
        #define __kernel extern "C" __global__
        #define __global
        #define __local __shared__
        #define __constant
        #define CLK_LOCAL_MEM_FENCE 1
        #define CLK_GLOBAL_MEM_FENCE 2
        #ifndef INFINITY
        #define INFINITY __int_as_float(0x7f800000)
        #endif
        #ifndef NAN
        #define NAN __int_as_float(0x7fffffff)
        #endif
        #ifndef M_PI
        #define M_PI 3.14159265358979323846
        #endif
        #define M_PI_F 3.14159265358979323846f
        #ifndef M_SQRT1_2
        #define M_SQRT1_2 0.70710678118654752440
        #endif
        __device__ __forceinline__ long long ig_index(unsigned int block, unsigned int size, unsigned int thread) { return (long long)block * size + thread; }
        __device__ __forceinline__ long long get_global_id(int d) {
            return d == 0 ? ig_index(blockIdx.x, blockDim.x, threadIdx.x) : d == 1 ? ig_index(blockIdx.y, blockDim.y, threadIdx.y) : ig_index(blockIdx.z, blockDim.z, threadIdx.z);
        }
        __device__ __forceinline__ long long get_local_id(int d) { return d == 0 ? threadIdx.x : d == 1 ? threadIdx.y : threadIdx.z; }
        __device__ __forceinline__ long long get_group_id(int d) { return d == 0 ? blockIdx.x : d == 1 ? blockIdx.y : blockIdx.z; }
        __device__ __forceinline__ void barrier(int) { __syncthreads(); }
        __device__ __forceinline__ void vstore8(long8 v, long long offset, long long* p) { for (int i = 0; i < 8; i++) p[offset * 8 + i] = v.s[i]; }
        __device__ __forceinline__ float vload_half(long long i, const ig_half_bits* p) {
            float f; unsigned short h = p[i]; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f;
        }
        __device__ __forceinline__ void vstore_half_rte(float v, long long i, ig_half_bits* p) {
            unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v)); p[i] = h;
        }
        __device__ __forceinline__ uint as_uint(float f) { return __float_as_uint(f); }
        __device__ __forceinline__ float as_float(uint u) { return __uint_as_float(u); }
        __device__ __forceinline__ int atomic_min(volatile int* p, int v) { return atomicMin((int*)p, v); }
        __device__ __forceinline__ uint mul_hi(uint a, uint b) { return __umulhi(a, b); }
        #define long long long
        #define inline __device__ inline

        """;

    /// <summary>Renders an OpenCL-dialect program to CUDA C++; <c>NoFma</c> when it asked for contraction off.</summary>
    public static (string Source, bool NoFma) ToCuda(string opencl)
    {
        bool noFma = false;
        var body = new System.Text.StringBuilder(CudaPrelude);
        foreach (var line in opencl.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("#pragma OPENCL", StringComparison.Ordinal))
            {
                if (trimmed.Contains("FP_CONTRACT OFF", StringComparison.Ordinal)) noFma = true;
                continue;
            }
            body.Append(line).Append('\n');
        }
        return (body.ToString(), noFma);
    }
}
