using System.Runtime.InteropServices;
using System.Text;

namespace Ignis.Cuda.Native;

/// <summary>An NVRTC call failed; compilation errors carry the compiler's log and the source.</summary>
public sealed class NvrtcException : Exception
{
    internal NvrtcException(string call, int code, string? detail = null)
        : base($"{call} failed: {Name(code)} ({code}){(detail is null ? "" : ": " + detail)}") => Code = code;

    /// <summary>The <c>nvrtcResult</c>.</summary>
    public int Code { get; }

    /// <summary>nvrtc.h's names for nvrtcResult codes (so a message needs no library to be readable).</summary>
    public static string Name(int code) => code switch
    {
        0 => "NVRTC_SUCCESS",
        1 => "NVRTC_ERROR_OUT_OF_MEMORY",
        2 => "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        3 => "NVRTC_ERROR_INVALID_INPUT",
        4 => "NVRTC_ERROR_INVALID_PROGRAM",
        5 => "NVRTC_ERROR_INVALID_OPTION",
        6 => "NVRTC_ERROR_COMPILATION",
        7 => "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        8 => "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        9 => "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        10 => "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        11 => "NVRTC_ERROR_INTERNAL_ERROR",
        _ => "NVRTC_ERROR_UNKNOWN",
    };
}

/// <summary>
/// NVRTC through function pointers bound from the library discovery found (<see cref="LibrarySpec.Nvrtc"/>): compiles a
/// rendered kernel program for the device's exact architecture to a CUBIN (<c>--gpu-architecture=sm_XX</c>), so the
/// driver loads machine code and never has to JIT PTX newer than it understands.
/// </summary>
internal sealed unsafe class Nvrtc
{
    readonly delegate* unmanaged<int*, int*, int> version;
    readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> createProgram;
    readonly delegate* unmanaged<nint, int, byte**, int> compileProgram;
    readonly delegate* unmanaged<nint, nuint*, int> getLogSize;
    readonly delegate* unmanaged<nint, byte*, int> getLog;
    readonly delegate* unmanaged<nint, nuint*, int> getCubinSize;
    readonly delegate* unmanaged<nint, byte*, int> getCubin;
    readonly delegate* unmanaged<nint*, int> destroyProgram;

    Nvrtc(nint[] f)
    {
        version = (delegate* unmanaged<int*, int*, int>)f[0];
        createProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)f[1];
        compileProgram = (delegate* unmanaged<nint, int, byte**, int>)f[2];
        getLogSize = (delegate* unmanaged<nint, nuint*, int>)f[3];
        getLog = (delegate* unmanaged<nint, byte*, int>)f[4];
        getCubinSize = (delegate* unmanaged<nint, nuint*, int>)f[5];
        getCubin = (delegate* unmanaged<nint, byte*, int>)f[6];
        destroyProgram = (delegate* unmanaged<nint*, int>)f[7];
    }

    static readonly string[] Exports =
    [
        "nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetProgramLogSize", "nvrtcGetProgramLog",
        "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcDestroyProgram",
    ];

    /// <summary>Binds NVRTC's entry points from a loaded library; null and the missing names when some are absent.</summary>
    public static Nvrtc? Bind(nint library, INativeHost host, out string? missing) =>
        NativeExports.Bind(host, library, Exports, out missing) is { } f ? new Nvrtc(f) : null;

    /// <summary>NVRTC's (major, minor) version.</summary>
    public (int Major, int Minor) Version
    {
        get
        {
            int major, minor;
            Check(version(&major, &minor), "nvrtcVersion");
            return (major, minor);
        }
    }

    /// <summary>The options a program is compiled with for compute capability <paramref name="arch"/> (e.g. 80).</summary>
    public static string[] Options(int arch, bool noFma) =>
        [$"--gpu-architecture=sm_{arch}", "--std=c++17", "-default-device", .. noFma ? new[] { "--fmad=false" } : []];

    /// <summary>Compiles <paramref name="source"/> to a CUBIN for <paramref name="arch"/>; a failure carries the log.</summary>
    public byte[] Compile(string source, string name, int arch, bool noFma)
    {
        nint program;
        var src = Utf8Z(source);
        var nm = Utf8Z(name);
        fixed (byte* s = src, n = nm) Check(createProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram");
        try
        {
            var options = Options(arch, noFma).Select(Utf8Z).ToArray();
            var handles = options.Select(o => GCHandle.Alloc(o, GCHandleType.Pinned)).ToArray();
            try
            {
                var ptrs = stackalloc byte*[options.Length];
                for (int i = 0; i < options.Length; i++) ptrs[i] = (byte*)handles[i].AddrOfPinnedObject();
                int rc = compileProgram(program, options.Length, ptrs);
                if (rc != 0) throw new NvrtcException("nvrtcCompileProgram", rc, $"{string.Join(' ', Options(arch, noFma))}\n{Log(program)}\nsource:\n{source}");
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            nuint size;
            Check(getCubinSize(program, &size), "nvrtcGetCUBINSize");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin) Check(getCubin(program, c), "nvrtcGetCUBIN");
            return cubin;
        }
        finally
        {
            destroyProgram(&program);
        }
    }

    string Log(nint program)
    {
        nuint size;
        if (getLogSize(program, &size) != 0 || size == 0) return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* l = log) if (getLog(program, l) != 0) return "(no log)";
        return Encoding.UTF8.GetString(log).TrimEnd('\0');
    }

    static byte[] Utf8Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    static void Check(int code, string call)
    {
        if (code != 0) throw new NvrtcException(call, code);
    }
}
