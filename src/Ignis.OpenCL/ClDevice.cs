using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ignis.Backends;
using Ignis.Gpu;
using Ignis.OpenCL.Native;
using static Ignis.OpenCL.Native.ClApi;

namespace Ignis.OpenCL;

/// <summary>
/// One OpenCL device with its own context and in-order command queue, its memory pool and its compiled programs.
/// Kernels are built from source once per device and cached by source text; launches serialise on the device
/// (OpenCL kernel objects hold their arguments, so setting arguments and enqueueing must not interleave).
/// </summary>
internal sealed unsafe class ClDevice : GpuDevice
{
    readonly ConcurrentDictionary<string, Lazy<nint>> programs = new();
    readonly ConcurrentDictionary<(nint Program, string Name), nint> kernels = new();
    readonly object launchGate = new();

    public ClDevice(int index, nint platform, nint device)
    {
        Index = index;
        Platform = platform;
        Handle = device;
        Name = DeviceString(device, CL_DEVICE_NAME);
        Vendor = DeviceString(device, CL_DEVICE_VENDOR);
        DriverVersion = DeviceString(device, CL_DRIVER_VERSION);
        Version = DeviceString(device, CL_DEVICE_VERSION);
        Extensions = DeviceString(device, CL_DEVICE_EXTENSIONS);
        PlatformName = PlatformString(platform, CL_PLATFORM_NAME);
        ComputeUnits = (int)DeviceValue<uint>(device, CL_DEVICE_MAX_COMPUTE_UNITS);
        GlobalMemory = (long)DeviceValue<ulong>(device, CL_DEVICE_GLOBAL_MEM_SIZE);
        MaxAlloc = (long)DeviceValue<ulong>(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
        MaxWorkGroup = (long)DeviceValue<nuint>(device, CL_DEVICE_MAX_WORK_GROUP_SIZE);
        LocalMemory = (long)DeviceValue<ulong>(device, CL_DEVICE_LOCAL_MEM_SIZE);
        IsCpu = (DeviceValue<ulong>(device, CL_DEVICE_TYPE) & 2) != 0;
        HasFp64 = Extensions.Contains("cl_khr_fp64", StringComparison.Ordinal) || DeviceValue<ulong>(device, CL_DEVICE_DOUBLE_FP_CONFIG) != 0;
        int err;
        nint dev = device;
        Context = CreateContext(null, 1, &dev, 0, 0, &err);
        Check(err, "clCreateContext");
        Queue = CreateCommandQueue(Context, device, 0, &err);
        Check(err, "clCreateCommandQueue");
        Allocator = new ClAllocator(this);
        UsePinnedStaging = !IsCpu;
    }

    public override int Index { get; }
    public nint Platform { get; }
    public nint Handle { get; }
    public nint Context { get; }
    public nint Queue { get; }
    public override string Name { get; }
    public string Vendor { get; }
    public string DriverVersion { get; }
    public string Version { get; }
    public string Extensions { get; }
    public string PlatformName { get; }
    public override int ComputeUnits { get; }
    public override long GlobalMemory { get; }
    public long MaxAlloc { get; }
    public long MaxWorkGroup { get; }
    public long LocalMemory { get; }
    public override bool HasFp64 { get; }

    public override bool IsCpu { get; }
    public ClAllocator Allocator { get; }

    /// <inheritdoc/>
    public override GpuBuffer Allocate(long bytes) => Allocator.Allocate(0, bytes, out _, out _);

    /// <inheritdoc/>
    public override void Free(GpuBuffer block, bool finalizing)
    {
        if (finalizing) Allocator.FreeFromFinalizer(block, 0, block.Bytes);
        else Allocator.Free(block, 0, block.Bytes);
    }

    /// <inheritdoc/>
    public override MemoryStats MemoryStats => Allocator.Stats;

    /// <inheritdoc/>
    public override void ResetPeakMemory() => Allocator.ResetPeak();

    /// <inheritdoc/>
    public override void EmptyCache() => Allocator.EmptyCache();
    public override Device Device => new(DeviceType.OpenCL, Index);

    /// <summary>Number of programs built on this device (tests check the cache works).</summary>
    public int ProgramCount => programs.Count;

    /// <summary>The program built from <paramref name="source"/> (built once; template checks build whole programs).</summary>
    internal nint Program(string source) => programs.GetOrAdd(source, s => new Lazy<nint>(() => Build(s))).Value;

    /// <summary>The kernel <paramref name="name"/> of the program built from <paramref name="source"/> (built once).</summary>
    public override nint Kernel(string source, string name)
    {
        nint program = Program(source);
        return kernels.GetOrAdd((program, name), k =>
        {
            int err;
            var bytes = Encoding.ASCII.GetBytes(k.Name + "\0");
            nint kernel;
            fixed (byte* p = bytes) kernel = CreateKernel(k.Program, p, &err);
            Check(err, $"clCreateKernel({k.Name})");
            return kernel;
        });
    }

    const string BuildOptions = "-cl-std=CL1.2";

    /// <summary>The on-disk cache of OpenCL program binaries.</summary>
    internal static readonly ProgramCache DiskCache = new("opencl", "IGNIS_OPENCL_CACHE", "IGNISCL1", ".clbin");

    /// <summary>The disk-cache key of a program built from <paramref name="source"/> on this device.</summary>
    internal string CacheKey(string source) => ProgramCache.Key(PlatformName, Vendor, Name, DriverVersion, Version, BuildOptions, source);

    /// <summary>Programs loaded from the on-disk cache, and cache files rejected (damaged, or refused by the driver).</summary>
    public int DiskCacheHits, DiskCacheRejects;

    /// <summary>Drops a program from the in-memory cache so the next use builds it again (tests of the disk cache).</summary>
    internal void Forget(string source) => programs.TryRemove(source, out _);

    nint Build(string source)
    {
        string? folder = DiskCache.Folder;
        string key = folder is null ? "" : CacheKey(source);
        if (folder is not null)
        {
            var binary = DiskCache.TryRead(folder, key, out bool rejected);
            if (rejected) Interlocked.Increment(ref DiskCacheRejects);
            if (binary is not null)
            {
                if (FromBinary(binary) is { } cached) { Interlocked.Increment(ref DiskCacheHits); return cached; }
                Interlocked.Increment(ref DiskCacheRejects);
                DiskCache.Delete(folder, key);
            }
        }
        var bytes = Encoding.UTF8.GetBytes(source);
        int err;
        nint program;
        fixed (byte* p = bytes)
        {
            byte* ptr = p;
            nuint len = (nuint)bytes.Length;
            program = CreateProgramWithSource(Context, 1, &ptr, &len, &err);
        }
        Check(err, "clCreateProgramWithSource");
        int code = BuildFor(program);
        if (code != CL_SUCCESS)
        {
            string log = BuildLog(program);
            ReleaseProgram(program);
            throw new OpenCLException("clBuildProgram", code, $"build log:\n{log}\nsource:\n{source}");
        }
        if (folder is not null && BinaryOf(program) is { } built) DiskCache.Write(folder, key, built);
        return program;
    }

    int BuildFor(nint program)
    {
        var options = Encoding.ASCII.GetBytes(BuildOptions + "\0");
        nint dev = Handle;
        fixed (byte* o = options) return BuildProgram(program, 1, &dev, o, 0, 0);
    }

    /// <summary>A program from a cached binary, or null when the driver refuses it (another driver build, say).</summary>
    nint? FromBinary(byte[] binary)
    {
        int err, status;
        nint program;
        nint dev = Handle;
        fixed (byte* p = binary)
        {
            byte* ptr = p;
            nuint len = (nuint)binary.Length;
            program = CreateProgramWithBinary(Context, 1, &dev, &len, &ptr, &status, &err);
        }
        if (err != CL_SUCCESS || status != CL_SUCCESS) { if (program != 0) ReleaseProgram(program); return null; }
        if (BuildFor(program) != CL_SUCCESS) { ReleaseProgram(program); return null; }
        return program;
    }

    /// <summary>The device binary of a built program (null when the driver offers none).</summary>
    byte[]? BinaryOf(nint program)
    {
        nuint size;
        if (GetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, (nuint)sizeof(nuint), &size, null) != CL_SUCCESS || size == 0 || size > (nuint)ProgramCache.MaxFileBytes)
            return null;
        var buf = new byte[(int)size];
        fixed (byte* p = buf)
        {
            byte* ptr = p;
            if (GetProgramInfo(program, CL_PROGRAM_BINARIES, (nuint)sizeof(byte*), &ptr, null) != CL_SUCCESS) return null;
        }
        return buf;
    }

    string BuildLog(nint program)
    {
        nuint size;
        if (GetProgramBuildInfo(program, Handle, CL_PROGRAM_BUILD_LOG, 0, null, &size) != CL_SUCCESS) return "(no log)";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) GetProgramBuildInfo(program, Handle, CL_PROGRAM_BUILD_LOG, size, p, null);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    /// <summary>Sets the arguments and enqueues one launch, atomically with respect to other launches on this device.</summary>
    public override void Launch(nint kernel, KernelArgs args, ReadOnlySpan<long> global, ReadOnlySpan<long> local = default)
    {
        int dims = global.Length;
        nuint* g = stackalloc nuint[3];
        nuint* l = stackalloc nuint[3];
        for (int i = 0; i < dims; i++)
        {
            long lo = local.IsEmpty ? 1 : local[i];
            g[i] = (nuint)((global[i] + lo - 1) / lo * lo);
            l[i] = (nuint)lo;
            if (global[i] == 0) return;
        }
        lock (launchGate)
        {
            for (int i = 0; i < args.Count; i++)
            {
                var (size, slot) = args.Slot(i);
                fixed (long* v = &args.Value(slot))
                    Check(SetKernelArg(kernel, (uint)i, (nuint)size, v), $"clSetKernelArg({i})");
            }
            Check(EnqueueNDRangeKernel(Queue, kernel, (uint)dims, null, g, local.IsEmpty ? null : l, 0, null, null), "clEnqueueNDRangeKernel");
        }
    }

    /// <inheritdoc/>
    public override void Finish() => Check(ClApi.Finish(Queue), "clFinish");

    /// <summary>Bytes of the pinned staging buffer, and the smallest transfer worth staging.</summary>
    const int StagingBytes = 16 << 20, StagingMin = 64 << 10;

    /// <summary>
    /// Whether transfers of at least 64 KiB go through a pinned (page-locked, <c>CL_MEM_ALLOC_HOST_PTR</c>) staging buffer
    /// that stays mapped: GPU drivers copy from pinned memory by DMA at full bus speed, while pageable managed arrays are
    /// first copied by the driver into its own pinned bounce buffer. On by default for GPUs; CPU devices share the
    /// host's memory and gain nothing.
    /// </summary>
    internal bool UsePinnedStaging;

    /// <summary>Transfers that went through the staging buffer (tests).</summary>
    internal long StagedTransfers;

    nint stagingMem;
    byte* stagingPtr;

    byte* Staging()
    {
        if (stagingPtr != null) return stagingPtr;
        int err;
        nint mem = CreateBuffer(Context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, StagingBytes, null, &err);
        Check(err, "clCreateBuffer(pinned staging)");
        void* ptr = EnqueueMapBuffer(Queue, mem, 1, CL_MAP_READ | CL_MAP_WRITE, 0, StagingBytes, 0, null, null, &err);
        if (err != CL_SUCCESS) { ReleaseMemObject(mem); Check(err, "clEnqueueMapBuffer(pinned staging)"); }
        stagingMem = mem;
        return stagingPtr = (byte*)ptr;
    }

    /// <summary>Blocking write of host bytes into a buffer.</summary>
    public override void Write(nint mem, long byteOffset, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) Transfer(write: true, mem, byteOffset, p, data.Length);
    }

    /// <summary>Blocking read of a buffer's bytes into host memory (waits for the kernels before it on the queue).</summary>
    public override void Read(nint mem, long byteOffset, Span<byte> data)
    {
        fixed (byte* p = data) Transfer(write: false, mem, byteOffset, p, data.Length);
    }

    /// <summary>One blocking transfer, directly or in chunks through the pinned staging buffer.</summary>
    void Transfer(bool write, nint mem, long byteOffset, byte* host, int length)
    {
        if (length == 0) return;
        lock (launchGate)
        {
            bool staged = UsePinnedStaging && length >= StagingMin;
            byte* st = staged ? Staging() : null;
            if (staged) StagedTransfers++;
            int chunk = staged ? StagingBytes : length;
            for (int done = 0; done < length; done += chunk)
            {
                int n = Math.Min(chunk, length - done);
                byte* at = staged ? st : host + done;
                if (write && staged) Buffer.MemoryCopy(host + done, st, n, n);
                if (write) Check(EnqueueWriteBuffer(Queue, mem, 1, (nuint)(byteOffset + done), (nuint)n, at, 0, null, null), "clEnqueueWriteBuffer");
                else Check(EnqueueReadBuffer(Queue, mem, 1, (nuint)(byteOffset + done), (nuint)n, at, 0, null, null), "clEnqueueReadBuffer");
                if (!write && staged) Buffer.MemoryCopy(st, host + done, n, n);
            }
        }
    }

    /// <summary>Device-side copy between buffers of this device.</summary>
    public override void CopyBuffer(nint src, long srcOffset, nint dst, long dstOffset, long bytes)
    {
        if (bytes == 0) return;
        lock (launchGate) Check(EnqueueCopyBuffer(Queue, src, dst, (nuint)srcOffset, (nuint)dstOffset, (nuint)bytes, 0, null, null), "clEnqueueCopyBuffer");
    }
}
