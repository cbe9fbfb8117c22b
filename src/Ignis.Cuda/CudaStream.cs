namespace Ignis.Cuda;

/// <summary>
/// A CUDA stream (<c>torch.cuda.Stream</c>): a queue of device work. Ops run on the calling thread's current stream —
/// the innermost <see cref="Use"/> scope's (<c>with torch.cuda.stream(s):</c>), else the legacy default stream.
/// Streams are created blocking (they synchronise with the default stream), so host reads, which run on the default
/// stream, always see the work issued before them. Memory freed on one stream is reused only by allocations on that
/// stream; a tensor that work on another stream also uses is marked with
/// <see cref="CudaTensorExtensions.RecordStream"/> (<c>Tensor.record_stream</c>) so its memory waits for that work.
/// </summary>
public sealed class CudaStream : IDisposable
{
    [ThreadStatic] static List<CudaStream>? scopes;

    internal readonly CudaDevice Owner;
    nint handle;

    /// <summary>A new stream on <c>cuda:<paramref name="device"/></c>.</summary>
    public CudaStream(int device = 0) : this(CudaBackend.DeviceOf(device)) { }

    internal CudaStream(CudaDevice device)
    {
        Owner = device;
        handle = Owner.Bound().CreateStream();
    }

    /// <summary>The device the stream belongs to.</summary>
    public Device Device => Owner.Device;

    internal nint Handle => handle != 0 ? handle : throw new ObjectDisposedException(nameof(CudaStream));

    /// <summary>The stream work on <paramref name="device"/> goes to on this thread, or 0 for the legacy default stream.</summary>
    internal static nint CurrentHandle(CudaDevice device)
    {
        if (scopes is not { Count: > 0 } s) return 0;
        for (int i = s.Count - 1; i >= 0; i--)
            if (s[i].Owner == device) return s[i].Handle;
        return 0;
    }

    /// <summary>The stream ops on <c>cuda:<paramref name="device"/></c> use on this thread (<c>torch.cuda.current_stream</c>); null for the default stream.</summary>
    public static CudaStream? Current(int device = 0)
    {
        if (scopes is not { Count: > 0 } s) return null;
        for (int i = s.Count - 1; i >= 0; i--)
            if (s[i].Owner.Index == device) return s[i];
        return null;
    }

    /// <summary>Makes this the current stream of its device on this thread until the scope is disposed (<c>torch.cuda.stream(s)</c>).</summary>
    public IDisposable Use()
    {
        _ = Handle;
        (scopes ??= []).Add(this);
        return new Scope(this);
    }

    sealed class Scope(CudaStream stream) : IDisposable
    {
        bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            int i = scopes?.LastIndexOf(stream) ?? -1;
            if (i >= 0) scopes!.RemoveAt(i);
        }
    }

    /// <summary>Waits until every op issued on this stream is done (<c>Stream.synchronize</c>).</summary>
    public void Synchronize() => Owner.Bound().SynchronizeStream(Handle);

    /// <summary>Makes work issued later on this stream wait for <paramref name="e"/> (<c>Stream.wait_event</c>).</summary>
    public void WaitEvent(CudaEvent e) => Owner.Bound().StreamWaitEvent(Handle, e.Handle);

    /// <summary>Makes work issued later on this stream wait for what <paramref name="other"/> has been given so far (<c>Stream.wait_stream</c>).</summary>
    public void WaitStream(CudaStream other)
    {
        using var e = new CudaEvent(enableTiming: false);
        e.Record(other);
        WaitEvent(e);
    }

    /// <summary>Records <paramref name="e"/> (a new event when null) on this stream and returns it (<c>Stream.record_event</c>).</summary>
    public CudaEvent RecordEvent(CudaEvent? e = null)
    {
        e ??= new CudaEvent();
        e.Record(this);
        return e;
    }

    /// <summary>Destroys the stream once its work is done.</summary>
    public void Dispose()
    {
        if (handle == 0) return;
        var d = Owner.Bound();
        d.SynchronizeStream(handle);
        Owner.RetireStream(handle);
        d.DestroyStream(handle);
        handle = 0;
    }
}

/// <summary>
/// A CUDA event (<c>torch.cuda.Event</c>): a marker in a stream, to wait for or to time work between two of them.
/// Created on its first <see cref="Record"/>, on the recording stream's device.
/// </summary>
/// <param name="enableTiming">Whether <see cref="ElapsedTime"/> may be used (<c>enable_timing</c>; off by default, as in PyTorch).</param>
public sealed class CudaEvent(bool enableTiming = false) : IDisposable
{
    CudaDevice? owner;
    nint handle;

    /// <summary>Whether the event records time.</summary>
    public bool EnableTiming { get; } = enableTiming;

    internal nint Handle => handle != 0 ? handle
        : throw new InvalidOperationException("the CUDA event was never recorded (record it on a stream first)");

    /// <summary>The driver, bound to the event's device (the event must have been recorded).</summary>
    Native.CuDriver Driver => (handle != 0 ? owner! : throw new InvalidOperationException("the CUDA event was never recorded (record it on a stream first)")).Bound();

    /// <summary>Records the event on <paramref name="stream"/>, or on the current stream of <c>cuda:0</c> (<c>Event.record</c>).</summary>
    public void Record(CudaStream? stream = null)
    {
        var device = stream?.Owner ?? owner ?? CudaBackend.DeviceOf(0);
        if (owner is not null && owner != device)
            throw new ArgumentException($"the event was recorded on {owner.Device} and cannot be recorded on {device.Device}");
        var d = device.Bound();
        if (handle == 0)
        {
            handle = d.CreateEvent(EnableTiming);
            owner = device;
        }
        d.RecordEvent(handle, stream?.Handle ?? CudaStream.CurrentHandle(device));
    }

    /// <summary>Waits until the work before the event is done (<c>Event.synchronize</c>).</summary>
    public void Synchronize() => Driver.SynchronizeEvent(handle);

    /// <summary>True when the work before the event is done (<c>Event.query</c>); true for an event never recorded.</summary>
    public bool Query() => handle == 0 || owner!.Bound().QueryEvent(handle);

    /// <summary>Makes work issued later on <paramref name="stream"/> (or the current stream) wait for this event (<c>Event.wait</c>).</summary>
    public void Wait(CudaStream? stream = null)
    {
        var d = Driver;
        d.StreamWaitEvent(stream?.Handle ?? CudaStream.CurrentHandle(owner!), handle);
    }

    /// <summary>Milliseconds from this event to <paramref name="end"/>, both recorded and complete (<c>Event.elapsed_time</c>).</summary>
    public float ElapsedTime(CudaEvent end)
    {
        if (!EnableTiming || !end.EnableTiming)
            throw new InvalidOperationException("Both events must be created with argument 'enable_timing=True'.");
        return Driver.ElapsedMilliseconds(handle, end.Handle);
    }

    /// <summary>Destroys the event.</summary>
    public void Dispose()
    {
        if (handle == 0) return;
        Driver.DestroyEvent(handle);
        handle = 0;
    }
}
