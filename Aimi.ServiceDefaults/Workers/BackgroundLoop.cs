using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.ServiceDefaults.Workers;

/// <summary>
/// The one shape of every background loop in Aimi (outbox relay, reminder dispatcher, planned-reminder listener, import
/// worker, memory cleanup, idle-session sweeper): run a pass, wait as the pass asks, repeat. A pass that throws is
/// logged and retried after a back-off (200 ms doubling to <see cref="MaxBackoff"/>) measured on the
/// <see cref="TimeProvider"/>; whatever it throws, the loop never dies, and only the host's stopping ends it.
/// </summary>
public abstract partial class BackgroundLoop(TimeProvider time, ILogger logger) : BackgroundService
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>The name the loop's failures are logged under.</summary>
    protected abstract string LoopName { get; }

    /// <summary>The longest wait after repeated failures.</summary>
    protected virtual TimeSpan MaxBackoff => TimeSpan.FromSeconds(30);

    /// <summary>Failures since the last pass that went through (observable for tests and diagnostics).</summary>
    public int ConsecutiveFailures { get; private set; }

    protected TimeProvider Time { get; } = time;

    /// <summary>A loop switched off by its settings does not run at all.</summary>
    protected virtual bool Enabled => true;

    /// <summary>
    /// Tells the loop that a pass that lasts (a connection held open) got going: a later failure backs off from the start
    /// again instead of from where the last outage left it.
    /// </summary>
    protected void Connected() => ConsecutiveFailures = 0;

    /// <summary>One pass of the loop; says how to wait before the next.</summary>
    protected abstract Task<LoopWait> RunPassAsync(CancellationToken stoppingToken);

    /// <summary>Waits as a pass asked (a signal may cut it short); by default the delay on <see cref="Time"/>.</summary>
    protected virtual Task WaitAsync(LoopWait wait, CancellationToken stoppingToken) => Task.Delay(wait.Delay, Time, stoppingToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = await RunPassAsync(stoppingToken);
                ConsecutiveFailures = 0;
                if (wait.Delay > TimeSpan.Zero)
                {
                    await WaitAsync(wait, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ConsecutiveFailures++;
                var backoff = Backoff(ConsecutiveFailures, MaxBackoff);
                LogPassFailed(logger, ex, LoopName, ConsecutiveFailures, backoff.TotalMilliseconds);
                try
                {
                    await Task.Delay(backoff, Time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>200 ms after the first failure, doubling, at most <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var doubled = FirstBackoff * Math.Pow(2, Math.Min(Math.Max(failures, 1) - 1, 16));
        return doubled < max ? doubled : max;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Loop} failed ({Failures} in a row); retrying in {BackoffMs} ms")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string loop, int failures, double backoffMs);
}

/// <summary>How a loop waits before its next pass: not at all (more work is waiting), or up to a delay.</summary>
public readonly record struct LoopWait(TimeSpan Delay)
{
    public static LoopWait None => new(TimeSpan.Zero);

    public static LoopWait For(TimeSpan delay) => new(delay);

    public static LoopWait Until(DateTimeOffset at, TimeProvider time)
    {
        var delay = at - time.GetUtcNow();
        return new LoopWait(delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
    }
}
