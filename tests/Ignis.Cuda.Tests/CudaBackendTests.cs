using System.Text;
using Ignis.Backends;
using Ignis.Cuda.Native;
using Ignis.Gpu;
using Xunit;

namespace Ignis.Cuda.Tests;

/// <summary>
/// The CUDA backend — the device-neutral GPU backend on a <see cref="CudaDevice"/> — against the fake driver and the
/// fake NVRTC: discovery to devices, transfers (direct and through pinned staging), kernels rendered, compiled once and
/// cached on disk, launch geometry and parameters (the fake plays the fill kernel, so values must arrive intact), the
/// caching allocator, and streams and events. The kernels themselves run only on a real GPU (tools/gpucheck).
/// </summary>
[Collection("fake driver")]
public sealed unsafe class CudaBackendTests : IDisposable
{
    const string Site = "/venv/lib/python3.11/site-packages/nvidia";
    static readonly CudaDeviceInfo Gpu = new(0, "NVIDIA Fake", 1L << 30, 9, 0, 132);
    static readonly Device Cuda0 = new(DeviceType.Cuda, 0);
    readonly string cacheFolder = Path.Combine(Path.GetTempPath(), "ignis-cuda-cache-" + Guid.NewGuid().ToString("N"));

    public CudaBackendTests() => CudaDevice.DiskCache.DirectoryOverride = cacheFolder;

    public void Dispose()
    {
        CudaDevice.DiskCache.DirectoryOverride = null;
        FakeDriver.OnLaunch = null;
        if (Directory.Exists(cacheFolder)) Directory.Delete(cacheFolder, recursive: true);
    }

    static GpuBackend Backend(bool withBlas = false, bool withDnn = false, bool dnnBatchNorm = true, int gpus = 1)
    {
        var host = new FakeHost()
            .With("libcuda.so.1", LibrarySpec.Driver, file: false)
            .With($"{Site}/cuda_nvrtc/lib/libnvrtc.so.13", LibrarySpec.Nvrtc);
        host.Environment["VIRTUAL_ENV"] = "/venv";
        FakeDriver.Install(host);
        NvrtcTests.Install(host, $"{Site}/cuda_nvrtc/lib/libnvrtc.so.13");
        if (withBlas)
        {
            host.With($"{Site}/cublas/lib/libcublas.so.13", LibrarySpec.Cublas);
            FakeBlas.Install(host, $"{Site}/cublas/lib/libcublas.so.13");
        }
        if (withDnn)
        {
            host.With($"{Site}/cudnn/lib/libcudnn.so.9", LibrarySpec.Cudnn);
            FakeDnn.Install(host, $"{Site}/cudnn/lib/libcudnn.so.9", dnnBatchNorm);
        }
        var probe = CudaProbe.Run(host, (_, _) => new DriverInfo(13000, 1, null, [.. Enumerable.Range(0, gpus).Select(i => Gpu with { Index = i })]));
        Assert.Null(probe.Reason());
        return new GpuBackend(DeviceType.Cuda, () => CudaBackend.Discover(probe, host));
    }

    static CudaDevice DeviceOf(GpuBackend b) => (CudaDevice)b.DeviceOf(Cuda0);

    /// <summary>Plays the elementwise fill (<c>ew</c> with no inputs): n, rank, shape, dst, offset, strides, p0, p1.</summary>
    static void PlayFill(string kernel, nint* p)
    {
        if (kernel != "ew") return;
        long n = *(long*)p[0];
        int rank = *(int*)p[1];
        Assert.Equal(1, rank);
        ulong dst = *(ulong*)p[3];
        long offset = *(long*)p[4], stride = *(long*)p[5];
        float value = *(float*)p[6];
        var memory = FakeDriver.At(dst);
        for (long i = 0; i < n; i++) BitConverter.TryWriteBytes(memory[(int)((offset + i * stride) * 4)..], value);
    }

    [Fact]
    public void Discovery_describes_the_gpu_and_an_invalid_ordinal_is_named()
    {
        var b = Backend();
        Assert.True(b.IsAvailable);
        Assert.Equal(1, b.DeviceCount);
        Assert.Equal(new DeviceProperties("NVIDIA Fake", 1L << 30, 132, (9, 0)), b.GetDeviceProperties(0));
        Assert.Equal(90, DeviceOf(b).Arch);
        Assert.Equal("Device 'cuda:3' is not available: 1 cuda device(s) found (invalid device ordinal).",
            Assert.Throws<DeviceUnavailableException>(() => b.DeviceOf(new Device(DeviceType.Cuda, 3))).Message);
    }

    [Fact]
    public void Host_data_round_trips_directly_and_through_pinned_staging()
    {
        var b = Backend();
        var device = DeviceOf(b);
        var small = Enumerable.Range(0, 100).Select(i => i * 0.5f).ToArray();
        var s = b.FromHost(Cuda0, small, DType.Float32);
        Assert.Equal(small, (float[])b.ToHost(TensorView.Contiguous(s, [100])));
        Assert.Equal(0, device.StagedTransfers);

        var large = Enumerable.Range(0, 100_000).Select(i => (float)Math.Sin(i)).ToArray(); // 400 KB: staged
        var l = b.FromHost(Cuda0, large, DType.Float32);
        Assert.Equal(large, (float[])b.ToHost(TensorView.Contiguous(l, [100_000])));
        Assert.Equal(2, device.StagedTransfers);
        Assert.Contains("HtoD async 400000 on 0", FakeDriver.Calls);
        Assert.Contains("DtoH async 400000 on 0", FakeDriver.Calls);
    }

    [Fact]
    public void A_fill_is_rendered_compiled_once_and_launched_with_its_parameters()
    {
        var b = Backend();
        var device = DeviceOf(b);
        FakeDriver.OnLaunch = PlayFill;
        var t = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 1000), [1000]);
        int launches = FakeDriver.Launches.Count;
        b.Fill(t, 2.5);
        var launch = FakeDriver.Launches[launches];
        Assert.Equal(("ew", (4u, 1u, 1u), (256u, 1u, 1u), (nint)0), (launch.Kernel, launch.Grid, launch.Block, launch.Stream));
        Assert.All((float[])b.ToHost(t), v => Assert.Equal(2.5f, v));
        Assert.StartsWith("CUBIN for ", Encoding.ASCII.GetString(FakeDriver.LoadedImage!));
        Assert.Equal(1, device.Compiles);
        b.Fill(t, -1);
        Assert.Equal(1, device.Compiles); // the module is reused
        Assert.All((float[])b.ToHost(t), v => Assert.Equal(-1f, v));

        // A second process (here: a new backend) loads the CUBIN from the disk cache instead of compiling.
        var again = Backend();
        var t2 = TensorView.Contiguous(again.AllocateUninitialized(Cuda0, DType.Float32, 10), [10]);
        again.Fill(t2, 7);
        Assert.Equal((0, 1), (DeviceOf(again).Compiles, DeviceOf(again).DiskCacheHits));
        Assert.All((float[])again.ToHost(t2), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void Storages_come_from_the_caching_allocator_and_go_back_to_it()
    {
        var b = Backend();
        long before = b.GetMemoryStats(0).Allocated;
        var s = b.AllocateUninitialized(Cuda0, DType.Float32, 1000);
        Assert.Equal(before + 4096, b.GetMemoryStats(0).Allocated); // 4000 bytes in 512-byte steps
        s.Dispose();
        Assert.Equal(before, b.GetMemoryStats(0).Allocated);
        Assert.True(b.GetMemoryStats(0).Reserved >= 2 << 20); // the 2 MiB segment stays cached
        b.EmptyCache();
        Assert.Contains("synchronize", FakeDriver.Calls);
    }

    [Theory]
    [InlineData(new long[] { 1000 }, new long[0], 4u, 1u, 256u, 1u)]
    [InlineData(new long[] { 5 }, new long[0], 1u, 1u, 5u, 1u)]
    [InlineData(new long[] { 64, 48 }, new long[] { 16, 16 }, 4u, 3u, 16u, 16u)]
    [InlineData(new long[] { 100, 3 }, new long[0], 1u, 3u, 100u, 1u)]
    public void Launch_geometry_covers_the_work_items(long[] global, long[] local, uint gx, uint gy, uint bx, uint by)
    {
        var (grid, block) = CudaDevice.Geometry(global, local);
        Assert.Equal((gx, gy, 1u), grid);
        Assert.Equal((bx, by, 1u), block);
    }

    [Fact]
    public void A_grid_beyond_cudas_limits_is_refused_with_the_numbers()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaDevice.Geometry([1, 70_000], []));
        Assert.Contains("70000 work-items in dimension 1 needs 70000 blocks; CUDA allows 65535", e.Message);
    }

    [Fact]
    public void Work_goes_to_the_current_stream_and_events_record_wait_and_time_it()
    {
        var b = Backend();
        var device = DeviceOf(b);
        var t = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 10), [10]);
        using var stream = new CudaStream(device);
        Assert.Contains("stream flags 0", FakeDriver.Calls); // blocking: ordered with the default stream
        using (stream.Use())
        {
            b.Fill(t, 1);
            Assert.Equal(stream.Handle, FakeDriver.Launches[^1].Stream);
            using var start = new CudaEvent(enableTiming: true);
            using var end = new CudaEvent(enableTiming: true);
            start.Record(stream);
            end.Record(stream);
            Assert.Contains($"record {start.Handle} on {stream.Handle}", FakeDriver.Calls);
            Assert.Equal(1.5f, start.ElapsedTime(end));
            Assert.False(end.Query());
            end.Synchronize();
            Assert.Contains($"sync event {end.Handle}", FakeDriver.Calls);
        }
        b.Fill(t, 2);
        Assert.Equal(0, FakeDriver.Launches[^1].Stream); // the scope ended: the default stream again

        using var other = new CudaStream(device);
        other.WaitStream(stream);
        Assert.Contains(FakeDriver.Calls, c => c.StartsWith($"stream {other.Handle} waits ", StringComparison.Ordinal));
        using var untimed = new CudaEvent();
        Assert.True(untimed.Query()); // never recorded: nothing to wait for
        Assert.Equal("Both events must be created with argument 'enable_timing=True'.",
            Assert.Throws<InvalidOperationException>(() => untimed.ElapsedTime(untimed)).Message);
        long h = stream.Handle;
        stream.Dispose();
        Assert.Contains($"destroy stream {h}", FakeDriver.Calls);
    }

    [Fact]
    public void Memory_belongs_to_the_current_stream_and_record_stream_holds_it_back_for_the_other()
    {
        var b = Backend();
        var device = DeviceOf(b);
        using var stream = new CudaStream(device);
        using var side = new CudaStream(device);
        Storage s;
        using (stream.Use()) s = b.AllocateUninitialized(Cuda0, DType.Float32, 10);
        CudaTensorExtensions.RecordStorage(s, side);
        s.Dispose();
        Assert.Equal(1, device.PendingBlocks); // the side stream may still read it
        Assert.Contains(FakeDriver.Calls, c => c.StartsWith("record ", StringComparison.Ordinal) && c.EndsWith($" on {side.Handle}", StringComparison.Ordinal));
        device.EmptyCache(); // waits for the side stream's event (the fake never reports it done)
        Assert.Equal(0, device.PendingBlocks);
        Assert.Contains(FakeDriver.Calls, c => c.StartsWith("sync event ", StringComparison.Ordinal));
        var e = Assert.Throws<ArgumentException>(() => Torch.Zeros(2).RecordStream(side));
        Assert.StartsWith("record_stream: the tensor is on cpu and the stream on cuda:0;", e.Message);
    }

    [Fact]
    public void A_copy_between_two_gpus_goes_device_to_device_after_the_sources_work()
    {
        var b = Backend(gpus: 2);
        var cuda1 = new Device(DeviceType.Cuda, 1);
        var (gpu0, gpu1) = (DeviceOf(b), (CudaDevice)b.DeviceOf(cuda1));
        float[] data = [1, 2, 3, 4, 5, 6];
        var src = TensorView.Contiguous(b.FromHost(Cuda0, data, DType.Float32), [2, 3]);
        var dst = TensorView.Contiguous(b.AllocateUninitialized(cuda1, DType.Float32, 6), [2, 3]);
        int calls = FakeDriver.Calls.Count;
        b.CopyAcrossDevices(src, dst);
        Assert.Equal(1, gpu1.PeerCopies);
        var log = FakeDriver.Calls.Skip(calls).ToList();
        int peer = log.IndexOf("peer copy 24 from 0xc0 to 0xc1 on 0"); // straight into the destination: no staging
        Assert.True(peer > 0, string.Join(" | ", log));
        Assert.Contains("sync stream 0", log.Take(peer)); // the source's work first
        Assert.Equal("sync stream 0", log[peer + 1]);     // complete before the source may be freed
        Assert.Equal(data, b.ToHost(dst).Cast<float>());
        Assert.Equal(0, gpu0.PeerCopies); // cuda:1 pulled it
        Assert.False(gpu0.CopiesFromPeer(gpu0));
    }

    /// <summary>A [batch, rows, cols] view over <paramref name="data"/> with the given strides, on <paramref name="backend"/>'s device.</summary>
    static TensorView View(IBackend backend, Device device, Array data, DType dtype, long[] shape, long[] strides, long offset = 0) =>
        new(backend.FromHost(device, data, dtype), shape, strides, offset);

    [Theory]
    [InlineData("plain", "float32")]
    [InlineData("a transposed", "float32")]
    [InlineData("b transposed", "float32")]
    [InlineData("both transposed, a broadcast over the batch", "float32")]
    [InlineData("b transposed", "float64")]
    public void Matrix_products_go_to_cublas_as_the_transposed_column_major_product(string layout, string type)
    {
        var b = Backend(withBlas: true);
        var device = DeviceOf(b);
        var cpu = BackendRegistry.Get(Device.Cpu);
        var dtype = type == "float64" ? DType.Float64 : DType.Float32;
        var rng = new Random(7);
        Array Random(int n) => dtype == DType.Float64 ? Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray()
            : Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        // A [2,3,4] · B [2,4,5] = C [2,3,5]; a transposed operand is stored [2,cols,rows] and viewed with swapped strides.
        bool at = layout.StartsWith("a transposed", StringComparison.Ordinal) || layout.StartsWith("both", StringComparison.Ordinal);
        bool bt = layout.Contains("b transposed", StringComparison.Ordinal) || layout.StartsWith("both", StringComparison.Ordinal);
        bool broadcast = layout.Contains("broadcast", StringComparison.Ordinal);
        long[] aStrides = [broadcast ? 0 : 12, at ? 1 : 4, at ? 3 : 1], bStrides = [20, bt ? 1 : 5, bt ? 4 : 1];
        var ah = Random(24);
        var bh = Random(40);
        TensorView Operands(IBackend on, Device d, out TensorView bv)
        {
            bv = View(on, d, bh, dtype, [2, 4, 5], bStrides);
            return View(on, d, ah, dtype, [2, 3, 4], aStrides);
        }
        var ac = Operands(cpu, Device.Cpu, out var bc);
        var expected = TensorView.Contiguous(cpu.Allocate(Device.Cpu, dtype, 30), [2, 3, 5]);
        cpu.MatMul(ac, bc, expected);
        var ad = Operands(b, Cuda0, out var bd);
        var actual = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, dtype, 30), [2, 3, 5]);
        long before = device.VendorGemms;
        int launches = FakeDriver.Launches.Count;
        b.MatMul(ad, bd, actual);
        Assert.Equal(before + 1, device.VendorGemms);
        Assert.Equal(launches, FakeDriver.Launches.Count); // no kernel: cuBLAS did it
        var call = FakeBlas.Calls[^1];
        Assert.Equal((bt ? 1 : 0, at ? 1 : 0, 5, 3, 4), (call.TransA, call.TransB, call.M, call.N, call.K));
        Assert.Equal((bt ? 4 : 5, at ? 3 : 4, 5, 2), (call.Lda, call.Ldb, call.Ldc, call.Batches));
        Assert.Equal(dtype == DType.Float64 ? CuBlas.Compute64F : CuBlas.Compute32F, call.Compute);
        var e = cpu.ToHost(expected).Cast<IConvertible>().Select(x => x.ToDouble(null)).ToArray();
        var a = b.ToHost(actual).Cast<IConvertible>().Select(x => x.ToDouble(null)).ToArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 1e-5);
    }

    [Fact]
    public void A_sum_over_batches_accumulates_one_product_after_another_and_tf32_is_asked_for_only_when_allowed()
    {
        var b = Backend(withBlas: true);
        var device = DeviceOf(b);
        // C[z] = Σ_{s<3} A[3z+s]·B[3z+s] for z < 2, A [2,2], B [2,1]: the convolution weight gradient's form.
        var ah = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
        var bh = Enumerable.Range(0, 12).Select(i => (float)(i % 5) - 2).ToArray();
        var a = b.FromHost(Cuda0, ah, DType.Float32);
        var bs = b.FromHost(Cuda0, bh, DType.Float32);
        var c = b.FromHost(Cuda0, new float[4], DType.Float32);
        var mem = (GpuStorage s) => s.Mem;
        try
        {
            CudaBackend.AllowTf32 = true;
            Assert.True(device.TryVendorGemm(DType.Float32, 2, 3, 2, 1, 2,
                new GemmOperand(mem((GpuStorage)a), 0, 4, 2, 1), new GemmOperand(mem((GpuStorage)bs), 0, 2, 1, 1),
                new GemmOperand(mem((GpuStorage)c), 0, 2, 1, 1), accumulate: false));
        }
        finally { CudaBackend.AllowTf32 = false; }
        var expected = new float[4];
        for (int z = 0; z < 2; z++)
            for (int s = 0; s < 3; s++)
                for (int i = 0; i < 2; i++)
                    for (int l = 0; l < 2; l++)
                        expected[z * 2 + i] += ah[(z * 3 + s) * 4 + i * 2 + l] * bh[(z * 3 + s) * 2 + l];
        Assert.Equal(expected, (float[])b.ToHost(TensorView.Contiguous(c, [4])));
        Assert.Equal([0.0, 1.0, 1.0], FakeBlas.Calls.TakeLast(3).Select(x => x.Beta));
        Assert.All(FakeBlas.Calls.TakeLast(3), x => Assert.Equal((CuBlas.Compute32FFastTf32, 12L, 6L), (x.Compute, x.StrideB, x.StrideA)));
    }

    [Fact]
    public void Layouts_without_a_cublas_form_are_left_to_the_gemm_template()
    {
        GemmOperand Op(long s1, long s2) => new(0x1000, 0, 0, s1, s2);
        Assert.NotNull(CuBlas.Plan(3, 5, 4, Op(4, 1), Op(5, 1), Op(5, 1)));
        Assert.Null(CuBlas.Plan(3, 5, 4, Op(8, 2), Op(5, 1), Op(5, 1))); // A's rows and columns both strided
        Assert.Null(CuBlas.Plan(3, 5, 4, Op(4, 1), Op(5, 1), Op(10, 2))); // C not row-contiguous
        Assert.Null(CuBlas.Plan(3, 5, 4, Op(2, 1), Op(5, 1), Op(5, 1))); // A's rows overlap

        var b = Backend(withBlas: true);
        var device = DeviceOf(b);
        var a = new TensorView(b.FromHost(Cuda0, new float[16], DType.Float32), [1, 2, 2], [16, 8, 2], 0);
        var m = TensorView.Contiguous(b.FromHost(Cuda0, new float[4], DType.Float32), [1, 2, 2]);
        var dst = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 4), [1, 2, 2]);
        long before = device.VendorGemms;
        b.MatMul(a, m, dst);
        Assert.Equal(before, device.VendorGemms);
        Assert.Equal("gemm", FakeDriver.Launches[^1].Kernel);
    }

    [Fact]
    public void Without_cublas_products_run_the_gemm_template()
    {
        var b = Backend();
        var x = TensorView.Contiguous(b.FromHost(Cuda0, new float[4], DType.Float32), [1, 2, 2]);
        var dst = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 4), [1, 2, 2]);
        b.MatMul(x, x, dst);
        Assert.Equal(0, DeviceOf(b).VendorGemms);
        Assert.Equal("gemm", FakeDriver.Launches[^1].Kernel);
    }

    static double[] Values(IBackend backend, TensorView t) => backend.ToHost(t).Cast<IConvertible>().Select(v => v.ToDouble(null)).ToArray();

    [Theory]
    [InlineData("float32", 2, 1, 1, 2)]
    [InlineData("float32", 1, 0, 2, 1)]
    [InlineData("float64", 1, 2, 1, 4)]
    public void Convolutions_go_to_cudnn_with_the_problem_described_and_match_the_cpu(string type, int stride, int pad, int dilation, int groups)
    {
        var b = Backend(withDnn: true);
        var device = DeviceOf(b);
        var cpu = BackendRegistry.Get(Device.Cpu);
        var dtype = type == "float64" ? DType.Float64 : DType.Float32;
        var g = new Conv2dGeometry(stride, stride, pad, pad, dilation, dilation, groups);
        long n = 2, c = 4, h = 7, w = 6, k = 4, kh = 3, kw = 3;
        long oh = Conv2dGeometry.OutSize(h, kh, stride, pad, dilation), ow = Conv2dGeometry.OutSize(w, kw, stride, pad, dilation);
        var rng = new Random(11);
        Array Random(long count) => dtype == DType.Float64 ? Enumerable.Range(0, (int)count).Select(_ => rng.NextDouble() - 0.5).ToArray()
            : Enumerable.Range(0, (int)count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var xh = Random(n * c * h * w);
        var wh = Random(k * (c / groups) * kh * kw);
        var dyh = Random(n * k * oh * ow);
        long[] xs = [n, c, h, w], ws = [k, c / groups, kh, kw], ys = [n, k, oh, ow];
        TensorView On(IBackend on, Device d, Array data, long[] shape) => TensorView.Contiguous(on.FromHost(d, data, dtype), shape);
        TensorView Empty(IBackend on, Device d, long[] shape) => TensorView.Contiguous(on.Allocate(d, dtype, shape.Aggregate(1L, (p, q) => p * q)), shape);

        var (xc, wc, dyc) = (On(cpu, Device.Cpu, xh, xs), On(cpu, Device.Cpu, wh, ws), On(cpu, Device.Cpu, dyh, ys));
        var (yc, dxc, dwc) = (Empty(cpu, Device.Cpu, ys), Empty(cpu, Device.Cpu, xs), Empty(cpu, Device.Cpu, ws));
        cpu.Conv2d(xc, wc, null, g, yc);
        cpu.Conv2dBackwardInput(dyc, wc, g, dxc);
        cpu.Conv2dBackwardWeight(dyc, xc, g, dwc);

        var (xd, wd, dyd) = (On(b, Cuda0, xh, xs), On(b, Cuda0, wh, ws), On(b, Cuda0, dyh, ys));
        var (yd, dxd, dwd) = (Empty(b, Cuda0, ys), Empty(b, Cuda0, xs), Empty(b, Cuda0, ws));
        long allocated = b.GetMemoryStats(0).Allocated;
        int launches = FakeDriver.Launches.Count;
        b.Conv2d(xd, wd, null, g, yd);
        b.Conv2dBackwardInput(dyd, wd, g, dxd);
        b.Conv2dBackwardWeight(dyd, xd, g, dwd);
        Assert.Equal(3, device.VendorConvs);
        Assert.Equal(launches, FakeDriver.Launches.Count); // no im2col, GEMM or depthwise kernels
        Assert.Equal(allocated, b.GetMemoryStats(0).Allocated); // each workspace went back
        int math = CuDnn.DefaultMath; // TF32 allowed for float32 by default, as torch.backends.cudnn.allow_tf32
        Assert.Equal([$"forward algo 1 workspace 4096 beta 0 groups {groups} math {math}", $"backward data algo 1 workspace 4096 beta 0 groups {groups} math {math}",
            $"backward filter algo 1 workspace 4096 beta 0 groups {groups} math {math}"], FakeDnn.Calls.Where(x => x.Contains("algo", StringComparison.Ordinal)).TakeLast(3));
        foreach (var (e, a, what) in new[] { (yc, yd, "output"), (dxc, dxd, "input gradient"), (dwc, dwd, "weight gradient") })
        {
            var (ev, av) = (Values(cpu, e), Values(b, a));
            for (int i = 0; i < ev.Length; i++) Assert.True(Math.Abs(ev[i] - av[i]) <= 1e-5, $"{what}[{i}]: {av[i]} vs the CPU's {ev[i]}");
        }
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("float64")]
    public void Training_batch_norm_runs_cudnn_and_matches_the_cpu_with_running_stats_and_all_gradients(string type)
    {
        var b = Backend(withDnn: true);
        var device = DeviceOf(b);
        var cpu = BackendRegistry.Get(Device.Cpu);
        var dtype = type == "float64" ? DType.Float64 : DType.Float32;
        const long n = 3, c = 4, s = 5;
        var rng = new Random(5);
        Array Random(long count, double scale, double shift) => dtype == DType.Float64
            ? Enumerable.Range(0, (int)count).Select(_ => rng.NextDouble() * scale + shift).ToArray()
            : Enumerable.Range(0, (int)count).Select(_ => (float)(rng.NextDouble() * scale + shift)).ToArray();
        var (xh, gh, bh, mh, vh, dyh) = (Random(n * c * s, 4, -1), Random(c, 1, 0.5), Random(c, 1, -0.5), Random(c, 0.2, 0), Random(c, 1, 0.5), Random(n * c * s, 2, -1));
        TensorView On(IBackend on, Device d, Array data, params long[] shape) => TensorView.Contiguous(on.FromHost(d, data, dtype), shape);
        TensorView Empty(IBackend on, Device d, params long[] shape) => TensorView.Contiguous(on.AllocateUninitialized(d, dtype, shape.Aggregate(1L, (p, q) => p * q)), shape);
        TensorView[] Run(IBackend on, Device d)
        {
            var (x, w, bias, mean, var, dy) = (On(on, d, xh, n, c, s), On(on, d, gh, c), On(on, d, bh, c), On(on, d, mh, c), On(on, d, vh, c), On(on, d, dyh, n, c, s));
            var (y, saveMean, saveInvStd, dx, dw) = (Empty(on, d, n, c, s), Empty(on, d, c), Empty(on, d, c), Empty(on, d, n, c, s), Empty(on, d, c));
            on.BatchNorm(x, w, bias, mean, var, training: true, 0.1, 1e-5, y, saveMean, saveInvStd);
            on.BatchNormBackward(dy, x, w, saveMean, saveInvStd, training: true, 1e-5, dx, dw, gradBias: null); // no bias gradient wanted
            return [y, saveMean, saveInvStd, mean, var, dx, dw];
        }
        var expected = Run(cpu, Device.Cpu);
        long allocated = b.GetMemoryStats(0).Allocated;
        int launches = FakeDriver.Launches.Count;
        var actual = Run(b, Cuda0);
        Assert.Equal(2, device.VendorBatchNorms);
        Assert.Equal(launches, FakeDriver.Launches.Count); // no Ignis kernel ran
        Assert.Equal(["batch norm forward factor 0.1 eps 1E-05 running True", "batch norm backward eps 1E-05"], FakeDnn.Calls.Where(x => x.StartsWith("batch norm", StringComparison.Ordinal)).TakeLast(2));
        Assert.True(b.GetMemoryStats(0).Allocated > allocated); // the outputs; the scratch for the unwanted bias gradient went back
        string[] names = ["output", "saved mean", "saved inverse std", "running mean", "running var", "input gradient", "weight gradient"];
        for (int k = 0; k < names.Length; k++)
        {
            var (ev, av) = (Values(cpu, expected[k]), Values(b, actual[k]));
            for (int i = 0; i < ev.Length; i++) Assert.True(Math.Abs(ev[i] - av[i]) <= 1e-5 * Math.Max(1, Math.Abs(ev[i])), $"{names[k]}[{i}]: {av[i]} vs the CPU's {ev[i]}");
        }
    }

    [Fact]
    public void Batch_norm_stays_on_ignis_kernels_in_evaluation_without_affine_parameters_when_switched_off_or_without_cudnns_entry_points()
    {
        void Expect(GpuBackend b, bool vendor, Action<TensorView, TensorView?, TensorView, TensorView, TensorView, TensorView> run)
        {
            var t = (int n) => TensorView.Contiguous(b.FromHost(Cuda0, new float[n], DType.Float32), [n]);
            var x = TensorView.Contiguous(b.FromHost(Cuda0, new float[24], DType.Float32), [2, 3, 4]);
            var y = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 24), [2, 3, 4]);
            long before = DeviceOf(b).VendorBatchNorms;
            run(x, t(3), t(3), t(3), y, t(3));
            Assert.Equal(vendor ? before + 1 : before, DeviceOf(b).VendorBatchNorms);
        }
        var b = Backend(withDnn: true);
        Expect(b, true, (x, w, m, v, y, s) => b.BatchNorm(x, w, w, m, v, training: true, 0.1, 1e-5, y, s, s));
        Expect(b, false, (x, w, m, v, y, s) => b.BatchNorm(x, w, w, m, v, training: false, 0.1, 1e-5, y, s, s)); // PyTorch's inference runs its own too here
        Expect(b, false, (x, w, m, v, y, s) => b.BatchNorm(x, null, null, m, v, training: true, 0.1, 1e-5, y, s, s)); // cuDNN needs a scale and bias
        Expect(b, false, (x, w, m, v, y, s) => b.BatchNorm(x, w, w, m, v, training: true, 0.1, 1e-6, y, s, s)); // below CUDNN_BN_MIN_EPSILON
        try
        {
            CudaBackend.CudnnBatchNorm = false;
            Expect(b, false, (x, w, m, v, y, s) => b.BatchNorm(x, w, w, m, v, training: true, 0.1, 1e-5, y, s, s));
        }
        finally
        {
            CudaBackend.CudnnBatchNorm = true;
        }
        var old = Backend(withDnn: true, dnnBatchNorm: false);
        Expect(old, false, (x, w, m, v, y, s) => old.BatchNorm(x, w, w, m, v, training: true, 0.1, 1e-5, y, s, s));
        var g = new Conv2dGeometry(1, 1, 0, 0, 1, 1, 1);
        var input = TensorView.Contiguous(old.FromHost(Cuda0, new float[2 * 3 * 3 * 3], DType.Float32), [2, 3, 3, 3]);
        var weight = TensorView.Contiguous(old.FromHost(Cuda0, new float[4 * 3], DType.Float32), [4, 3, 1, 1]);
        old.Conv2d(input, weight, null, g, TensorView.Contiguous(old.AllocateUninitialized(Cuda0, DType.Float32, 2 * 4 * 9), [2, 4, 3, 3]));
        Assert.Equal(1, DeviceOf(old).VendorConvs); // convolutions still use cuDNN
    }

    [Fact]
    public void The_algorithm_is_searched_once_per_problem_by_heuristics_or_in_benchmark_mode_by_timing_and_can_be_held_to_deterministic_ones()
    {
        var b = Backend(withDnn: true);
        var x = TensorView.Contiguous(b.FromHost(Cuda0, new float[2 * 3 * 5 * 5], DType.Float32), [2, 3, 5, 5]);
        var w = TensorView.Contiguous(b.FromHost(Cuda0, new float[4 * 3 * 3 * 3], DType.Float32), [4, 3, 3, 3]);
        var y = TensorView.Contiguous(b.AllocateUninitialized(Cuda0, DType.Float32, 2 * 4 * 3 * 3), [2, 4, 3, 3]);
        var g = new Conv2dGeometry(1, 1, 0, 0, 1, 1, 1);
        int before = FakeDnn.Calls.Count;
        b.Conv2d(x, w, null, g, y);
        b.Conv2d(x, w, null, g, y);
        Assert.Single(FakeDnn.Calls.Skip(before), c => c == "heuristics forward");
        try
        {
            CudaBackend.CudnnBenchmark = true;
            CudaBackend.CudnnAllowTf32 = false;
            b.Conv2d(x, w, null, g, y);
            b.Conv2d(x, w, null, g, y);
            Assert.Single(FakeDnn.Calls.Skip(before), c => c == "find forward");
            Assert.EndsWith($"math {CuDnn.FmaMath}", FakeDnn.Calls[^1]); // float32 without TF32
            CudaBackend.CudnnDeterministic = true; // searched again: the usable nondeterministic algorithm 1 is passed over
            b.Conv2d(x, w, null, g, y);
            Assert.Equal(2, FakeDnn.Calls.Skip(before).Count(c => c == "find forward"));
            Assert.StartsWith("forward algo 2 workspace 0 ", FakeDnn.Calls[^1]);
            CudaBackend.CudnnEnabled = false;
            b.Conv2d(x, w, null, g, y);
            Assert.Equal("gemm", FakeDriver.Launches[^1].Kernel); // im2col and the GEMM template
        }
        finally
        {
            CudaBackend.CudnnDeterministic = false;
            CudaBackend.CudnnBenchmark = false;
            CudaBackend.CudnnAllowTf32 = true;
            CudaBackend.CudnnEnabled = true;
        }
    }
}
