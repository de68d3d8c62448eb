using LedgerContrast.Shared.Storage;

namespace LedgerContrast.CentralBank.Tests.Harness;

/// <summary>Holds the writer inside storage, once armed, until released: a slow disk.</summary>
public sealed class StallingWrite : IStorageFaultInjector, IDisposable
{
    private readonly SemaphoreSlim _release = new(0);
    private volatile bool _armed;

    public bool Armed
    {
        get => _armed;
        set => _armed = value;
    }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Before(StorageStep step)
    {
        if (_armed && step == StorageStep.Write)
        {
            _armed = false;
            Entered.TrySetResult();
            _release.Wait(TimeSpan.FromSeconds(60));
        }
    }

    public void Release() => _release.Release();

    public void Dispose() => _release.Dispose();
}
