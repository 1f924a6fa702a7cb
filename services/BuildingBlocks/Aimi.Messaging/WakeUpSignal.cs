namespace Aimi.Messaging;

/// <summary>
/// Wakes a background loop early (the outbox relay after a commit, the reminder dispatcher when a nearer reminder is
/// planned); many notifications before the loop wakes collapse into one wake-up.
/// </summary>
public abstract class WakeUpSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Takes a pending wake-up without waiting: true when one was pending (how a test sees whether something woke the loop).</summary>
    public bool TryTake() => _signal.Wait(0);

    /// <summary>Returns after <paramref name="timeout"/> (by <paramref name="time"/>), or earlier when notified.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _signal.WaitAsync(linked.Token);
        var elapsed = Task.Delay(timeout, time, linked.Token);
        await Task.WhenAny(woken, elapsed);
        await linked.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        _signal.Dispose();
        GC.SuppressFinalize(this);
    }
}
