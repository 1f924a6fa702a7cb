namespace Aimi.Notifications.Api.Workers;

public sealed class DispatcherOptions
{
    public const string Section = "Notifications:Dispatcher";

    /// <summary>Off in tests that drive dispatchers by hand.</summary>
    public bool Enabled { get; set; } = true;
    public int BatchSize { get; set; } = 500;
    /// <summary>How many deliveries of a batch run at once (SMTP, HTTP); in-app needs none.</summary>
    public int Concurrency { get; set; } = 32;
    /// <summary>How long a claim holds a row; a replica that died mid-send gives its rows back after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Attempts per reminder, the first included, before it is <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 5;
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>A reminder still unsent this long after its event started is <c>missed</c>, never sent late.</summary>
    public TimeSpan MissedGrace { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Re-reads the queue this often even when nothing woke it (a lost LISTEN connection); no reminder waits for it.</summary>
    public TimeSpan SafetyWake { get; set; } = TimeSpan.FromMinutes(5);
}
