using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Ignis.Backends.Cpu;

/// <summary>
/// Which SIMD path the CPU kernels take in this process, what the hardware could do, and why they differ.
/// </summary>
/// <remarks>
/// The kernels select their width with <c>Vector512/256/128.IsHardwareAccelerated</c> (and <c>Vector&lt;T&gt;</c>,
/// and System.Numerics.Tensors does the same internally). Under the JIT those reflect the CPU the process runs on.
/// Under NativeAOT they are compile-time constants of the instruction set the app was compiled for: ILC only
/// compiles run-time <c>IsSupported</c> checks for ISAs that do not change the instruction encoding (SSE4.2,
/// POPCNT, …; FMA/BMI only once AVX is in the target), never AVX/AVX2/AVX-512 — so a default-target x64 build
/// runs the 128-bit paths whatever the CPU. That is why Ignis' build targets pick x86-64-v3 for NativeAOT
/// publishes (see docs/architecture.md, "SIMD in every deployment mode").
/// </remarks>
internal static class CpuIsa
{
    /// <summary>True when 128-bit FusedMultiplyAdd is one instruction; otherwise the runtime emulates it per element.</summary>
    public static bool HasVectorFma
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Fma.IsSupported || AdvSimd.IsSupported;
    }

    /// <summary>Register width (bits) of the explicitly vectorised kernels (GEMM, System.Numerics.Tensors); 0 = scalar.</summary>
    public static int KernelBits =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>Width (bits) of <c>Vector&lt;T&gt;</c>, which the depthwise, norm, optimiser and mask kernels use; 0 = scalar.</summary>
    public static int VectorTBits => Vector.IsHardwareAccelerated ? Vector<byte>.Count * 8 : 0;

    /// <summary>The kernels' level in PyTorch's vocabulary (<c>torch.backends.cpu.get_cpu_capability()</c>), plus NEON and SCALAR.</summary>
    public static string Capability => Name(KernelBits);

    static string Name(int bits) => bits switch
    {
        512 => "AVX512",
        256 => "AVX2",
        128 => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 ? "NEON" : "DEFAULT",
        _ => "SCALAR",
    };

    /// <summary>The widest level the processor itself reports (CPUID on x86), independent of how this code was compiled.</summary>
    public static string MachineCapability => Name(MachineBits);

    // The processor does not change under a running process: ask CPUID (and /proc/cpuinfo) once.
    static readonly Lazy<int> machineBits = new(DetectMachineBits);

    static int MachineBits => machineBits.Value;

    static int DetectMachineBits()
    {
        if (X86Base.IsSupported)
        {
            // CPUID reports what the processor implements; /proc/cpuinfo additionally hides what the OS disabled.
            var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
            var (_, ebx7, _, _) = X86Base.CpuId(7, 0);
            bool osxsave = (ecx1 & (1 << 27)) != 0, avx = (ecx1 & (1 << 28)) != 0, fma = (ecx1 & (1 << 12)) != 0;
            bool avx2 = (ebx7 & (1 << 5)) != 0, avx512f = (ebx7 & (1 << 16)) != 0;
            if (osxsave && avx512f && OsEnables("avx512f")) return 512;
            if (osxsave && avx && avx2 && fma && OsEnables("avx2")) return 256;
            return 128;
        }
        return AdvSimd.IsSupported || Vector128.IsHardwareAccelerated ? 128 : 0;
    }

    // The kernel only lists a flag in /proc/cpuinfo when it saves that register state; without the file, trust CPUID.
    static bool OsEnables(string flag)
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return true;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return (" " + line[(line.IndexOf(':') + 1)..] + " ").Contains(" " + flag + " ", StringComparison.Ordinal);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return true;
    }

    /// <summary>One sentence on why the kernels run narrower than the machine allows, or null when they do not.</summary>
    public static string? Limitation
    {
        get
        {
            int have = MachineBits, use = KernelBits;
            if (use >= have) return null;
            bool aot = !RuntimeFeature.IsDynamicCodeSupported;
            if (aot)
                return use <= 128
                    ? $"this NativeAOT build was compiled for the baseline x64 instruction set, so the {Name(have)} kernels were compiled out; " +
                      "publish with Ignis' default NativeAOT target (x86-64-v3, AVX2+FMA) or IlcInstructionSet=x86-64-v4 for AVX-512"
                    : $"this NativeAOT build targets {Name(use)}; the CPU has {Name(have)} (publish with IlcInstructionSet=x86-64-v4 to use it, " +
                      "which then requires AVX-512 on every machine the app runs on)";
            return $"the runtime does not use {Name(have)} here (DOTNET_Enable*/DOTNET_PreferredVectorBitWidth settings, " +
                   "or the JIT preferring 256-bit vectors on a CPU that slows down at 512 bits)";
        }
    }

    // Written at each kernel family's dispatch so a test (and `ignis doctor`) can see the path actually taken.
    static int gemmBits = -1;

    /// <summary>Records the width the GEMM micro-kernel dispatch chose (0 = scalar reference loop).</summary>
    public static void NoteGemm(int bits) => gemmBits = bits;

    /// <summary>The path each kernel family takes: GEMM as last dispatched (or as it would be), the others by construction.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> KernelPaths()
    {
        int gemm = gemmBits >= 0 ? gemmBits : KernelBits;
        string fma = HasVectorFma ? "FMA" : "multiply+add";
        return
        [
            new("gemm (matmul, linear, conv)", Describe(gemm, gemm == 0 ? "scalar loop" : fma)),
            new("elementwise, reductions, softmax (System.Numerics.Tensors)", Describe(KernelBits, null)),
            new("Vector<T> kernels (depthwise conv, batch norm, Adam, masks)", Describe(VectorTBits, null)),
            new("cache blocking (GEMM panels)", $"KC {Gemm.GemmBlocking.Current.Kc}, MC {Gemm.GemmBlocking.Current.Mc}, NC {Gemm.GemmBlocking.Current.Nc} from {CpuCaches.Current}"),
        ];
    }

    static string Describe(int bits, string? detail) =>
        bits == 0 ? "SCALAR" : $"{Name(bits)} ({bits}-bit{(detail is null ? "" : ", " + detail)})";
}
