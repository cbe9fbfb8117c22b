using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Random fills on the device (Kernels/RandomKernels.cs), or on the host when asked.
internal sealed partial class GpuBackend
{
    /// <summary>
    /// When true, random fills on this backend's devices draw on the host with PyTorch's CPU algorithms and are copied in, so a
    /// device run reproduces a CPU run number for number (dropout masks included). False by default: samples come from
    /// Philox4x32-10 on the device — reproducible per seed (<see cref="Generator.PhiloxOffset"/>) but not the CPU's
    /// numbers, as in PyTorch, where CUDA and CPU streams differ.
    /// </summary>
    public bool SampleOnHost { get; set; }

    int hostSamplingScopes;

    /// <summary>
    /// A scope in which random fills draw on the host as with <see cref="SampleOnHost"/> (scopes nest and may overlap
    /// across threads); dispose it to return to device sampling.
    /// </summary>
    public IDisposable HostSampling()
    {
        Interlocked.Increment(ref hostSamplingScopes);
        return new HostSamplingScope(this);
    }

    sealed class HostSamplingScope(GpuBackend owner) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) Interlocked.Decrement(ref owner.hostSamplingScopes);
        }
    }

    /// <inheritdoc/>
    public void RandomFill(TensorView dst, RandomDistribution distribution, double a, double b, Generator generator)
    {
        var device = DeviceOf(dst);
        var t = KernelType.Of(dst.DType);
        if (SampleOnHost || Volatile.Read(ref hostSamplingScopes) > 0 || !dst.DType.IsFloatingPoint() || NeedsFp64(device, [t], null))
        {
            IBackend.RandomFillOnHost(this, dst, distribution, a, b, generator);
            return;
        }
        if (dst.Numel == 0) return;
        if (!dst.IsContiguous)
        {
            using var tmp = AllocateUninitialized(dst.Device, dst.DType, dst.Numel);
            var view = TensorView.Contiguous(tmp, dst.Shape);
            RandomFill(view, distribution, a, b, generator);
            Copy(view, dst);
            return;
        }
        ulong seed = generator.InitialSeed, offset = generator.ReservePhiloxOffset();
        var args = new KernelArgs();
        args.Long(dst.Numel);
        args.Buffer(dst.Storage); args.Long(dst.Offset);
        args.Int((int)(uint)seed); args.Int((int)(uint)(seed >> 32));
        args.Int((int)(uint)offset); args.Int((int)(uint)(offset >> 32));
        // Uniform passes (from, to − from); normal (mean, std); Bernoulli (p, unused).
        double p0 = a, p1 = distribution == RandomDistribution.Uniform ? b - a : b;
        if (dst.DType == DType.Float64) { args.Double(p0); args.Double(p1); }
        else { args.Float((float)p0); args.Float((float)p1); }
        int per = RandomKernels.PerBlock(dst.DType);
        device.Launch(Kernel(device, $"philox {t.DType.Kind} {distribution}", "philox_fill", () => RandomKernels.Fill(t, (int)distribution)), args, [(dst.Numel + per - 1) / per]);
        GC.KeepAlive(dst);
    }
}
