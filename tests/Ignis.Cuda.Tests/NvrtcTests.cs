using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ignis.Cuda.Native;
using Ignis.Kernels;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>
/// The NVRTC binding against a fake NVRTC (its C API written as unmanaged-callable methods): options for the device's
/// exact architecture, contraction off when a template asks, the CUBIN returned, the log and source on a failure, and
/// every program destroyed.
/// </summary>
[Collection("fake driver")]
public unsafe class NvrtcTests
{
    static readonly Dictionary<nint, string> Programs = [];
    static readonly List<string[]> CompiledWith = [];
    static int destroyed;
    const string FailMarker = "#error";

    [UnmanagedCallersOnly] static int Version(int* major, int* minor) { *major = 12; *minor = 8; return 0; }

    [UnmanagedCallersOnly]
    static int Create(nint* program, byte* src, byte* name, int headers, byte** h, byte** n)
    {
        lock (Programs)
        {
            nint id = Programs.Count + 100 + destroyed;
            Programs[id] = Marshal.PtrToStringUTF8((nint)src)!;
            *program = id;
        }
        return 0;
    }

    [UnmanagedCallersOnly]
    static int Compile(nint program, int count, byte** options)
    {
        var opts = Enumerable.Range(0, count).Select(i => Marshal.PtrToStringUTF8((nint)options[i])!).ToArray();
        lock (Programs) CompiledWith.Add(opts);
        return Programs[program].Contains(FailMarker) ? 6 : 0;
    }

    static byte[] LogOf(nint program) => Encoding.UTF8.GetBytes(Programs[program].Contains(FailMarker) ? "kernel.cu(2): error: #error directive\0" : "\0");
    static byte[] CubinOf(nint program) => Encoding.UTF8.GetBytes("CUBIN for " + Programs[program].Length);

    [UnmanagedCallersOnly] static int LogSize(nint program, nuint* size) { *size = (nuint)LogOf(program).Length; return 0; }
    [UnmanagedCallersOnly] static int Log(nint program, byte* log) { LogOf(program).CopyTo(new Span<byte>(log, LogOf(program).Length)); return 0; }
    [UnmanagedCallersOnly] static int CubinSize(nint program, nuint* size) { *size = (nuint)CubinOf(program).Length; return 0; }
    [UnmanagedCallersOnly] static int Cubin(nint program, byte* c) { CubinOf(program).CopyTo(new Span<byte>(c, CubinOf(program).Length)); return 0; }
    [UnmanagedCallersOnly] static int Destroy(nint* program) { lock (Programs) { Programs.Remove(*program); destroyed++; } *program = 0; return 0; }

    /// <summary>Puts the fake NVRTC on <paramref name="host"/> as the library <paramref name="path"/>.</summary>
    internal static void Install(FakeHost host, string path)
    {
        string[] names = ["nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetProgramLogSize", "nvrtcGetProgramLog", "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcDestroyProgram"];
        host.Libraries[path] = [.. host.Libraries.GetValueOrDefault(path, []), .. names];
        nint[] fns =
        [
            (nint)(delegate* unmanaged<int*, int*, int>)&Version, (nint)(delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)&Create,
            (nint)(delegate* unmanaged<nint, int, byte**, int>)&Compile, (nint)(delegate* unmanaged<nint, nuint*, int>)&LogSize,
            (nint)(delegate* unmanaged<nint, byte*, int>)&Log, (nint)(delegate* unmanaged<nint, nuint*, int>)&CubinSize,
            (nint)(delegate* unmanaged<nint, byte*, int>)&Cubin, (nint)(delegate* unmanaged<nint*, int>)&Destroy,
        ];
        for (int i = 0; i < names.Length; i++) host.Addresses[names[i]] = fns[i];
    }

    static Nvrtc FakeNvrtc()
    {
        var host = new FakeHost().With("libnvrtc.so.12", LibrarySpec.Nvrtc, file: false);
        Install(host, "libnvrtc.so.12");
        Assert.True(host.TryLoad("libnvrtc.so.12", out nint lib, out _));
        return Nvrtc.Bind(lib, host, out var missing) ?? throw new InvalidOperationException(missing);
    }

    [Fact]
    public void A_rendered_template_compiles_for_the_exact_architecture_and_every_program_is_destroyed()
    {
        var nvrtc = FakeNvrtc();
        Assert.Equal((12, 8), nvrtc.Version);
        var (sgd, noFma) = Dialect.ToCuda(KernelCatalog.Programs().First(p => p.Name == "sgd torch.float32").Source);
        Assert.True(noFma);
        int before = destroyed;
        var cubin = nvrtc.Compile(sgd, "sgd.cu", 90, noFma);
        Assert.Equal($"CUBIN for {sgd.Length}", Encoding.UTF8.GetString(cubin));
        Assert.Equal(["--gpu-architecture=sm_90", "--std=c++17", "-default-device", "--fmad=false"], CompiledWith[^1]);
        var (ew, plain) = Dialect.ToCuda(KernelCatalog.Programs().First(p => p.Name == "unary Exp torch.float32").Source);
        Assert.False(plain);
        nvrtc.Compile(ew, "ew.cu", 80, plain);
        Assert.Equal(["--gpu-architecture=sm_80", "--std=c++17", "-default-device"], CompiledWith[^1]);
        Assert.Equal(before + 2, destroyed);
    }

    [Fact]
    public void A_compile_error_carries_the_log_and_the_source()
    {
        var nvrtc = FakeNvrtc();
        int before = destroyed;
        var e = Assert.Throws<NvrtcException>(() => nvrtc.Compile("__global__ void k() {}\n#error broken\n", "k.cu", 70, false));
        Assert.Equal(6, e.Code);
        Assert.StartsWith("nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION (6): --gpu-architecture=sm_70", e.Message);
        Assert.Contains("kernel.cu(2): error: #error directive", e.Message);
        Assert.Contains("#error broken", e.Message);
        Assert.Equal(before + 1, destroyed);
    }

    [Fact]
    public void A_library_without_the_cubin_entry_points_is_refused_by_name()
    {
        var host = new FakeHost();
        host.Libraries["libnvrtc.so.11"] = ["nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram"];
        Assert.True(host.TryLoad("libnvrtc.so.11", out nint lib, out _));
        Assert.Null(Nvrtc.Bind(lib, host, out var missing));
        Assert.Equal("nvrtcGetProgramLogSize, nvrtcGetProgramLog, nvrtcGetCUBINSize, nvrtcGetCUBIN, nvrtcDestroyProgram", missing);
    }
}
