using Ignis.Backends;

namespace Ignis;

/// <summary>
/// Deterministic release for users who want it (TorchSharp's <c>DisposeScope</c>): every storage created on this thread
/// while the scope is the innermost one is disposed when the scope is — so a training step wrapped in a scope returns
/// all its activations and temporaries to the allocator at once, with no garbage collection. Storages of tensors
/// created before the scope (parameters, optimizer state, views of them) are never touched. Keep a result past the
/// scope with <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>. Gradients
/// accumulated into leaves and optimizer state are detached automatically.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] static DisposeScope? current;
    [ThreadStatic] static int suspended;
    // Scopes open on any thread: while none is, creating a storage reads no thread-local state (a thread-static read
    // costs a call into the loader's TLS lookup here, which every small tensor paid).
    static int open;

    readonly DisposeScope? outer;
    readonly HashSet<Storage> storages = new(ReferenceEqualityComparer.Instance);
    bool disposed;

    DisposeScope()
    {
        outer = current;
        current = this;
        Interlocked.Increment(ref open);
    }

    /// <summary>Opens a scope on this thread (<c>torch.NewDisposeScope()</c> in TorchSharp).</summary>
    public static DisposeScope Enter() => new();

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static DisposeScope? Current => current;

    /// <summary>
    /// <see cref="Suspend"/> for the library's own short-lived storages, or null (nothing to suspend, no thread-static
    /// touched) while no scope is open on any thread.
    /// </summary>
    internal static IDisposable? SuspendIfOpen() => Volatile.Read(ref open) != 0 ? Suspend() : null;

    /// <summary>Storages this scope will dispose.</summary>
    public int Count => storages.Count;

    internal static void Track(Storage s)
    {
        if (Volatile.Read(ref open) != 0 && current is { } c && suspended == 0) c.storages.Add(s);
    }

    /// <summary>Until disposed, new storages belong to no scope (state that outlives the step, such as optimizer moments).</summary>
    public static IDisposable Suspend()
    {
        suspended++;
        return new Resume();
    }

    sealed class Resume : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            suspended--;
        }
    }

    /// <summary>Removes a storage from every open scope of this thread, so no scope disposes it.</summary>
    internal static void Detach(Storage s)
    {
        for (var sc = current; sc is not null; sc = sc.outer) sc.storages.Remove(s);
    }

    /// <summary>Moves a storage from this thread's scopes to the one outside the scope that holds it.</summary>
    internal static void MoveOut(Storage s)
    {
        for (var sc = current; sc is not null; sc = sc.outer)
            if (sc.storages.Remove(s))
            {
                sc.outer?.storages.Add(s);
                return;
            }
    }

    /// <summary>Disposes every storage created in the scope (except those moved out) and closes it.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Interlocked.Decrement(ref open);
        if (current == this) current = outer;
        foreach (var s in storages) s.Dispose();
        storages.Clear();
    }
}
