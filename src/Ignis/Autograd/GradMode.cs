namespace Ignis.Autograd;

/// <summary>Thread-local switch for gradient recording (<c>torch.is_grad_enabled</c>).</summary>
public static class GradMode
{
    [ThreadStatic] static bool disabled;

    /// <summary>True when operations record gradient functions on this thread.</summary>
    public static bool IsEnabled
    {
        get => !disabled;
        set => disabled = !value;
    }

    /// <summary>Sets the mode until the returned scope is disposed.</summary>
    public static IDisposable Set(bool enabled) => new Scope(enabled);

    sealed class Scope : IDisposable
    {
        readonly bool previous;
        bool done;

        public Scope(bool enabled)
        {
            previous = IsEnabled;
            IsEnabled = enabled;
        }

        public void Dispose()
        {
            if (done) return;
            done = true;
            IsEnabled = previous;
        }
    }
}
