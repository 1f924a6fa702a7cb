using System.Diagnostics;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Notifications.Api.Workers;

/// <summary>
/// Sends due reminders. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c> in batches and leased, so any number of
/// replicas dispatch side by side, each row by one of them; a replica that dies mid-send gives its rows back when the
/// lease runs out. It sleeps until the next due time (by <see cref="TimeProvider"/>) or until a nearer reminder is planned
/// (<see cref="PlannedListener"/>), so no polling interval adds to the lateness.
/// </summary>
public sealed partial class ReminderDispatcher(
    IServiceScopeFactory scopes,
    IEnumerable<IReminderChannel> channels,
    DispatchSignal signal,
    TimeProvider time,
    IOptions<DispatcherOptions> options,
    ILogger<ReminderDispatcher> logger) : BackgroundService
{
    private static readonly string Instance = $"{Environment.MachineName}/{Environment.ProcessId}";
    private readonly Dictionary<Channel, IReminderChannel> _channels = channels.ToDictionary(c => c.Channel);
    private readonly DispatcherOptions _options = options.Value;

    /// <summary>When the background loop will look again, while it sleeps (observable for tests and diagnostics).</summary>
    public DateTimeOffset? SleepingUntil { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchDueAsync(stoppingToken) >= _options.BatchSize)
                {
                    continue; // more are due right now
                }
                failures = 0;
                var next = await NextWakeAsync(stoppingToken);
                SleepingUntil = next;
                await signal.WaitAsync(next, time, stoppingToken);
                SleepingUntil = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                LogDispatchFailed(logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 100 * Math.Pow(2, Math.Min(failures, 7)))), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The earlier of the next due reminder and the next lease to run out, capped by the safety wake.</summary>
    internal async Task<DateTimeOffset> NextWakeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var due = await db.Reminders.Where(r => r.Status == ReminderStatus.Scheduled).MinAsync(r => (DateTimeOffset?)r.DueAt, cancellationToken);
        var lease = await db.Reminders.Where(r => r.Status == ReminderStatus.Sending).MinAsync(r => r.LeaseUntil, cancellationToken);
        var wake = time.GetUtcNow() + _options.SafetyWake;
        foreach (var candidate in new[] { due, lease })
        {
            if (candidate is { } at && at < wake)
            {
                wake = at;
            }
        }
        return wake;
    }

    /// <summary>Claims one batch of due rows, delivers them and records the outcomes; returns how many it claimed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var started = Stopwatch.GetTimestamp();
        var (token, claimed) = await ClaimAsync(db, cancellationToken);
        if (claimed.Count == 0)
        {
            return 0;
        }
        var claimedAt = Stopwatch.GetElapsedTime(started);

        var userIds = claimed.Select(r => r.UserId).Distinct().ToList();
        var profiles = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.UserId)).ToDictionaryAsync(u => u.UserId, cancellationToken);
        var now = time.GetUtcNow();
        using var gate = new SemaphoreSlim(_options.Concurrency);
        var outcomes = await Task.WhenAll(claimed.Select(async reminder =>
        {
            var profile = profiles.GetValueOrDefault(reminder.UserId) ?? UserProfile.Default(reminder.UserId);
            await gate.WaitAsync(cancellationToken);
            try
            {
                return await DeliverAsync(reminder, profile, now, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        var deliveredAt = Stopwatch.GetElapsedTime(started);
        await CompleteAsync(db, token, outcomes, cancellationToken);
        var completedAt = Stopwatch.GetElapsedTime(started);
        LogBatch(logger, claimed.Count, claimedAt, deliveredAt - claimedAt, completedAt - deliveredAt);
        return claimed.Count;
    }

    /// <summary>Marks due rows (and rows whose lease ran out) <c>sending</c> under a fresh lease token, in one short transaction.</summary>
    internal async Task<(Guid Token, List<Reminder> Claimed)> ClaimAsync(NotificationsDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = Guid.NewGuid();
        var leaseUntil = now + _options.Lease;
        var claimed = await db.Reminders.FromSql($"""
            UPDATE reminder_queue AS r
            SET status = 'sending', lease_until = {leaseUntil}, lease_token = {token}, attempts = r.attempts + 1, updated_at = {now}
            FROM (
                SELECT id FROM reminder_queue
                WHERE (status = 'scheduled' AND due_at <= {now}) OR (status = 'sending' AND lease_until <= {now})
                ORDER BY due_at
                LIMIT {_options.BatchSize}
                FOR UPDATE SKIP LOCKED
            ) AS due
            WHERE r.id = due.id
            RETURNING r.*
            """).AsNoTracking().ToListAsync(cancellationToken);
        return (token, claimed);
    }

    private async Task<Outcome> DeliverAsync(Reminder reminder, UserProfile profile, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (reminder.Kind != ReminderKind.FollowUp && reminder.EventStartsAt is { } start && now > start + _options.MissedGrace)
        {
            return new Outcome(reminder, profile, null, LogOutcomes.Missed, null, null, false, 0);
        }
        if (reminder.Attempts > _options.MaxAttempts)
        {
            // Taken over after leases ran out again and again (a crash loop): stop.
            return new Outcome(reminder, profile, null, LogOutcomes.Failed, null, reminder.LastError ?? "Too many attempts.", true, 0);
        }
        if (!_channels.TryGetValue(reminder.Channel, out var channel))
        {
            return new Outcome(reminder, profile, null, LogOutcomes.Failed, null, $"No {WireName.Of(reminder.Channel)} channel is configured.", true, 0);
        }

        var delivery = new Delivery(reminder, profile, ReminderText.For(reminder, profile), reminder.IdempotencyKey, now);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var providerId = await channel.SendAsync(delivery, cancellationToken);
            return new Outcome(reminder, profile, delivery.Text, LogOutcomes.Sent, providerId, null, false, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var permanent = ex is ChannelException { Permanent: true };
            LogDeliveryFailed(logger, ex, reminder.Id, WireName.Of(reminder.Channel), reminder.Attempts);
            return new Outcome(reminder, profile, delivery.Text, LogOutcomes.Retry, null, ex.Message, permanent, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Records every outcome in one transaction, but only for rows this claim still holds (checked by lease token in the
    /// same statement that writes them): a row re-planned or taken over meanwhile belongs to someone else now. The new
    /// state comes from the entity's methods; it is written set-based (one UPDATE, one INSERT of logs) because a batch
    /// is hundreds of rows.
    /// </summary>
    private async Task CompleteAsync(NotificationsDbContext db, Guid token, Outcome[] outcomes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var outcome in outcomes)
        {
            var reminder = outcome.Reminder;
            switch (outcome.Result)
            {
                case LogOutcomes.Sent:
                    reminder.MarkSent(now);
                    break;
                case LogOutcomes.Missed:
                    reminder.MarkMissed(now);
                    break;
                default:
                    var retryAt = outcome.Result == LogOutcomes.Retry && !outcome.Permanent && reminder.Attempts < _options.MaxAttempts
                        ? now + Backoff(reminder.Attempts)
                        : (DateTimeOffset?)null;
                    reminder.MarkAttemptFailed(outcome.Error ?? "Delivery failed.", retryAt, now);
                    break;
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var ids = outcomes.Select(o => o.Reminder.Id).ToArray();
        var statuses = outcomes.Select(o => WireName.Of(o.Reminder.Status)).ToArray();
        var dues = outcomes.Select(o => o.Reminder.DueAt.UtcDateTime).ToArray();
        var errors = outcomes.Select(o => o.Reminder.LastError).ToArray();
        var held = (await db.Database.SqlQuery<Guid>($"""
            UPDATE reminder_queue AS r
            SET status = u.status, due_at = u.due_at, last_error = u.last_error,
                sent_at = CASE WHEN u.status = 'sent' THEN {now} ELSE r.sent_at END,
                lease_until = NULL, lease_token = NULL, updated_at = {now}
            FROM unnest({ids}, {statuses}, {dues}, {errors}) AS u(id, status, due_at, last_error)
            WHERE r.id = u.id AND r.lease_token = {token}
            RETURNING r.id AS "Value"
            """).ToListAsync(CancellationToken.None)).ToHashSet();

        var results = outcomes.Select(o => o.Reminder.Status switch
        {
            ReminderStatus.Sent => LogOutcomes.Sent,
            ReminderStatus.Missed => LogOutcomes.Missed,
            ReminderStatus.Failed => LogOutcomes.Failed,
            _ => LogOutcomes.Retry,
        }).ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO reminder_logs (reminder_id, user_id, event_id, kind, channel, attempt, outcome, error, latency_ms, lateness_ms,
                                       provider_response_id, idempotency_key, dispatched_by, at)
            SELECT * , {Instance}, {now} FROM unnest(
                {ids}, {outcomes.Select(o => o.Reminder.UserId).ToArray()}, {outcomes.Select(o => o.Reminder.EventId).ToArray()},
                {outcomes.Select(o => WireName.Of(o.Reminder.Kind)).ToArray()}, {outcomes.Select(o => WireName.Of(o.Reminder.Channel)).ToArray()},
                {outcomes.Select(o => o.Reminder.Attempts).ToArray()}, {results},
                {outcomes.Select(o => Truncate(held.Contains(o.Reminder.Id) ? o.Error : $"lease lost before completing; {o.Error}")).ToArray()},
                {outcomes.Select(o => o.LatencyMs).ToArray()}, {outcomes.Select(o => (now - o.Reminder.TriggerAt).TotalMilliseconds).ToArray()},
                {outcomes.Select(o => o.ProviderId).ToArray()}, {outcomes.Select(o => o.Reminder.IdempotencyKey).ToArray()})
            """, CancellationToken.None);

        var scheduler = new ReminderScheduler(db, time);
        var replanned = false;
        foreach (var outcome in outcomes.Where(o => o.Reminder.Status == ReminderStatus.Sent && held.Contains(o.Reminder.Id)))
        {
            var reminder = outcome.Reminder;
            var endsAt = reminder.Kind == ReminderKind.FollowUp ? (await db.Events.FindAsync([reminder.EventId], cancellationToken))?.EndsAt : null;
            Announce(db, reminder, outcome.Profile, outcome.Text ?? ReminderText.For(reminder, outcome.Profile), endsAt, now);
            if (reminder is { Kind: ReminderKind.Habit, HabitId: { } habitId }
                && await db.Habits.FindAsync([habitId], cancellationToken) is { } habit
                && ReminderPlanner.NextHabitOccurrence(habit, reminder.EventStartsAt ?? now) is { } next)
            {
                replanned |= await scheduler.PlanOccurrenceAsync(habit, next, await scheduler.RecipientAsync(habit.UserId, cancellationToken), cancellationToken);
            }
        }
        await db.SaveChangesAsync(CancellationToken.None);
        if (replanned)
        {
            await scheduler.NotifyDispatchersAsync(CancellationToken.None);
        }
        await transaction.CommitAsync(CancellationToken.None);
        LogDispatched(logger, outcomes.Length, held.Count);
    }

    /// <summary>In-app delivery and the record Goals and Chat follow: one event per sent reminder, committed with the row.</summary>
    private static void Announce(NotificationsDbContext db, Reminder reminder, UserProfile profile, ReminderText text, DateTimeOffset? eventEndsAt, DateTimeOffset now)
    {
        if (reminder.Kind == ReminderKind.FollowUp)
        {
            db.AddOutboxMessage(new FollowUpDue
            {
                FollowUpId = reminder.Id,
                EventId = reminder.EventId,
                UserId = reminder.UserId,
                EventTitle = reminder.Title,
                EventStartsAt = reminder.EventStartsAt,
                EventEndsAt = eventEndsAt,
                Question = text.Text,
                Locale = profile.Locale,
                DueAt = reminder.TriggerAt,
                OccurredAt = now,
            }, now);
            return;
        }
        db.AddOutboxMessage(new ReminderDelivered
        {
            ReminderId = reminder.Id,
            EventId = reminder.EventId,
            UserId = reminder.UserId,
            Channel = WireName.Of(reminder.Channel),
            Offset = reminder.Offset,
            Title = reminder.Title,
            Text = text.Text,
            EventStartsAt = reminder.EventStartsAt,
            DeliveredAt = now,
        }, now);
    }

    /// <summary>Exponential back-off with ±20 % jitter, so retries of one outage do not arrive together.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var exponential = _options.RetryBase.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exponential, _options.RetryMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static string? Truncate(string? value) => value is null || value.Length <= 2000 ? value : value[..2000];

    private sealed record Outcome(Reminder Reminder, UserProfile Profile, ReminderText? Text, string Result, string? ProviderId, string? Error, bool Permanent, double LatencyMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatching reminders failed; retrying")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering reminder {ReminderId} over {Channel} failed (attempt {Attempt})")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid reminderId, string channel, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch of {Count}: claim {Claim}, deliver {Deliver}, complete {Complete}")]
    private static partial void LogBatch(ILogger logger, int count, TimeSpan claim, TimeSpan deliver, TimeSpan complete);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dispatched {Count} reminder(s), {Held} still held at completion")]
    private static partial void LogDispatched(ILogger logger, int count, int held);
}
