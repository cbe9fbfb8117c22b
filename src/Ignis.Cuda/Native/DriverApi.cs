using System.Runtime.InteropServices;

namespace Ignis.Cuda.Native;

/// <summary>
/// The few driver-API calls discovery makes: cuInit, cuDriverGetVersion, cuDeviceGetCount, cuGetErrorName, and per
/// device cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem and cuDeviceGetAttribute (compute capability, multiprocessors).
/// </summary>
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
        return new(v, n, null, Devices(driver, host, n));
    }

    // cuda.h's CUdevice_attribute values.
    const int MultiprocessorCount = 16, ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76;

    /// <summary>
    /// Each device's name, memory and capability; a device whose queries fail is left out (the count still says it is
    /// there), and a driver without the entry points gives none.
    /// </summary>
    static CudaDeviceInfo[] Devices(nint driver, INativeHost host, int count)
    {
        if (!host.TryGetExport(driver, "cuDeviceGet", out nint get) || !host.TryGetExport(driver, "cuDeviceGetName", out nint getName)
            || !host.TryGetExport(driver, "cuDeviceTotalMem_v2", out nint totalMem) || !host.TryGetExport(driver, "cuDeviceGetAttribute", out nint attribute))
            return [];
        var devices = new List<CudaDeviceInfo>();
        byte* name = stackalloc byte[256];
        for (int i = 0; i < count; i++)
        {
            int device, major, minor, sms;
            nuint bytes;
            if (((delegate* unmanaged<int*, int, int>)get)(&device, i) != 0
                || ((delegate* unmanaged<byte*, int, int, int>)getName)(name, 256, device) != 0
                || ((delegate* unmanaged<nuint*, int, int>)totalMem)(&bytes, device) != 0
                || ((delegate* unmanaged<int*, int, int, int>)attribute)(&major, ComputeCapabilityMajor, device) != 0
                || ((delegate* unmanaged<int*, int, int, int>)attribute)(&minor, ComputeCapabilityMinor, device) != 0
                || ((delegate* unmanaged<int*, int, int, int>)attribute)(&sms, MultiprocessorCount, device) != 0)
                continue;
            name[255] = 0;
            devices.Add(new CudaDeviceInfo(i, Marshal.PtrToStringUTF8((nint)name) ?? "", (long)bytes, major, minor, sms));
        }
        return devices.ToArray();
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
