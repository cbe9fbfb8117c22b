using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Ignis.Kernels;
using Xunit;

namespace Ignis.OpenCL.Tests;

/// <summary>
/// Every program the kernel templates can render (<see cref="KernelCatalog"/>) builds on the OpenCL device, and renders
/// to CUDA C++ that compiles to PTX for sm_70, sm_80 and sm_90 with clang (no NVIDIA software: clang's CUDA front end
/// with a header declaring what NVRTC provides). CI installs clang-16; elsewhere the CUDA check is skipped, with the reason, without it.
/// </summary>
public class KernelTemplateTests
{
    [OpenCLFact]
    public void Every_template_instantiation_builds_on_the_opencl_device()
    {
        var device = OpenCLBackend.DeviceOf(DeviceUnderTest.Device);
        var failures = new List<string>();
        int count = 0;
        foreach (var (name, source) in KernelCatalog.Programs(device.HasFp64))
        {
            count++;
            try { device.Program(source); }
            catch (OpenCLException e) { failures.Add($"{name}: {e.Message[..Math.Min(600, e.Message.Length)]}"); }
        }
        Assert.True(count > 300, $"only {count} programs in the catalog");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    internal static string? Clang()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "clang-16"))) return Path.Combine(dir, "clang-16");
        return null;
    }

    /// <summary>
    /// Declarations of what NVRTC provides built in (CUDA's attributes, built-in variables, math API overloads and
    /// intrinsics), so clang can compile a rendered program without CUDA's headers. Calls stay unresolved in the PTX.
    /// </summary>
    const string NvrtcStandIn = """
        #include <__clang_cuda_builtin_vars.h>
        #define __device__ __attribute__((device))
        #define __global__ __attribute__((global))
        #define __shared__ __attribute__((shared))
        #define __forceinline__ __inline__ __attribute__((always_inline))
        #define IG_MATH1(f) __device__ float f(float); __device__ double f(double);
        #define IG_MATH2(f) __device__ float f(float, float); __device__ double f(double, double);
        IG_MATH1(exp) IG_MATH1(log) IG_MATH1(log1p) IG_MATH1(sqrt) IG_MATH1(sin) IG_MATH1(cos) IG_MATH1(tanh) IG_MATH1(erf)
        IG_MATH1(floor) IG_MATH1(ceil) IG_MATH1(fabs) IG_MATH1(rsqrt)
        IG_MATH2(pow) IG_MATH2(fmax) IG_MATH2(fmin) IG_MATH2(fmod) IG_MATH2(copysign) IG_MATH2(atan2)
        __device__ bool isnan(float); __device__ bool isnan(double); __device__ bool isfinite(float); __device__ bool isfinite(double);
        __device__ bool isinf(float); __device__ bool isinf(double);
        __device__ int min(int, int); __device__ int max(int, int); __device__ long long min(long long, long long); __device__ long long max(long long, long long);
        __device__ unsigned int min(unsigned int, unsigned int); __device__ unsigned int max(unsigned int, unsigned int);
        __device__ int abs(int); __device__ long long abs(long long);
        __device__ void __syncthreads(); __device__ unsigned int __umulhi(unsigned int, unsigned int); __device__ int atomicMin(int*, int);
        __device__ unsigned int __float_as_uint(float); __device__ float __uint_as_float(unsigned int); __device__ float __int_as_float(int);

        """;

    [ClangTheory]
    [InlineData("sm_70")]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void Every_template_renders_to_cuda_that_compiles_to_ptx(string arch)
    {
        var clang = Clang() ?? throw new InvalidOperationException("clang-16 is required in CI (apt-get install clang-16)");
        // One translation unit: the prelude once, then each program in its own namespace (kernels lose extern "C"
        // there, so equal kernel names do not collide) with its #defines undone after it.
        var tu = new StringBuilder(NvrtcStandIn).Append(Dialect.CudaPrelude).Append("#undef __kernel\n#define __kernel __global__\n");
        var names = new List<string>();
        foreach (var (name, source) in KernelCatalog.Programs())
        {
            var body = Dialect.ToCuda(source).Source[Dialect.CudaPrelude.Length..];
            names.Add(name);
            tu.Append($"// {name}\nnamespace k{names.Count} {{\n").Append(body).Append("\n}\n");
            foreach (Match m in Regex.Matches(body, @"^\s*#define\s+(\w+)", RegexOptions.Multiline)) tu.Append($"#undef {m.Groups[1].Value}\n");
        }
        var dir = Directory.CreateTempSubdirectory("ignis-cuda").FullName;
        try
        {
            string cu = Path.Combine(dir, "kernels.cu"), ptx = Path.Combine(dir, "kernels.ptx");
            File.WriteAllText(cu, tu.ToString());
            var psi = new ProcessStartInfo(clang, ["-x", "cuda", $"--cuda-gpu-arch={arch}", "-nocudainc", "-nocudalib", "--cuda-device-only", "-S",
                "-std=c++17", "-Wno-unknown-cuda-version", "-o", ptx, cu]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            string errors = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"clang failed for {arch}:\n{Annotate(errors, tu.ToString())}");
            string text = File.ReadAllText(ptx);
            Assert.Contains($".target {arch}", text);
            Assert.True(Regex.Matches(text, @"\.entry\s").Count >= names.Count, "fewer kernel entries than programs");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The first errors with the program each one is in, so a failing template is named.</summary>
    static string Annotate(string errors, string tu)
    {
        var lines = tu.Split('\n');
        var sb = new StringBuilder();
        foreach (Match m in Regex.Matches(errors, @"kernels\.cu:(\d+):\d+: error: (.*)").Take(15))
        {
            int at = int.Parse(m.Groups[1].Value) - 1;
            string program = "?";
            for (int i = Math.Min(at, lines.Length - 1); i >= 0; i--)
                if (lines[i].StartsWith("// ", StringComparison.Ordinal)) { program = lines[i][3..]; break; }
            sb.Append($"[{program}] line {at + 1}: {m.Groups[2].Value}\n    {(at < lines.Length ? lines[at].Trim() : "")}\n");
        }
        return sb.Length > 0 ? sb.ToString() : errors[..Math.Min(4000, errors.Length)];
    }
}

/// <summary>A theory that needs clang-16: skipped (with the reason) where it is missing and not required (CI requires it).</summary>
public sealed class ClangTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when clang-16 is not on PATH outside CI.</summary>
    public ClangTheoryAttribute()
    {
        if (KernelTemplateTests.Clang() is null && !DeviceUnderTest.Required)
            Skip = "clang-16 is not installed (apt-get install clang-16); CI compiles the CUDA rendering of every template";
    }
}
