namespace Aimi.Notifications.Api.Workers;

/// <summary>Wakes the dispatcher early: a reminder nearer than the one it sleeps towards was planned.</summary>
public sealed class DispatchSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        // Many plans before the dispatcher wakes collapse into one wake-up.
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Returns at <paramref name="until"/> (by <paramref name="time"/>), or earlier when notified.</summary>
    public async Task WaitAsync(DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = until - time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _signal.WaitAsync(linked.Token);
        var elapsed = Task.Delay(delay, time, linked.Token);
        await Task.WhenAny(woken, elapsed);
        await linked.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose() => _signal.Dispose();
}
