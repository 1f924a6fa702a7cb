using Aimi.Messaging;

namespace Aimi.Notifications.Api.Workers;

/// <summary>Wakes the dispatcher early: a reminder nearer than the one it sleeps towards was planned.</summary>
public sealed class DispatchSignal : WakeUpSignal
{
    /// <summary>Returns at <paramref name="until"/> (by <paramref name="time"/>), or earlier when notified.</summary>
    public Task WaitAsync(DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = until - time.GetUtcNow();
        return delay <= TimeSpan.Zero ? Task.CompletedTask : WaitAsync(delay, time, cancellationToken);
    }
}
