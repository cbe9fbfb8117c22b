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
        }
    }
}
