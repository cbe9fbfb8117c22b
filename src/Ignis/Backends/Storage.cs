namespace Ignis.Backends;

/// <summary>
/// A flat buffer of elements owned by one backend; tensors are strided views over it. Storage is disposable:
/// <see cref="Dispose"/> (directly, through <see cref="Tensor.Dispose"/> or a <see cref="DisposeScope"/>) hands the memory
/// back to the backend's allocator at once; a storage nobody disposed is reclaimed by the garbage collector, and the
/// finalizer of one that borrowed its memory (<see cref="ReleaseFromFinalizer"/>) only queues it for the allocator. A
/// plain training loop needs no Dispose.
/// </summary>
public abstract class Storage : IDisposable
{
    int disposed;

    /// <summary>Creates storage metadata; a storage created inside a <see cref="DisposeScope"/> belongs to it.</summary>
    protected Storage(Device device, DType dtype, long length)
    {
        Device = device;
        DType = dtype;
        Length = length;
        Id = Interlocked.Increment(ref nextId);
        DisposeScope.Track(this);
    }

    static long nextId;

    /// <summary>The id the next storage will get; storages with ids at or above a mark were created after it.</summary>
    internal static long NextId => Interlocked.Read(ref nextId) + 1;

    /// <summary>Creation order, used by autograd to tell freshly computed gradients from shared ones.</summary>
    internal long Id { get; }

    long version;

    /// <summary>
    /// How many in-place writes the elements have had (PyTorch's version counter, <c>tensor._version</c>): every tensor
    /// over this storage — views, detached aliases — shares it; autograd compares it with the version a saved tensor had.
    /// </summary>
    public long Version => Interlocked.Read(ref version);

    /// <summary>Counts one in-place write (each in-place op calls this once, as PyTorch's <c>bump_version</c>).</summary>
    internal void BumpVersion() => Interlocked.Increment(ref version);

    /// <summary>Where the elements live.</summary>
    public Device Device { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>True once the memory went back to the allocator; tensors over this storage can no longer be used.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0;

    /// <summary>Returns the memory to the backend's allocator now (idempotent). Every view of this storage becomes unusable.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        Release(finalizing: false);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// For the finalizer of a storage that borrows memory from an allocator (declared by such subclasses only: allocating
    /// an object with a finalizer registers it with the GC, a cost every small tensor paid when the base had one):
    /// queues the memory of a storage nobody disposed; never calls a device API.
    /// </summary>
    protected void ReleaseFromFinalizer()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) Release(finalizing: true);
    }

    /// <summary>
    /// Hands the memory back. From <see cref="Dispose"/> (<paramref name="finalizing"/> false) the block may be reused at
    /// once; from the finalizer it must only be queued (e.g. <see cref="CachingAllocator{TBlock}.FreeFromFinalizer"/>).
    /// </summary>
    protected virtual void Release(bool finalizing) { }
}
