using System.Runtime.InteropServices;
using System.Text;

namespace Ignis.OpenCL.Native;

/// <summary>
/// The OpenCL C API entry points Ignis uses, bound at run time from the system's ICD loader through
/// <see cref="NativeLibrary"/> and unmanaged function pointers: no P/Invoke stubs, no marshalling, nothing generated at
/// run time, so the binding is trimming- and NativeAOT-safe and the assembly loads on machines without OpenCL.
/// (Silk.NET.OpenCL was not taken: it is a large dependency for ~25 functions, and this keeps the package free of
/// third-party code.)
/// </summary>
internal static unsafe class ClApi
{
    public const int CL_SUCCESS = 0;
    public const ulong CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;
    public const uint CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_VENDOR = 0x0903;
    public const uint CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
        CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023,
        CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F,
        CL_DEVICE_EXTENSIONS = 0x1030, CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032;
    public const uint CL_PROGRAM_BUILD_LOG = 0x1183, CL_PROGRAM_BINARY_SIZES = 0x1165, CL_PROGRAM_BINARIES = 0x1166;
    public const ulong CL_MEM_READ_WRITE = 1, CL_MEM_ALLOC_HOST_PTR = 1 << 4;
    public const ulong CL_MAP_READ = 1, CL_MAP_WRITE = 2;

    public static delegate* unmanaged<uint, nint*, uint*, int> GetPlatformIDs;
    public static delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetPlatformInfo;
    public static delegate* unmanaged<nint, ulong, uint, nint*, uint*, int> GetDeviceIDs;
    public static delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetDeviceInfo;
    public static delegate* unmanaged<nint*, uint, nint*, nint, nint, int*, nint> CreateContext;
    public static delegate* unmanaged<nint, nint, ulong, int*, nint> CreateCommandQueue;
    public static delegate* unmanaged<nint, ulong, nuint, void*, int*, nint> CreateBuffer;
    public static delegate* unmanaged<nint, int> ReleaseMemObject;
    public static delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueWriteBuffer;
    public static delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueReadBuffer;
    public static delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int> EnqueueCopyBuffer;
    public static delegate* unmanaged<nint, nint, uint, ulong, nuint, nuint, uint, nint*, nint*, int*, void*> EnqueueMapBuffer;
    public static delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint> CreateProgramWithSource;
    public static delegate* unmanaged<nint, uint, nint*, nuint*, byte**, int*, int*, nint> CreateProgramWithBinary;
    public static delegate* unmanaged<nint, uint, nint*, byte*, nint, nint, int> BuildProgram;
    public static delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> GetProgramBuildInfo;
    public static delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetProgramInfo;
    public static delegate* unmanaged<nint, byte*, int*, nint> CreateKernel;
    public static delegate* unmanaged<nint, uint, nuint, void*, int> SetKernelArg;
    public static delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int> EnqueueNDRangeKernel;
    public static delegate* unmanaged<nint, int> Finish;
    public static delegate* unmanaged<nint, int> Flush;
    public static delegate* unmanaged<nint, int> ReleaseKernel;
    public static delegate* unmanaged<nint, int> ReleaseProgram;
    public static delegate* unmanaged<nint, int> ReleaseCommandQueue;
    public static delegate* unmanaged<nint, int> ReleaseContext;

    /// <summary>Library names tried in order: the ICD loader on Linux, Windows and macOS (override with IGNIS_OPENCL_LIBRARY).</summary>
    internal static string[] Candidates()
    {
        if (Environment.GetEnvironmentVariable("IGNIS_OPENCL_LIBRARY") is { Length: > 0 } custom) return [custom];
        if (OperatingSystem.IsWindows()) return ["OpenCL.dll"];
        if (OperatingSystem.IsMacOS()) return ["/System/Library/Frameworks/OpenCL.framework/OpenCL"];
        return ["libOpenCL.so.1", "libOpenCL.so"];
    }

    /// <summary>Loads the ICD loader and binds every entry point; returns why not when it cannot.</summary>
    public static string? Load(out string? loadedFrom)
    {
        loadedFrom = null;
        nint lib = 0;
        foreach (string name in Candidates())
            if (NativeLibrary.TryLoad(name, out lib)) { loadedFrom = name; break; }
        if (lib == 0)
            return $"no OpenCL ICD loader found (tried {string.Join(", ", Candidates())}); install one, e.g. `apt-get install ocl-icd-libopencl1` " +
                "plus a driver (a GPU vendor's, or `pocl-opencl-icd` for the CPU)";
        var missing = new List<string>();
        nint F(string n)
        {
            if (NativeLibrary.TryGetExport(lib, n, out var p)) return p;
            missing.Add(n);
            return 0;
        }
        GetPlatformIDs = (delegate* unmanaged<uint, nint*, uint*, int>)F("clGetPlatformIDs");
        GetPlatformInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetPlatformInfo");
        GetDeviceIDs = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)F("clGetDeviceIDs");
        GetDeviceInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetDeviceInfo");
        CreateContext = (delegate* unmanaged<nint*, uint, nint*, nint, nint, int*, nint>)F("clCreateContext");
        CreateCommandQueue = (delegate* unmanaged<nint, nint, ulong, int*, nint>)F("clCreateCommandQueue");
        CreateBuffer = (delegate* unmanaged<nint, ulong, nuint, void*, int*, nint>)F("clCreateBuffer");
        ReleaseMemObject = (delegate* unmanaged<nint, int>)F("clReleaseMemObject");
        EnqueueWriteBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)F("clEnqueueWriteBuffer");
        EnqueueReadBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)F("clEnqueueReadBuffer");
        EnqueueCopyBuffer = (delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int>)F("clEnqueueCopyBuffer");
        EnqueueMapBuffer = (delegate* unmanaged<nint, nint, uint, ulong, nuint, nuint, uint, nint*, nint*, int*, void*>)F("clEnqueueMapBuffer");
        CreateProgramWithSource = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)F("clCreateProgramWithSource");
        CreateProgramWithBinary = (delegate* unmanaged<nint, uint, nint*, nuint*, byte**, int*, int*, nint>)F("clCreateProgramWithBinary");
        BuildProgram = (delegate* unmanaged<nint, uint, nint*, byte*, nint, nint, int>)F("clBuildProgram");
        GetProgramBuildInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)F("clGetProgramBuildInfo");
        GetProgramInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetProgramInfo");
        CreateKernel = (delegate* unmanaged<nint, byte*, int*, nint>)F("clCreateKernel");
        SetKernelArg = (delegate* unmanaged<nint, uint, nuint, void*, int>)F("clSetKernelArg");
        EnqueueNDRangeKernel = (delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int>)F("clEnqueueNDRangeKernel");
        Finish = (delegate* unmanaged<nint, int>)F("clFinish");
        Flush = (delegate* unmanaged<nint, int>)F("clFlush");
        ReleaseKernel = (delegate* unmanaged<nint, int>)F("clReleaseKernel");
        ReleaseProgram = (delegate* unmanaged<nint, int>)F("clReleaseProgram");
        ReleaseCommandQueue = (delegate* unmanaged<nint, int>)F("clReleaseCommandQueue");
        ReleaseContext = (delegate* unmanaged<nint, int>)F("clReleaseContext");
        return missing.Count == 0 ? null
            : $"the OpenCL library {loadedFrom} lacks {string.Join(", ", missing)} (OpenCL 1.2 is required)";
    }

    /// <summary>Throws <see cref="OpenCLException"/> for a failed call.</summary>
    public static void Check(int code, string call)
    {
        if (code != CL_SUCCESS) throw new OpenCLException(call, code);
    }

    public static string PlatformString(nint platform, uint param) =>
        InfoString(platform, param, GetPlatformInfo, "clGetPlatformInfo");

    public static string DeviceString(nint device, uint param) =>
        InfoString(device, param, GetDeviceInfo, "clGetDeviceInfo");

    /// <summary>A string property through a clGet*Info function: ask the size, then read.</summary>
    static string InfoString(nint handle, uint param, delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> info, string call)
    {
        nuint size;
        Check(info(handle, param, 0, null, &size), call);
        var buf = new byte[(int)size];
        fixed (byte* p = buf) Check(info(handle, param, size, p, null), call);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }

    public static T DeviceValue<T>(nint device, uint param) where T : unmanaged
    {
        T value = default;
        Check(GetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }
}
