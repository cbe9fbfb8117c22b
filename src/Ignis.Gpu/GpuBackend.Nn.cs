using Ignis.Backends;
using Ignis.Kernels;

namespace Ignis.Gpu;

// Pooling, batch norm, Adam and SGD (Kernels/NnKernels.cs), for float32/float64 on contiguous operands.
internal sealed partial class GpuBackend
{
    /// <summary>The device and kernel dtype when every operand is a contiguous float32/float64 tensor the device can compute.</summary>
    bool NnKernelsFor(TensorView first, out GpuDevice device, out KernelType t, params TensorView?[] rest)
    {
        device = DeviceOf(first);
        t = KernelType.Of(first.DType);
        if (first.DType.Kind is not (ScalarType.Float32 or ScalarType.Float64) || !first.IsContiguous) return false;
        if (first.DType == DType.Float64 && !device.HasFp64) return false;
        foreach (var v in rest)
            if (v is not null && (v.DType != first.DType || !v.IsContiguous || DeviceOf(v) != device)) return false;
        return true;
    }

    nint NnKernel(GpuDevice device, KernelType t, string name) => Kernel(device, $"nn {t.DType.Kind}", name, () => NnKernels.Source(t, device.HasFp64));

    void AccScalar(KernelArgs args, GpuDevice device, double v)
    {
        if (device.HasFp64) args.Double(v); else args.Float((float)v);
    }

    static void TScalar(KernelArgs args, KernelType t, double v)
    {
        if (t.DType == DType.Float64) args.Double(v); else args.Float((float)v);
    }

    /// <inheritdoc/>
    public void MaxPool2d(TensorView input, Pool2dGeometry g, TensorView output, TensorView indices)
    {
        if (InFloat32([input, output, indices], [1], v => MaxPool2d(v[0]!, g, v[1]!, v[2]!))) return;
        if (!NnKernelsFor(input, out var device, out var t, output) || indices.DType != DType.Int64 || !indices.IsContiguous)
        {
            Fallback("MaxPool2d", [input, output, indices], [1, 2], v => cpu.MaxPool2d(v[0]!, g, v[1]!, v[2]!));
            return;
        }
        long total = output.Numel;
        var args = new KernelArgs();
        args.Long(total); args.Buffer(input.Storage); args.Long(input.Offset); args.Buffer(output.Storage); args.Long(output.Offset);
        args.Buffer(indices.Storage); args.Long(indices.Offset);
        MaxPoolArgs(args, input, output, g);
        device.Launch(NnKernel(device, t, "maxpool"), args, [total]);
        GC.KeepAlive(input); GC.KeepAlive(output); GC.KeepAlive(indices);
    }

    /// <summary>A max pooling's plane sizes (input H, W, output H, W) and window geometry, as the max-pool kernels take them.</summary>
    static void MaxPoolArgs(KernelArgs args, TensorView big, TensorView small, Pool2dGeometry g)
    {
        args.Long(big.Shape[2]); args.Long(big.Shape[3]); args.Long(small.Shape[2]); args.Long(small.Shape[3]);
        args.Int(g.KernelH); args.Int(g.KernelW); args.Int(g.StrideH); args.Int(g.StrideW); args.Int(g.PadH); args.Int(g.PadW);
        args.Int(g.DilationH); args.Int(g.DilationW);
    }

    /// <summary>Tests: run the GPU formulation of the pooling gradients on a CPU device too.</summary>
    internal static bool ForceGatherPooling;

    /// <summary>
    /// Pooling gradients one work-item per input element gathering from the windows that hold it (GPUs: N·C·H·W
    /// work-items), or one per plane scattering in order (CPU devices, whose vectorisers favour the long serial loop).
    /// Both add in ascending output order, so their sums are the same bits.
    /// </summary>
    static bool GatherPoolingGradients(GpuDevice device) => !device.IsCpu || ForceGatherPooling;

    /// <inheritdoc/>
    public void MaxPool2dBackward(TensorView gradOutput, TensorView indices, Pool2dGeometry g, TensorView gradInput)
    {
        if (InFloat32([gradOutput, indices, gradInput], [2], v => MaxPool2dBackward(v[0]!, v[1]!, g, v[2]!))) return;
        if (!NnKernelsFor(gradInput, out var device, out var t, gradOutput) || indices.DType != DType.Int64 || !indices.IsContiguous)
        {
            Fallback("MaxPool2dBackward", [gradOutput, indices, gradInput], [2], v => cpu.MaxPool2dBackward(v[0]!, v[1]!, g, v[2]!));
            return;
        }
        bool gather = GatherPoolingGradients(device);
        long items = gather ? gradInput.Numel : gradInput.Shape[0] * gradInput.Shape[1];
        var args = new KernelArgs();
        args.Long(items); args.Buffer(gradOutput.Storage); args.Long(gradOutput.Offset); args.Buffer(indices.Storage); args.Long(indices.Offset);
        args.Buffer(gradInput.Storage); args.Long(gradInput.Offset);
        if (gather) MaxPoolArgs(args, gradInput, gradOutput, g);
        else { args.Long(gradInput.Shape[2] * gradInput.Shape[3]); args.Long(gradOutput.Shape[2] * gradOutput.Shape[3]); }
        device.Launch(NnKernel(device, t, gather ? "maxpool_bw_gather" : "maxpool_bw"), args, [items]);
        GC.KeepAlive(gradOutput); GC.KeepAlive(indices); GC.KeepAlive(gradInput);
    }

    void PoolArgs(KernelArgs args, TensorView big, TensorView small, Pool2dGeometry g, bool countIncludePad, bool adaptive)
    {
        args.Long(big.Shape[2]); args.Long(big.Shape[3]); args.Long(small.Shape[2]); args.Long(small.Shape[3]);
        args.Int(g.KernelH); args.Int(g.KernelW); args.Int(g.StrideH); args.Int(g.StrideW); args.Int(g.PadH); args.Int(g.PadW);
        args.Int(countIncludePad ? 1 : 0); args.Int(adaptive ? 1 : 0);
    }

    /// <inheritdoc/>
    public void AvgPool2d(TensorView input, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView output)
    {
        if (InFloat32([input, output], [1], v => AvgPool2d(v[0]!, g, countIncludePad, adaptive, v[1]!))) return;
        if (!NnKernelsFor(input, out var device, out var t, output))
        {
            Fallback("AvgPool2d", [input, output], [1], v => cpu.AvgPool2d(v[0]!, g, countIncludePad, adaptive, v[1]!));
            return;
        }
        long total = output.Numel;
        var args = new KernelArgs();
        args.Long(total); args.Buffer(input.Storage); args.Long(input.Offset); args.Buffer(output.Storage); args.Long(output.Offset);
        PoolArgs(args, input, output, g, countIncludePad, adaptive);
        device.Launch(NnKernel(device, t, "avgpool"), args, [total]);
        GC.KeepAlive(input); GC.KeepAlive(output);
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(TensorView gradOutput, Pool2dGeometry g, bool countIncludePad, bool adaptive, TensorView gradInput)
    {
        if (InFloat32([gradOutput, gradInput], [1], v => AvgPool2dBackward(v[0]!, g, countIncludePad, adaptive, v[1]!))) return;
        if (!NnKernelsFor(gradInput, out var device, out var t, gradOutput))
        {
            Fallback("AvgPool2dBackward", [gradOutput, gradInput], [1], v => cpu.AvgPool2dBackward(v[0]!, g, countIncludePad, adaptive, v[1]!));
            return;
        }
        bool gather = GatherPoolingGradients(device);
        long items = gather ? gradInput.Numel : gradInput.Shape[0] * gradInput.Shape[1];
        var args = new KernelArgs();
        args.Long(items); args.Buffer(gradOutput.Storage); args.Long(gradOutput.Offset); args.Buffer(gradInput.Storage); args.Long(gradInput.Offset);
        PoolArgs(args, gradInput, gradOutput, g, countIncludePad, adaptive);
        device.Launch(NnKernel(device, t, gather ? "avgpool_bw_gather" : "avgpool_bw"), args, [items]);
        GC.KeepAlive(gradOutput); GC.KeepAlive(gradInput);
    }

    /// <summary>An optional per-channel operand: its buffer and offset, or the stand-in buffer with a 0 flag.</summary>
    static void Optional(KernelArgs args, TensorView? v, TensorView standIn)
    {
        args.Buffer((v ?? standIn).Storage); args.Long(v?.Offset ?? 0); args.Int(v is null ? 0 : 1);
    }

    /// <inheritdoc/>
    public void BatchNorm(TensorView input, TensorView? weight, TensorView? bias, TensorView? runningMean, TensorView? runningVar, bool training,
        double momentum, double eps, TensorView output, TensorView saveMean, TensorView saveInvStd)
    {
        if (InFloat32([input, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd], [3, 4, 5, 6, 7],
            v => BatchNorm(v[0]!, v[1], v[2], v[3], v[4], training, momentum, eps, v[5]!, v[6]!, v[7]!))) return;
        bool running = runningMean is not null && runningVar is not null;
        if (!NnKernelsFor(input, out var device, out var t, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd)
            || (!training && !running) || (training && (runningMean is null) != (runningVar is null)))
        {
            Fallback("BatchNorm", [input, weight, bias, runningMean, runningVar, output, saveMean, saveInvStd], [3, 4, 5, 6, 7],
                v => cpu.BatchNorm(v[0]!, v[1], v[2], v[3], v[4], training, momentum, eps, v[5]!, v[6]!, v[7]!));
            return;
        }
        long n = input.Shape[0], c = input.Shape[1], s = input.Numel / Math.Max(1, n * c);
        if (c == 0) return;
        // Training with an affine weight and bias: the vendor's batch norm when the device has one (PyTorch uses cuDNN's).
        if (training && weight is not null && bias is not null
            && device.TryVendorBatchNorm(input, weight, bias, runningMean, runningVar, momentum, eps, output, saveMean, saveInvStd))
            return;
        var accType = device.HasFp64 ? DType.Float64 : DType.Float32;
        using var coef = AllocateUninitialized(input.Device, accType, 2 * c);
        using var stats = AllocateUninitialized(input.Device, accType, 2 * c);
        if (training)
        {
            var sargs = new KernelArgs();
            sargs.Long(n); sargs.Long(c); sargs.Long(s); sargs.Buffer(input.Storage); sargs.Long(input.Offset); sargs.Buffer(stats);
            device.Launch(NnKernel(device, t, "bn_stats"), sargs, [c * RowKernels.Group], [RowKernels.Group]);
        }
        var args = new KernelArgs();
        args.Long(c); args.Long(n * s); args.Buffer(stats); args.Int(training ? 1 : 0);
        AccScalar(args, device, momentum); AccScalar(args, device, eps);
        args.Buffer((runningMean ?? input).Storage); args.Long(runningMean?.Offset ?? 0);
        args.Buffer((runningVar ?? input).Storage); args.Long(runningVar?.Offset ?? 0); args.Int(running ? 1 : 0);
        Optional(args, weight, input); Optional(args, bias, input);
        args.Buffer(saveMean.Storage); args.Long(saveMean.Offset); args.Buffer(saveInvStd.Storage); args.Long(saveInvStd.Offset);
        args.Buffer(coef);
        device.Launch(NnKernel(device, t, "bn_finish"), args, [c]);
        long total = input.Numel;
        var apply = new KernelArgs();
        apply.Long(total); apply.Long(c); apply.Long(s); apply.Buffer(input.Storage); apply.Long(input.Offset);
        apply.Buffer(output.Storage); apply.Long(output.Offset); apply.Buffer(coef);
        device.Launch(NnKernel(device, t, "bn_apply"), apply, [total]);
        GC.KeepAlive(input); GC.KeepAlive(weight); GC.KeepAlive(bias); GC.KeepAlive(runningMean); GC.KeepAlive(runningVar);
        GC.KeepAlive(output); GC.KeepAlive(saveMean); GC.KeepAlive(saveInvStd);
    }

    /// <inheritdoc/>
    public void BatchNormBackward(TensorView gradOutput, TensorView input, TensorView? weight, TensorView saveMean, TensorView saveInvStd, bool training, double eps,
        TensorView? gradInput, TensorView? gradWeight, TensorView? gradBias)
    {
        if (InFloat32([gradOutput, input, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias], [5, 6, 7],
            v => BatchNormBackward(v[0]!, v[1]!, v[2], v[3]!, v[4]!, training, eps, v[5], v[6], v[7]))) return;
        if (!NnKernelsFor(input, out var device, out var t, gradOutput, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias))
        {
            Fallback("BatchNormBackward", [gradOutput, input, weight, saveMean, saveInvStd, gradInput, gradWeight, gradBias], [5, 6, 7],
                v => cpu.BatchNormBackward(v[0]!, v[1]!, v[2], v[3]!, v[4]!, training, eps, v[5], v[6], v[7]));
            return;
        }
        long n = input.Shape[0], c = input.Shape[1], s = input.Numel / Math.Max(1, n * c);
        if (c == 0) return;
        if (training && weight is not null && gradInput is not null
            && device.TryVendorBatchNormBackward(gradOutput, input, weight, saveMean, saveInvStd, eps, gradInput, gradWeight, gradBias))
            return;
        using var coef = AllocateUninitialized(input.Device, device.HasFp64 ? DType.Float64 : DType.Float32, 3 * c);
        var args = new KernelArgs();
        args.Long(n); args.Long(c); args.Long(s);
        args.Buffer(gradOutput.Storage); args.Long(gradOutput.Offset); args.Buffer(input.Storage); args.Long(input.Offset);
        Optional(args, weight, input);
        args.Buffer(saveMean.Storage); args.Long(saveMean.Offset); args.Buffer(saveInvStd.Storage); args.Long(saveInvStd.Offset);
        args.Int(training ? 1 : 0);
        Optional(args, gradWeight, input); Optional(args, gradBias, input);
        args.Buffer(coef);
        device.Launch(NnKernel(device, t, "bn_bw_stats"), args, [c * RowKernels.Group], [RowKernels.Group]);
        if (gradInput is not null)
        {
            long total = input.Numel;
            var apply = new KernelArgs();
            apply.Long(total); apply.Long(c); apply.Long(s);
            apply.Buffer(gradOutput.Storage); apply.Long(gradOutput.Offset); apply.Buffer(input.Storage); apply.Long(input.Offset);
            apply.Buffer(gradInput.Storage); apply.Long(gradInput.Offset); apply.Buffer(coef);
            device.Launch(NnKernel(device, t, "bn_bw_apply"), apply, [total]);
        }
        GC.KeepAlive(gradOutput); GC.KeepAlive(input); GC.KeepAlive(weight); GC.KeepAlive(saveMean); GC.KeepAlive(saveInvStd);
        GC.KeepAlive(gradInput); GC.KeepAlive(gradWeight); GC.KeepAlive(gradBias);
    }

    bool TryAdamStep(TensorView param, TensorView grad, TensorView expAvg, TensorView expAvgSq, TensorView? maxExpAvgSq, AdamHyper h)
    {
        if (!NnKernelsFor(param, out var device, out var t, grad, expAvg, expAvgSq, maxExpAvgSq)) return false;
        long total = param.Numel;
        if (total == 0) return true;
        double bc1 = 1 - Math.Pow(h.Beta1, h.Step), bc2 = 1 - Math.Pow(h.Beta2, h.Step);
        var args = new KernelArgs();
        args.Long(total);
        foreach (var v in new[] { param, grad, expAvg, expAvgSq }) { args.Buffer(v.Storage); args.Long(v.Offset); }
        args.Buffer((maxExpAvgSq ?? param).Storage); args.Long(maxExpAvgSq?.Offset ?? 0); args.Int(maxExpAvgSq is null ? 0 : 1);
        // The CPU kernel's constants, rounded to the parameter dtype the same way.
        foreach (double v in new[] { h.Beta1, h.Beta2, 1 - h.Beta1, 1 - h.Beta2, h.Eps, Math.Sqrt(bc2), -(h.Lr / bc1), h.WeightDecay, 1 - h.Lr * h.WeightDecay })
            TScalar(args, t, v);
        args.Int(h.WeightDecay != 0 && !h.Decoupled ? 1 : 0); args.Int(h.WeightDecay != 0 && h.Decoupled ? 1 : 0);
        device.Launch(NnKernel(device, t, "adam"), args, [total]);
        GC.KeepAlive(param); GC.KeepAlive(grad); GC.KeepAlive(expAvg); GC.KeepAlive(expAvgSq); GC.KeepAlive(maxExpAvgSq);
        return true;
    }

    /// <inheritdoc/>
    public bool TrySgdStep(TensorView param, TensorView grad, TensorView? momentumBuffer, SgdHyper h)
    {
        if (!NnKernelsFor(param, out var device, out var t, grad, momentumBuffer)) return false;
        long total = param.Numel;
        if (total == 0) return true;
        var args = new KernelArgs();
        args.Long(total);
        foreach (var v in new[] { param, grad, momentumBuffer ?? param }) { args.Buffer(v.Storage); args.Long(v.Offset); }
        foreach (bool b in new[] { momentumBuffer is not null, h.FirstStep, h.Maximize, h.Nesterov, h.WeightDecay != 0 }) args.Int(b ? 1 : 0);
        // Scalars rounded to the dtype as the tensor ops round them.
        foreach (double v in new[] { h.WeightDecay, h.Momentum, 1 - h.Dampening, -h.Lr }) TScalar(args, t, v);
        device.Launch(Kernel(device, $"sgd {t.DType.Kind}", "sgd", () => NnKernels.Sgd(t)), args, [total]);
        GC.KeepAlive(param); GC.KeepAlive(grad); GC.KeepAlive(momentumBuffer);
        return true;
    }
}
