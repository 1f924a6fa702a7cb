using Aimi.Messaging;

namespace Aimi.Notifications.Api.Workers;

/// <summary>
/// Wakes the dispatcher early, when a reminder nearer than the one it sleeps towards was planned. A plan further away
/// wakes nothing: the dispatcher reads the next due time again when it wakes, so a day-ahead reminder costs no pass
/// (issue 17).
/// </summary>
public sealed class DispatchSignal : WakeUpSignal
{
    private const long Awake = long.MinValue;

    // The UTC ticks the dispatcher sleeps until, or Awake while it runs a pass (a plan then could be missed by the pass's
    // own reading of the next due time, so it always wakes the next wait).
    private long _sleepingUntil = Awake;

    /// <summary>The time the dispatcher sleeps until, while it sleeps; null while it runs a pass.</summary>
    public DateTimeOffset? SleepingUntil => Interlocked.Read(ref _sleepingUntil) is var until and not Awake ? new DateTimeOffset(until, TimeSpan.Zero) : null;

    /// <summary>Returns at <paramref name="until"/> (by <paramref name="time"/>), or earlier when notified.</summary>
    public async Task WaitAsync(DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = until - time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }
        Interlocked.Exchange(ref _sleepingUntil, until.UtcTicks);
        try
        {
            await WaitAsync(delay, time, cancellationToken);
        }
        finally
        {
            Interlocked.Exchange(ref _sleepingUntil, Awake);
        }
    }

    /// <summary>
    /// A reminder due at <paramref name="due"/> was planned: wakes the dispatcher unless it sleeps until no later than that. An
    /// unknown due time (null: a notification without one, from an older replica) always wakes it.
    /// </summary>
    public void Planned(DateTimeOffset? due)
    {
        if (due is not { } at || Wakes(at))
        {
            Notify();
        }
    }

    /// <summary>Whether a reminder due at <paramref name="due"/> is one the dispatcher must wake for: it runs, or sleeps past it.</summary>
    public bool Wakes(DateTimeOffset due)
    {
        var until = Interlocked.Read(ref _sleepingUntil);
        return until == Awake || due.UtcTicks < until;
    }
}
