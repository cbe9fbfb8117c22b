using Ignis.Backends.Cpu;

namespace Ignis;

public static partial class Torch
{
    /// <summary>Backend switches and facts (PyTorch: <c>torch.backends</c>).</summary>
    public static partial class Backends
    {
        /// <summary>The CPU engine's SIMD facts (PyTorch: <c>torch.backends.cpu</c>).</summary>
        public static class Cpu
        {
            /// <summary>
            /// The SIMD level the CPU kernels run at in this process (PyTorch: <c>torch.backends.cpu.get_cpu_capability()</c>):
            /// "AVX512", "AVX2" (AVX2 + FMA), "DEFAULT" (128-bit SSE on x64), "NEON" (128-bit on Arm64) or "SCALAR".
            /// Under NativeAOT this is fixed by the instruction set the app was compiled for, not by the CPU.
            /// </summary>
            public static string GetCpuCapability() => CpuIsa.Capability;

            /// <summary>The widest of those levels the processor reports, whatever this build can use.</summary>
            public static string GetMachineCapability() => CpuIsa.MachineCapability;

            /// <summary>Why <see cref="GetCpuCapability"/> is below <see cref="GetMachineCapability"/>, or null when it is not.</summary>
            public static string? GetCapabilityLimitation() => CpuIsa.Limitation;

            /// <summary>
            /// The path each kernel family takes, e.g. ("gemm (matmul, linear, conv)", "AVX512 (512-bit, FMA)"); GEMM's is the one
            /// its last call dispatched to. For diagnostics (<c>ignis doctor</c>) and for tests that a build did not fall back.
            /// </summary>
            public static IReadOnlyList<KeyValuePair<string, string>> GetKernelPaths() => CpuIsa.KernelPaths();

            /// <summary>
            /// Whether 3×3 stride-1 convolutions wide enough for it may run Winograd's F(4×4, 3×3) algorithm — forward,
            /// input gradient and weight gradient (default true): 4× fewer multiplications, with float32 results within
            /// ~1e-5 relative of direct summation. PyTorch has no CPU switch (oneDNN picks direct kernels); this is the
            /// counterpart of choosing a cuDNN algorithm. Set it to false to compare with a device whose convolution is
            /// an im2col GEMM (as the OpenCL backend's is) more tightly than the two algorithms' rounding allows, e.g. a
            /// loss after an Adam or momentum step, which amplifies 1e-5 differences in gradients near zero.
            /// </summary>
            public static bool AllowWinograd
            {
                get => ConvKernels.Winograd.Allowed;
                set => ConvKernels.Winograd.Allowed = value;
            }
        }
    }
}
