using System.Diagnostics;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Notifications.Api.Workers;

/// <summary>
/// Sends due reminders. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c> and leased, so any number of replicas dispatch
/// side by side, each row by one of them; a replica that dies mid-send gives its rows back when the lease runs out.
/// In-app rows (and rows settled without a channel: missed, out of attempts) are recorded together right after the claim.
/// A network delivery (e-mail, web push, webhook) takes one of <see cref="DispatcherOptions.Concurrency"/> slots, must
/// finish within <see cref="DispatcherOptions.DeliveryTimeout"/> of the claim (well inside the lease), and records its own
/// outcome the moment it ends; a claim takes no more of them than there are free slots, and the loop goes on claiming while
/// they run, so one user's slow channel holds up no one else's reminder. It sleeps until the next due time (by
/// <see cref="TimeProvider"/>), until a nearer reminder is planned (<see cref="PlannedListener"/>) or until a slot frees
/// while rows wait for one, so no polling interval adds to the lateness.
/// </summary>
public sealed partial class ReminderDispatcher(
    IServiceScopeFactory scopes,
    IEnumerable<IReminderChannel> channels,
    DispatchSignal signal,
    TimeProvider time,
    IOptions<DispatcherOptions> options,
    ILogger<ReminderDispatcher> logger) : BackgroundLoop(time, logger)
{
    private static readonly string Instance = $"{Environment.MachineName}/{Environment.ProcessId}";
    private readonly Dictionary<Channel, IReminderChannel> _channels = channels.ToDictionary(c => c.Channel);
    private readonly DispatcherOptions _options = options.Value;
    /// <summary>Network deliveries in flight, across batches.</summary>
    private readonly SemaphoreSlim _slots = new(options.Value.Concurrency);

    /// <summary>When the background loop will look again, while it sleeps (observable for tests and diagnostics).</summary>
    public DateTimeOffset? SleepingUntil => signal.SleepingUntil;

    /// <summary>Deliveries of earlier batches still running (touched by the loop only; awaited when the host stops).</summary>
    private readonly List<Task> _running = [];

    protected override string LoopName => "Reminder dispatch";

    protected override TimeSpan MaxBackoff => TimeSpan.FromSeconds(10);

    protected override bool Enabled => _options.Enabled;

    /// <summary>Passes run so far (observable for tests and diagnostics: a plan further away than its sleep must not add one).</summary>
    public int Passes => _passes;

    private int _passes;

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _passes);
        _running.RemoveAll(t => t.IsCompleted);
        var batch = await StartBatchAsync(stoppingToken);
        _running.Add(batch.Deliveries); // not awaited: each delivery records itself, the loop claims on
        if (batch.Claimed >= _options.BatchSize)
        {
            return LoopWait.None; // more are due right now
        }
        return LoopWait.Until(await NextWakeAsync(_slots.CurrentCount > 0, stoppingToken), Time);
    }

    // Until a time, not for a delay: the signal then knows which plans are nearer and worth waking for.
    protected override Task WaitAsync(LoopWait wait, CancellationToken stoppingToken) =>
        signal.WaitAsync(Time.GetUtcNow() + wait.Delay, Time, stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Cancelled with the stopping token, they end promptly and record nothing: their leases give the rows back.
        await Task.WhenAll(_running);
    }

    /// <summary>
    /// The earlier of the next due reminder and the next lease to run out, capped by the safety wake. Rows that need a
    /// delivery slot count only while one is free: when none is, the slot's release wakes the loop instead.
    /// </summary>
    internal async Task<DateTimeOffset> NextWakeAsync(bool slotFree, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var due = await db.Reminders.Where(r => r.Status == ReminderStatus.Scheduled && (slotFree || r.Channel == Channel.InApp))
            .MinAsync(r => (DateTimeOffset?)r.DueAt, cancellationToken);
        var lease = await db.Reminders.Where(r => r.Status == ReminderStatus.Sending && (slotFree || r.Channel == Channel.InApp))
            .MinAsync(r => r.LeaseUntil, cancellationToken);
        var wake = Time.GetUtcNow() + _options.SafetyWake;
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
        var batch = await StartBatchAsync(cancellationToken);
        await batch.Deliveries;
        return batch.Claimed;
    }

    /// <summary>
    /// Claims due rows, records those that need no network at once, and starts the network deliveries: the returned
    /// <see cref="Batch.Deliveries"/> ends when the last of them has recorded its outcome.
    /// </summary>
    internal async Task<Batch> StartBatchAsync(CancellationToken cancellationToken)
    {
        // Started before the claim, so no delivery of this batch runs past claim + DeliveryTimeout.
        var deadline = new CancellationTokenSource(_options.DeliveryTimeout, Time);
        var sending = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var deliveries = new List<Task>();
        int claimed;
        try
        {
            claimed = await ClaimAndStartAsync(deliveries, sending.Token, cancellationToken);
        }
        catch
        {
            // Deliveries already started still record themselves (by the deadline) before the failure surfaces.
            await EndAsync(deliveries, sending, deadline);
            throw;
        }
        return new Batch(claimed, EndAsync(deliveries, sending, deadline));
    }

    private async Task<int> ClaimAndStartAsync(List<Task> deliveries, CancellationToken deadline, CancellationToken cancellationToken)
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
        var now = Time.GetUtcNow();
        var immediate = new List<Outcome>();
        foreach (var reminder in claimed)
        {
            var profile = profiles.GetValueOrDefault(reminder.UserId) ?? UserProfile.Default(reminder.UserId);
            if (Settle(reminder, profile, now) is { } settled)
            {
                immediate.Add(settled);
            }
            else if (reminder.Channel == Channel.InApp)
            {
                immediate.Add(await SendAsync(_channels[Channel.InApp], reminder, profile, now, cancellationToken, cancellationToken));
            }
            else
            {
                deliveries.Add(DeliverAsync(token, _channels[reminder.Channel], reminder, profile, now, deadline, cancellationToken));
            }
        }
        if (immediate.Count > 0)
        {
            await CompleteAsync(db, token, immediate, cancellationToken);
        }
        var recordedAt = Stopwatch.GetElapsedTime(started);
        LogBatch(logger, claimed.Count, claimedAt, immediate.Count, recordedAt - claimedAt, deliveries.Count);
        return claimed.Count;
    }

    /// <summary>Ends once every delivery has recorded itself (they never throw), then lets go of the batch's deadline.</summary>
    private static async Task EndAsync(List<Task> deliveries, CancellationTokenSource sending, CancellationTokenSource deadline)
    {
        try
        {
            await Task.WhenAll(deliveries);
        }
        finally
        {
            sending.Dispose();
            deadline.Dispose();
        }
    }

    /// <summary>Claims with as many network rows as this replica has free delivery slots.</summary>
    internal Task<(Guid Token, List<Reminder> Claimed)> ClaimAsync(NotificationsDbContext db, CancellationToken cancellationToken) =>
        ClaimAsync(db, Math.Min(_slots.CurrentCount, _options.BatchSize), cancellationToken);

    /// <summary>
    /// Marks due rows (and rows whose lease ran out) <c>sending</c> under a fresh lease token, in one short statement: up
    /// to a batch of in-app rows and up to <paramref name="networkRows"/> of the others, each the earliest due first.
    /// </summary>
    private async Task<(Guid Token, List<Reminder> Claimed)> ClaimAsync(NotificationsDbContext db, int networkRows, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var token = Guid.NewGuid();
        var leaseUntil = now + _options.Lease;
        var inApp = WireName.Of(Channel.InApp);
        var claimed = await db.Reminders.FromSql($"""
            WITH in_app AS (
                SELECT id FROM reminder_queue
                WHERE ((status = 'scheduled' AND due_at <= {now}) OR (status = 'sending' AND lease_until <= {now})) AND channel = {inApp}
                ORDER BY due_at
                LIMIT {_options.BatchSize}
                FOR UPDATE SKIP LOCKED
            ), network AS (
                SELECT id FROM reminder_queue
                WHERE ((status = 'scheduled' AND due_at <= {now}) OR (status = 'sending' AND lease_until <= {now})) AND channel <> {inApp}
                ORDER BY due_at
                LIMIT {networkRows}
                FOR UPDATE SKIP LOCKED
            )
            UPDATE reminder_queue AS r
            SET status = 'sending', lease_until = {leaseUntil}, lease_token = {token}, attempts = r.attempts + 1, updated_at = {now}
            WHERE r.id IN (SELECT id FROM in_app UNION ALL SELECT id FROM network)
            RETURNING r.*
            """).AsNoTracking().ToListAsync(cancellationToken);
        return (token, claimed);
    }

    /// <summary>The outcome of a row that needs no channel (missed, out of attempts, no such channel), or null.</summary>
    private Outcome? Settle(Reminder reminder, UserProfile profile, DateTimeOffset now)
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
        if (!_channels.ContainsKey(reminder.Channel))
        {
            return new Outcome(reminder, profile, null, LogOutcomes.Failed, null, $"No {WireName.Of(reminder.Channel)} channel is configured.", true, 0);
        }
        return null;
    }

    /// <summary>
    /// One network delivery: waits for a slot, sends before the deadline, and records its outcome in its own short
    /// transaction. It never throws: a failure to record leaves the row to its lease.
    /// </summary>
    private async Task DeliverAsync(Guid token, IReminderChannel channel, Reminder reminder, UserProfile profile, DateTimeOffset now,
        CancellationToken deadline, CancellationToken stoppingToken)
    {
        try
        {
            Outcome outcome;
            try
            {
                await _slots.WaitAsync(deadline);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                outcome = new Outcome(reminder, profile, null, LogOutcomes.Retry, null, "No delivery slot came free before the deadline.", false, 0);
                await CompleteOneAsync(token, outcome, stoppingToken);
                return;
            }
            try
            {
                outcome = await SendAsync(channel, reminder, profile, now, deadline, stoppingToken);
            }
            finally
            {
                if (_slots.Release() == 0)
                {
                    signal.Notify(); // the loop may be asleep for want of a slot
                }
            }
            await CompleteOneAsync(token, outcome, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogNotRecorded(logger, ex, reminder.Id);
        }
    }

    private async Task CompleteOneAsync(Guid token, Outcome outcome, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await CompleteAsync(scope.ServiceProvider.GetRequiredService<NotificationsDbContext>(), token, [outcome], cancellationToken);
    }

    private async Task<Outcome> SendAsync(IReminderChannel channel, Reminder reminder, UserProfile profile, DateTimeOffset now,
        CancellationToken deadline, CancellationToken stoppingToken)
    {
        var delivery = new Delivery(reminder, profile, ReminderText.For(reminder, profile), reminder.IdempotencyKey, now);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var providerId = await channel.SendAsync(delivery, deadline);
            return new Outcome(reminder, profile, delivery.Text, LogOutcomes.Sent, providerId, null, false, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            var error = ex is OperationCanceledException && deadline.IsCancellationRequested
                ? $"Given up: no answer within the delivery deadline ({_options.DeliveryTimeout.TotalSeconds:0} s)."
                : ex.Message;
            var permanent = ex is ChannelException { Permanent: true };
            LogDeliveryFailed(logger, ex, reminder.Id, WireName.Of(reminder.Channel), reminder.Attempts);
            return new Outcome(reminder, profile, delivery.Text, LogOutcomes.Retry, null, error, permanent, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Records outcomes in one transaction, but only for rows this claim still holds (checked by lease token in the same
    /// statement that writes them): a row re-planned or taken over meanwhile belongs to someone else now. The new state
    /// comes from the entity's methods; it is written set-based (one UPDATE, one INSERT of logs) because the in-app part
    /// of a batch is hundreds of rows; a network delivery writes its one row the same way.
    /// </summary>
    private async Task CompleteAsync(NotificationsDbContext db, Guid token, IReadOnlyList<Outcome> outcomes, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
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
        var held = (await db.ScalarsAsync<Guid>($"""
            UPDATE reminder_queue AS r
            SET status = u.status, due_at = u.due_at, last_error = u.last_error,
                sent_at = CASE WHEN u.status = 'sent' THEN {now} ELSE r.sent_at END,
                lease_until = NULL, lease_token = NULL, updated_at = {now}
            FROM unnest({ids}, {statuses}, {dues}, {errors}) AS u(id, status, due_at, last_error)
            WHERE r.id = u.id AND r.lease_token = {token}
            RETURNING r.id
            """, CancellationToken.None)).ToHashSet();

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
            SELECT u.*, {Instance}, {now} FROM unnest(
                {ids}, {outcomes.Select(o => o.Reminder.UserId).ToArray()}, {outcomes.Select(o => o.Reminder.EventId).ToArray()},
                {outcomes.Select(o => WireName.Of(o.Reminder.Kind)).ToArray()}, {outcomes.Select(o => WireName.Of(o.Reminder.Channel)).ToArray()},
                {outcomes.Select(o => o.Reminder.Attempts).ToArray()}, {results},
                {outcomes.Select(o => Truncate(held.Contains(o.Reminder.Id) ? o.Error : $"lease lost before completing; {o.Error}")).ToArray()},
                {outcomes.Select(o => o.LatencyMs).ToArray()}, {outcomes.Select(o => (now - o.Reminder.TriggerAt).TotalMilliseconds).ToArray()},
                {outcomes.Select(o => o.ProviderId).ToArray()}, {outcomes.Select(o => o.Reminder.IdempotencyKey).ToArray()})
                AS u(reminder_id, user_id, event_id, kind, channel, attempt, outcome, error, latency_ms, lateness_ms, provider_response_id, idempotency_key)
            -- A reminder erased with its user while it was being sent leaves no log of that user behind.
            WHERE EXISTS (SELECT 1 FROM reminder_queue AS q WHERE q.id = u.reminder_id)
            """, CancellationToken.None);

        var scheduler = new ReminderScheduler(db, Time, options);
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
        if (replanned)
        {
            await scheduler.NotifyDispatchersAsync(CancellationToken.None); // before the save, while the new rows still show as added
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        LogDispatched(logger, outcomes.Count, held.Count);
    }

    public override void Dispose()
    {
        base.Dispose();
        _slots.Dispose();
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

    /// <summary>A claim: how many rows it took, and its network deliveries, which end once each has recorded its outcome.</summary>
    internal sealed record Batch(int Claimed, Task Deliveries);

    private sealed record Outcome(Reminder Reminder, UserProfile Profile, ReminderText? Text, string Result, string? ProviderId, string? Error, bool Permanent, double LatencyMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering reminder {ReminderId} over {Channel} failed (attempt {Attempt})")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid reminderId, string channel, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outcome of reminder {ReminderId} could not be recorded; its lease gives it back")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, Guid reminderId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch of {Count}: claim {Claim}, {Immediate} recorded at once in {Complete}, {Network} network deliveries started")]
    private static partial void LogBatch(ILogger logger, int count, TimeSpan claim, int immediate, TimeSpan complete, int network);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dispatched {Count} reminder(s), {Held} still held at completion")]
    private static partial void LogDispatched(ILogger logger, int count, int held);
}
