using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Aimi.Messaging;

/// <summary>
/// What every Aimi consumer shares: a message's effects and the record "this message id was handled" commit in one
/// transaction, so a redelivered message (broker restart, retry after a lost ack) changes nothing twice. A handler that
/// throws rolls everything back, including the record, and MassTransit's retry (then the <c>_error</c> queue) takes over.
/// The handler may add outbox messages: they commit with its changes. Derive from <see cref="IdempotentConsumer{TMessage, TDbContext}"/>
/// (one message a transaction) or <see cref="IdempotentBatchConsumer{TMessage, TDbContext}"/> (what has queued up, together).
/// </summary>
public abstract partial class IdempotentHandler<TMessage, TDbContext>(TDbContext db, TimeProvider time, ILogger logger)
    where TMessage : class
    where TDbContext : DbContext
{
    protected TDbContext Db => db;
    protected TimeProvider Time => time;
    private protected ILogger Logger => logger;

    /// <summary>
    /// The key of this consumer's rows in <c>processed_messages</c>, stated by each consumer (not derived from its class
    /// name, so a rename cannot make old messages look new): distinct per consumer, so two consumers of one message in
    /// the same database each handle it once. Use the consumer's queue name.
    /// </summary>
    protected abstract string ConsumerName { get; }

    protected abstract Task HandleAsync(TMessage message, ConsumeContext<TMessage> context, CancellationToken cancellationToken);

    /// <summary>
    /// Runs in the transaction, before the messages not handled before are handled, with those messages: a consumer whose handler
    /// reads the same kind of row for each message reads them all here in one statement instead of one each (issue 17).
    /// </summary>
    protected virtual Task PrepareAsync(IReadOnlyList<TMessage> messages, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Whether the handled messages' changes are saved once, after the last handler, instead of after each: for a handler that reads
    /// nothing another message's handler may have written (what it reads, <see cref="PrepareAsync"/> read). One round trip for the
    /// batch's writes instead of one a message.
    /// </summary>
    protected virtual bool SavesTogether => false;

    /// <summary>
    /// Runs once the handler's changes are committed: the place for effects outside the database (a cache), which
    /// must never show what a rolled-back attempt wrote. Not run for a duplicate.
    /// </summary>
    protected virtual Task AfterCommitAsync(TMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Handles <paramref name="messages"/> in the order given, in one transaction: all of them or, if one throws, none.
    /// Each message's changes are saved before the next is handled, so a later one reads what an earlier one wrote.
    /// An id recorded before (or twice in the list) is skipped.
    /// </summary>
    private protected async Task HandleTogetherAsync(IReadOnlyList<ConsumeContext<TMessage>> messages, CancellationToken cancellationToken)
    {
        var ids = messages.Select(ConsumedMessages.IdOf).Distinct().ToArray();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A concurrent delivery of the same id blocks here until the first commits, then sees the conflict.
        var fresh = (await db.ScalarsAsync<Guid>(
            $"INSERT INTO processed_messages (consumer, message_id, processed_at) SELECT {ConsumerName}, id, {time.GetUtcNow()} FROM unnest({ids}) AS id ON CONFLICT DO NOTHING RETURNING message_id",
            cancellationToken)).ToHashSet();

        var toHandle = new List<ConsumeContext<TMessage>>(fresh.Count);
        foreach (var context in messages)
        {
            var id = ConsumedMessages.IdOf(context);
            if (!fresh.Remove(id))
            {
                ConsumedMessages.LogDuplicate(logger, typeof(TMessage).Name, id, ConsumerName);
                continue;
            }
            toHandle.Add(context);
        }
        if (toHandle.Count == 0)
        {
            return; // nothing written: the transaction rolls back as it is disposed
        }
        var handled = toHandle.Select(c => c.Message).ToList();
        await PrepareAsync(handled, cancellationToken);
        foreach (var context in toHandle)
        {
            await HandleAsync(context.Message, context, cancellationToken);
            if (!SavesTogether)
            {
                await db.SaveChangesAsync(cancellationToken);
            }
        }
        if (SavesTogether)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        foreach (var message in handled)
        {
            await AfterCommitAsync(message, cancellationToken);
        }
    }
}

/// <summary>What the idempotent consumers share about a message they are handed.</summary>
internal static partial class ConsumedMessages
{
    public static Guid IdOf<TMessage>(ConsumeContext<TMessage> context) where TMessage : class =>
        context.MessageId ?? throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a message id.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped duplicate {MessageType} {MessageId} in {Consumer}")]
    public static partial void LogDuplicate(ILogger logger, string messageType, Guid messageId, string consumer);
}

/// <summary>
/// A consumer whose whole effect is one statement (an <c>UPDATE</c> of the rows the message names): the record "this message id
/// was handled" and the effect are one statement, atomic on its own, so a message costs one round trip instead of three (the
/// record with the transaction's begin, the statement, the commit; issue 17). The derived class gives the effect as
/// <see cref="Statement"/>, an <c>UPDATE</c>, <c>INSERT … SELECT</c> or <c>DELETE</c> whose condition includes
/// <c>EXISTS (SELECT 1 FROM fresh)</c>: <c>fresh</c> holds a row only when the message id was not recorded before, so a
/// redelivered message changes nothing. A concurrent delivery of the same id waits for the first to commit, then finds it
/// recorded. A statement that fails writes nothing, the record included, and MassTransit's retry takes over. Nothing else
/// may be written (no outbox message, no second statement): those need <see cref="IdempotentConsumer{TMessage, TDbContext}"/>.
/// </summary>
public abstract class IdempotentStatementConsumer<TMessage, TDbContext>(TDbContext db, TimeProvider time, ILogger logger) : IConsumer<TMessage>
    where TMessage : class
    where TDbContext : DbContext
{
    /// <summary>The condition <see cref="Statement"/> must include, written out in its SQL.</summary>
    public const string IfFresh = "EXISTS (SELECT 1 FROM fresh)";

    /// <summary>The key of this consumer's rows in <c>processed_messages</c> (see <see cref="IdempotentHandler{TMessage, TDbContext}.ConsumerName"/>).</summary>
    protected abstract string ConsumerName { get; }

    /// <summary>The effect of <paramref name="message"/>: one data-modifying statement that includes <see cref="IfFresh"/>.</summary>
    protected abstract FormattableString Statement(TMessage message);

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var id = ConsumedMessages.IdOf(context);
        var effect = Statement(context.Message);
        if (!effect.Format.Contains(IfFresh, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{GetType().Name}'s statement does not say {IfFresh}: a redelivered message would change things twice.");
        }
        // The record's values follow the effect's, so the effect's placeholders keep their numbers.
        var n = effect.ArgumentCount;
        var sql = FormattableStringFactory.Create(
            $"WITH fresh AS (INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES ({{{n}}}, {{{n + 1}}}, {{{n + 2}}}) "
            + $"ON CONFLICT DO NOTHING RETURNING 1), effect AS ({effect.Format}) SELECT count(*)::int FROM fresh",
            [.. effect.GetArguments(), ConsumerName, id, time.GetUtcNow()]);
        var recorded = await db.ScalarsAsync<int>(sql, context.CancellationToken);
        if (recorded is [0])
        {
            ConsumedMessages.LogDuplicate(logger, typeof(TMessage).Name, id, ConsumerName);
        }
    }
}

/// <summary>A consumer that handles each message in a transaction of its own (see <see cref="IdempotentHandler{TMessage, TDbContext}"/>).</summary>
public abstract class IdempotentConsumer<TMessage, TDbContext>(TDbContext db, TimeProvider time, ILogger logger)
    : IdempotentHandler<TMessage, TDbContext>(db, time, logger), IConsumer<TMessage>
    where TMessage : class
    where TDbContext : DbContext
{
    public Task Consume(ConsumeContext<TMessage> context) => HandleTogetherAsync([context], context.CancellationToken);
}

/// <summary>
/// A consumer for a busy queue: MassTransit hands it what has queued up (up to <see cref="BatchingConsumerDefinition{TConsumer}.MessageLimit"/>
/// messages; one when the queue is quiet), and it handles them in one transaction, so a burst costs one begin, one
/// commit, one insert into <c>processed_messages</c> and one wake of the outbox relay instead of one each per message
/// (issue 17). Each message keeps its own handler and its own save, in the order they arrived for each
/// <see cref="PartitionOf">partition</see> (the user).
/// <para>
/// If one message throws, the transaction rolls back and each message is handled again in a transaction of its own, so
/// one bad message holds up no other: the rest commit, and the batch is then failed for the retry, which skips what
/// was committed. A message that keeps failing goes to the <c>_error</c> queue with the batch's others, which are recorded
/// as handled and change nothing if moved back.
/// </para>
/// </summary>
public abstract partial class IdempotentBatchConsumer<TMessage, TDbContext>(TDbContext db, TimeProvider time, ILogger logger)
    : IdempotentHandler<TMessage, TDbContext>(db, time, logger), IConsumer<Batch<TMessage>>
    where TMessage : class
    where TDbContext : DbContext
{
    /// <summary>
    /// Whose state the message changes (the user). A batch is handled in the order of this key (arrival order within
    /// it), so two batches handled at once, on two replicas, take their per-user locks in the same order and cannot
    /// deadlock on them.
    /// </summary>
    protected abstract string PartitionOf(TMessage message);

    public async Task Consume(ConsumeContext<Batch<TMessage>> context)
    {
        var cancellationToken = context.CancellationToken;
        var messages = context.Message.OrderBy(m => PartitionOf(m.Message), StringComparer.Ordinal).ToList();
        try
        {
            await HandleTogetherAsync(messages, cancellationToken);
            return;
        }
        catch (Exception exception) when (messages.Count > 1 && !cancellationToken.IsCancellationRequested)
        {
            LogBatchFailed(Logger, exception, typeof(TMessage).Name, messages.Count, ConsumerName);
        }

        var failures = new List<Exception>();
        foreach (var message in messages)
        {
            Db.ChangeTracker.Clear(); // what the rolled-back attempt left tracked is not in the database
            try
            {
                await HandleTogetherAsync([message], cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add(exception);
            }
        }
        if (failures.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }
        if (failures.Count > 1)
        {
            throw new AggregateException($"{failures.Count} of {messages.Count} {typeof(TMessage).Name} messages failed in {ConsumerName}.", failures);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} {MessageType} failed in {Consumer}; handling each on its own")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string messageType, int count, string consumer);
}

/// <summary>
/// The retry every Aimi consumer uses: five attempts with growing pauses (200 ms up to 10 s), then MassTransit moves the
/// message to the endpoint's <c>_error</c> queue (the dead letter). Name a consumer's definition after it and derive from this.
/// </summary>
public abstract class RetryingConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
}

/// <summary>
/// The definition of an <see cref="IdempotentBatchConsumer{TMessage, TDbContext}"/>: the same retry as every consumer, and
/// batches of what has queued up, <see cref="ConcurrencyLimit"/> at a time per replica. A message that finds the queue
/// quiet waits at most <see cref="TimeLimit"/> for others.
/// <para>
/// Batches handled at once may hold two versions of one user's record: the handlers ignore an older version than one
/// applied, as they did when single messages were handled at once. One batch at a time kept arrival order but fell
/// seconds behind at 100 events/s (each message's round trips run one after another).
/// </para>
/// </summary>
public abstract class BatchingConsumerDefinition<TConsumer> : RetryingConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    public const int MessageLimit = 50;
    public const int ConcurrencyLimit = 4;

    /// <summary>
    /// How long a batch waits, from its first message, for others: the consumers on a created event's path (Notifications' and
    /// Memory's <c>EventChanged</c>, Goals' <c>RemindersScheduled</c>), where nobody waits on the result within a second. At 100
    /// created events a second a batch held 1.4 messages at 5 ms and about 4 at 50 ms: Notifications' transactions an event 1.4
    /// → 0.3, Memory's 0.7 → 0.2, machine CPU an event 13.5–14.6 ms in three runs against 14.9–18.2 in four at 5 ms and
    /// 15.4–18.2 in four at 20 ms (the benchmark, 2026-12-06), while the reminders are planned 60 ms after the event's commit at the median instead of 20–35.
    /// </summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(50);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        consumerConfigurator.Options<BatchOptions>(batch => batch
            .SetMessageLimit(MessageLimit)
            .SetTimeLimit(TimeLimit)
            .SetTimeLimitStart(BatchTimeLimitStart.FromFirst)
            .SetConcurrencyLimit(ConcurrencyLimit));
    }
}
