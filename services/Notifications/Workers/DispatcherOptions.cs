namespace Aimi.Notifications.Api.Workers;

public sealed class DispatcherOptions
{
    public const string Section = "Notifications:Dispatcher";

    /// <summary>Off in tests that drive dispatchers by hand.</summary>
    public bool Enabled { get; set; } = true;
    public int BatchSize { get; set; } = 500;
    /// <summary>
    /// How many network deliveries (SMTP, HTTP) a replica runs at once, across batches. A claim takes no more network rows
    /// than there are free slots, so the rest wait in the queue for any replica rather than behind a busy one; in-app needs none.
    /// </summary>
    public int Concurrency { get; set; } = 32;
    /// <summary>How long a claim holds a row; a replica that died mid-send gives its rows back after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// How long a network delivery may take, counted from the claim: a channel still busy then is given up and the row
    /// retried. At most half the <see cref="Lease"/>, so the outcome is written while the claim still holds the row and
    /// no other replica sends it meanwhile.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Attempts per reminder, the first included, before it is <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 5;
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>A reminder still unsent this long after its event started is <c>missed</c>, never sent late.</summary>
    public TimeSpan MissedGrace { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>
    /// Re-reads the queue this often even when nothing woke it (a lost LISTEN connection). A reminder planned to fall due
    /// later than this is not notified at all (<see cref="Data.ReminderScheduler.NotifyDispatchersAsync"/>): every dispatcher
    /// wakes and reads the queue before then. Keep it the same on every replica.
    /// </summary>
    public TimeSpan SafetyWake { get; set; } = TimeSpan.FromMinutes(5);
}
