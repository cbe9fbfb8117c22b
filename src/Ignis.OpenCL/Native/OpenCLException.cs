namespace Ignis.OpenCL;

/// <summary>
/// A failed OpenCL call: the function, the error code, its name from <c>CL/cl.h</c> and what it usually means
/// (for example <c>clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES (-5)</c>). A kernel build failure carries the
/// driver's build log.
/// </summary>
public sealed class OpenCLException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="code"/>.</summary>
    public OpenCLException(string call, int code, string? detail = null)
        : base($"{call} failed: {Name(code)} ({code}): {Meaning(code)}" + (detail is null ? "" : "\n" + detail))
    {
        Call = call;
        Code = code;
    }

    /// <summary>The OpenCL function that failed.</summary>
    public string Call { get; }

    /// <summary>The OpenCL error code (negative).</summary>
    public int Code { get; }

    /// <summary>The symbolic name of an OpenCL error code, e.g. <c>CL_OUT_OF_RESOURCES</c>.</summary>
    public static string Name(int code) => code switch
    {
        0 => "CL_SUCCESS",
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -7 => "CL_PROFILING_INFO_NOT_AVAILABLE",
        -8 => "CL_MEM_COPY_OVERLAP",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -12 => "CL_MAP_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -31 => "CL_INVALID_DEVICE_TYPE",
        -32 => "CL_INVALID_PLATFORM",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -42 => "CL_INVALID_BINARY",
        -43 => "CL_INVALID_BUILD_OPTIONS",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -56 => "CL_INVALID_GLOBAL_OFFSET",
        -58 => "CL_INVALID_EVENT",
        -59 => "CL_INVALID_OPERATION",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "unknown OpenCL error",
    };

    /// <summary>What an error code usually means in practice.</summary>
    public static string Meaning(int code) => code switch
    {
        -1 => "no OpenCL device of the requested type",
        -2 => "the device is busy or was lost",
        -3 or -11 => "the driver could not compile the kernel",
        -4 => "the device could not allocate the buffer (device memory full)",
        -5 => "the device ran out of resources (memory, registers) or a kernel faulted",
        -6 => "the host ran out of memory inside the OpenCL runtime",
        -30 => "an argument was out of range",
        -38 => "a buffer handle was invalid (used after release?)",
        -51 or -52 => "a kernel argument was missing or of the wrong size",
        -54 or -55 => "the work-group size is not supported by the device",
        -61 => "the buffer size is zero or above the device's maximum allocation",
        -1001 => "the ICD loader found no OpenCL platform (no vendor driver is installed or registered in /etc/OpenCL/vendors)",
        _ => "see the OpenCL specification",
    };
}
