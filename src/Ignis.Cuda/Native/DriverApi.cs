using System.Runtime.InteropServices;

namespace Ignis.Cuda.Native;

/// <summary>The few driver-API calls discovery makes: cuInit, cuDriverGetVersion, cuDeviceGetCount, cuGetErrorName.</summary>
internal static unsafe class DriverApi
{
    public static DriverInfo Query(nint driver, INativeHost host)
    {
        if (!host.TryGetExport(driver, "cuInit", out nint init) || !host.TryGetExport(driver, "cuDriverGetVersion", out nint version)
            || !host.TryGetExport(driver, "cuDeviceGetCount", out nint count))
            return new(0, 0, "the driver library lacks cuInit/cuDriverGetVersion/cuDeviceGetCount");
        int v = 0, n = 0;
        int rc = ((delegate* unmanaged<int*, int>)version)(&v); // allowed before cuInit
        if (rc != 0) return new(0, 0, $"cuDriverGetVersion failed: {ErrorName(driver, host, rc)}");
        rc = ((delegate* unmanaged<uint, int>)init)(0);
        if (rc != 0) return new(v, 0, $"cuInit failed: {ErrorName(driver, host, rc)}");
        rc = ((delegate* unmanaged<int*, int>)count)(&n);
        if (rc != 0) return new(v, 0, $"cuDeviceGetCount failed: {ErrorName(driver, host, rc)}");
        return new(v, n, null);
    }

    static string ErrorName(nint driver, INativeHost host, int code)
    {
        if (host.TryGetExport(driver, "cuGetErrorName", out nint f))
        {
            byte* name = null;
            if (((delegate* unmanaged<int, byte**, int>)f)(code, &name) == 0 && name != null)
                return $"{Marshal.PtrToStringUTF8((nint)name)} ({code})";
        }
        return $"CUresult {code}";
    }
}
