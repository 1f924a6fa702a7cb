using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Aimi.Messaging;

/// <summary>
/// A consumer whose effects and the record "this message id was handled" commit in one transaction, so a
/// redelivered message (broker restart, retry after a lost ack) changes nothing twice. A handler that throws
/// rolls everything back, including the record, and MassTransit's retry (then the <c>_error</c> queue) takes over.
/// The handler may add outbox messages: they commit with its changes.
/// </summary>
public abstract partial class IdempotentConsumer<TMessage, TDbContext>(TDbContext db, TimeProvider time, ILogger logger) : IConsumer<TMessage>
    where TMessage : class
    where TDbContext : DbContext
{
    protected TDbContext Db => db;
    protected TimeProvider Time => time;

    /// <summary>
    /// The key of this consumer's rows in <c>processed_messages</c>, stated by each consumer (not derived from its class
    /// name, so a rename cannot make old messages look new): distinct per consumer, so two consumers of one message in
    /// the same database each handle it once. Use the consumer's queue name.
    /// </summary>
    protected abstract string ConsumerName { get; }

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a message id.");
        var cancellationToken = context.CancellationToken;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A concurrent delivery of the same id blocks here until the first commits, then sees the conflict.
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES ({ConsumerName}, {messageId}, {time.GetUtcNow()}) ON CONFLICT DO NOTHING",
            cancellationToken);
        if (inserted == 0)
        {
            LogDuplicate(logger, typeof(TMessage).Name, messageId, ConsumerName);
            return;
        }

        await HandleAsync(context.Message, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AfterCommitAsync(context.Message, cancellationToken);
    }

    protected abstract Task HandleAsync(TMessage message, ConsumeContext<TMessage> context, CancellationToken cancellationToken);

    /// <summary>
    /// Runs once the handler's changes are committed: the place for effects outside the database (a cache), which
    /// must never show what a rolled-back attempt wrote. Not run for a duplicate.
    /// </summary>
    protected virtual Task AfterCommitAsync(TMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped duplicate {MessageType} {MessageId} in {Consumer}")]
    private static partial void LogDuplicate(ILogger logger, string messageType, Guid messageId, string consumer);
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
