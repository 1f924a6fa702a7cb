using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Aimi.ServiceDefaults.Workers;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aimi.Messaging;

public sealed class OutboxOptions
{
    /// <summary>
    /// How often the relay looks for unsent rows when nothing woke it. A commit in this process wakes it at once and a broker
    /// failure is retried on the loop's back-off, so the poll only finds rows another replica committed and did not relay (it
    /// stopped right after the commit). Each poll is a transaction in every service, so it is not every second (issue 17: idle).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long the relay waits, once woken, before it claims what is unsent: the commits of that moment go out in one pass
    /// (a transaction, a claiming statement and a scope) instead of one pass each. Off (zero) unless configured: the services'
    /// <c>appsettings.json</c> set 10 ms (issue 17: at 100 created events a second Goals' relay ran 0.98 passes an event), the
    /// test hosts, whose clock only moves when a test moves it, leave it off.
    /// </summary>
    public TimeSpan Gather { get; set; } = TimeSpan.Zero;
    public int BatchSize { get; set; } = 100;
    /// <summary>How long one publish may wait for the broker's confirm before the batch is retried.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>A row that failed this many times through its own fault is quarantined (see <see cref="OutboxMessage.QuarantinedAt"/>).</summary>
    public int MaxAttempts { get; set; } = 10;
    /// <summary>Sent outbox rows and processed-message ids older than this are deleted.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Publishes outbox rows after their transaction committed. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>,
/// so any number of replicas relay side by side without publishing a row twice; a row's mark as sent commits only after
/// the broker confirmed it, so a broker outage delays events but loses none (at-least-once; consumers dedupe).
/// A failure is told apart by whose it is: when nothing of a batch reached the broker the relay backs off and tries
/// the batch again, counting nothing against the rows; a row that fails alone (its type or payload does not read,
/// or the broker refused it while taking its neighbours) is counted and, after <see cref="OutboxOptions.MaxAttempts"/>,
/// quarantined, while the rest keep flowing at full speed.
/// </summary>
internal sealed partial class OutboxRelay<TDbContext>(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay<TDbContext>> logger) : BackgroundLoop(time, logger) where TDbContext : DbContext
{
    private static readonly ActivitySource Source = new("Aimi.Messaging");
    private static readonly Meter Meter = new("Aimi.Messaging");
    private static readonly Counter<long> Quarantined = Meter.CreateCounter<long>("aimi.outbox.quarantined", description: "Outbox rows set aside after failing through their own fault");
    private readonly OutboxOptions _options = options.Value;
    private DateTimeOffset _nextCleanup = time.GetUtcNow();

    protected override string LoopName => "Outbox relay";

    protected override TimeSpan MaxBackoff => _options.MaxBackoff;

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        if (Time.GetUtcNow() >= _nextCleanup)
        {
            await CleanupAsync(stoppingToken);
            _nextCleanup = Time.GetUtcNow() + _options.CleanupInterval;
        }
        // A full batch: more are waiting. Otherwise sleep until a commit in this process (or the poll, for other replicas').
        return await RelayBatchAsync(stoppingToken) == _options.BatchSize ? LoopWait.None : LoopWait.For(_options.PollInterval);
    }

    protected override async Task WaitAsync(LoopWait wait, CancellationToken stoppingToken)
    {
        await signal.WaitAsync(wait.Delay, Time, stoppingToken);
        if (_options.Gather > TimeSpan.Zero)
        {
            await Task.Delay(_options.Gather, Time, stoppingToken);
            // The commits of the gathering notified too; the pass about to run claims their rows, so their wake-up would only
            // start a pass that finds nothing. A commit from here on wakes the loop again.
            signal.TryTake();
        }
    }

    internal async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Claimed and marked sent in one statement: the mark is this transaction's until it commits, after the broker confirmed;
        // a row that fails is unmarked below, and a crash before the commit leaves every row of the batch unsent.
        var claimedAt = Time.GetUtcNow();
        var batch = await db.QueryAsync($"""
            UPDATE outbox_messages SET sent_at = {claimedAt}
            WHERE id IN (SELECT id FROM outbox_messages WHERE sent_at IS NULL AND quarantined_at IS NULL
                         ORDER BY created_at, id LIMIT {_options.BatchSize} FOR UPDATE SKIP LOCKED)
            RETURNING id, message_type, payload, created_at, sent_at, attempts, last_error, trace_parent, trace_state
            """, ReadClaimed, cancellationToken);
        if (batch.Count == 0)
        {
            return 0;
        }
        // Tracked as read, so the failures marked below are saved as changes to these rows.
        db.AttachRange(batch);

        // Publishes overlap so their broker confirms are awaited together; the sent mark commits only once all are answered.
        // Order inside a batch is not guaranteed: events carry a Version for consumers that care.
        var outcomes = await Task.WhenAll(batch.Select(async message => (Message: message, Failure: await TryPublishAsync(message, cancellationToken))));

        var now = Time.GetUtcNow();
        var published = outcomes.Count(o => o.Failure is null);
        // Nothing reached the broker: its failures say nothing about the rows. A row that does not read is at fault either way.
        var brokerAway = published == 0 && outcomes.Any(o => o.Failure is PublishFailure.Broker);
        foreach (var (message, failure) in outcomes)
        {
            if (failure is null)
            {
                continue; // marked when claimed
            }
            message.SentAt = null;
            message.LastError = Truncate(failure.Error.Message, 2000);
            if (brokerAway && failure is PublishFailure.Broker)
            {
                continue; // the broker's fault, not the row's: the batch is tried again after a back-off
            }
            message.Attempts++;
            if (message.Attempts >= _options.MaxAttempts)
            {
                message.QuarantinedAt = now;
                Quarantined.Add(1, new KeyValuePair<string, object?>("messaging.message.type", message.MessageType));
                LogQuarantined(logger, failure.Error, message.Id, message.MessageType, message.Attempts);
            }
            else
            {
                LogRowFailed(logger, failure.Error, message.Id, message.MessageType, message.Attempts);
            }
        }

        // Record what was confirmed (and the failed attempts) even when part of the batch failed: the failed rows are the only ones updated.
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        if (published > 0)
        {
            LogPublished(logger, published);
        }
        if (brokerAway)
        {
            throw new OutboxPublishException($"Publishing {batch.Count} outbox message(s) failed.", outcomes.First(o => o.Failure is PublishFailure.Broker).Failure!.Error);
        }
        return published;
    }

    /// <summary>A claimed row (unsent and not quarantined, so <c>quarantined_at</c> is not read), in the claim's column order.</summary>
    private static OutboxMessage ReadClaimed(DbDataReader row) => new()
    {
        Id = row.GetGuid(0),
        MessageType = row.GetString(1),
        Payload = row.GetString(2),
        CreatedAt = row.GetFieldValue<DateTimeOffset>(3),
        SentAt = row.GetFieldValue<DateTimeOffset>(4),
        Attempts = row.GetInt32(5),
        LastError = row.IsDBNull(6) ? null : row.GetString(6),
        TraceParent = row.IsDBNull(7) ? null : row.GetString(7),
        TraceState = row.IsDBNull(8) ? null : row.GetString(8),
    };

    /// <summary>Publishes one row; a failure says whether the row itself is at fault or the broker is.</summary>
    private async Task<PublishFailure?> TryPublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        object payload;
        Type type;
        try
        {
            type = ContractTypes.Resolve(message.MessageType);
            payload = JsonSerializer.Deserialize(message.Payload, type, ContractTypes.JsonOptions)
                ?? throw new InvalidOperationException($"Outbox message {message.Id} has an empty payload.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new PublishFailure.Row(ex);
        }
        try
        {
            await PublishAsync(message, payload, type, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new PublishFailure.Broker(ex);
        }
    }

    private abstract record PublishFailure(Exception Error)
    {
        /// <summary>The row cannot be turned back into its contract: no broker will ever take it.</summary>
        public sealed record Row(Exception Error) : PublishFailure(Error);

        /// <summary>The broker did not confirm it: the row's fault only if its neighbours went through.</summary>
        public sealed record Broker(Exception Error) : PublishFailure(Error);
    }

    private async Task PublishAsync(OutboxMessage message, object payload, Type type, CancellationToken cancellationToken)
    {
        // Continue the trace of the request that wrote the row; MassTransit carries it on into RabbitMQ headers.
        ActivityContext.TryParse(message.TraceParent, message.TraceState, out var parent);
        using var activity = Source.StartActivity("outbox publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message.id", message.Id);
        activity?.SetTag("messaging.message.type", message.MessageType);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PublishTimeout);
        await bus.Publish(payload, type, context => context.MessageId = message.Id, timeout.Token);
    }

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var cutoff = Time.GetUtcNow() - _options.Retention;
        var sent = await db.Set<OutboxMessage>().Where(m => m.SentAt != null && m.SentAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        var processed = await db.Set<ProcessedMessage>().Where(m => m.ProcessedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        if (sent + processed > 0)
        {
            LogCleaned(logger, sent, processed);
        }
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} outbox message(s)")]
    private static partial void LogPublished(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId} ({MessageType}) failed on its own, attempt {Attempts}")]
    private static partial void LogRowFailed(ILogger logger, Exception exception, Guid messageId, string messageType, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {MessageId} ({MessageType}) quarantined after {Attempts} failed attempts; the rest of the outbox flows on. Clear its quarantined_at to hand it back to the relay.")]
    private static partial void LogQuarantined(ILogger logger, Exception exception, Guid messageId, string messageType, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox cleanup removed {Sent} sent message(s) and {Processed} processed-message id(s)")]
    private static partial void LogCleaned(ILogger logger, int sent, int processed);
}

public sealed class OutboxPublishException(string message, Exception inner) : Exception(message, inner);
