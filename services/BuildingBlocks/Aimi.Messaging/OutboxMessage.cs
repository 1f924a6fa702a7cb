using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Messaging;

/// <summary>
/// An integration event waiting to be published. Written by the same <c>SaveChanges</c> (and so the same
/// transaction) as the state change that caused it; the <see cref="OutboxRelay{TDbContext}"/> publishes it later.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Becomes the MassTransit message id, which consumers deduplicate on.</summary>
    public Guid Id { get; init; }
    /// <summary>Full type name of the contract (contracts are never moved or renamed).</summary>
    public required string MessageType { get; init; }
    public required string Payload { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; set; }
    /// <summary>
    /// Failed attempts that were this row's own fault (its type no longer resolves, its payload does not read, or it
    /// failed while the rest of its batch reached the broker); a broker outage does not count.
    /// </summary>
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    /// <summary>
    /// Set once <see cref="Attempts"/> reached <see cref="OutboxOptions.MaxAttempts"/>: the relay no longer picks the row up,
    /// so it cannot hold back the rows behind it. It is kept (and logged, and counted as <c>aimi.outbox.quarantined</c>);
    /// clearing it hands the row back to the relay.
    /// </summary>
    public DateTimeOffset? QuarantinedAt { get; set; }
    /// <summary>W3C trace context of the request that wrote it, so one trace spans HTTP → outbox → RabbitMQ.</summary>
    public string? TraceParent { get; init; }
    public string? TraceState { get; init; }
}

/// <summary>A message a consumer has handled, recorded in the consumer's own transaction.</summary>
public sealed class ProcessedMessage
{
    public required string Consumer { get; init; }
    public Guid MessageId { get; init; }
    public DateTimeOffset ProcessedAt { get; init; }
}

public static class OutboxDbContextExtensions
{
    /// <summary>Adds the event to the context's outbox; it is saved (and later published) with the pending state change.</summary>
    public static void AddOutboxMessage<TMessage>(this DbContext db, TMessage message, DateTimeOffset now) where TMessage : class =>
        db.Set<OutboxMessage>().Add(OutboxRow(message, now));

    /// <summary>
    /// The outbox row of an event, for a caller that writes it in the same SQL statement as its state change (one round trip,
    /// atomic without a transaction of its own) instead of through <see cref="AddOutboxMessage"/>; it then tells the relay with
    /// <see cref="OutboxNotifyInterceptor.Wrote"/>. Carries the current trace context, as a saved row does.
    /// </summary>
    public static OutboxMessage OutboxRow<TMessage>(TMessage message, DateTimeOffset now) where TMessage : class
    {
        var type = typeof(TMessage);
        ContractTypes.EnsureContract(type);
        var activity = Activity.Current;
        return new OutboxMessage
        {
            Id = Guid.CreateVersion7(now),
            MessageType = type.FullName!,
            Payload = JsonSerializer.Serialize(message, type, ContractTypes.JsonOptions),
            CreatedAt = now,
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
        };
    }

    /// <summary>Maps <c>outbox_messages</c> and <c>processed_messages</c>; call from <c>OnModelCreating</c>.</summary>
    public static ModelBuilder AddMessagingTables(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable(OutboxSql.OutboxTable);
            e.HasKey(m => m.Id);
            e.Property(m => m.Id).HasColumnName("id");
            e.Property(m => m.MessageType).HasColumnName("message_type").HasMaxLength(300);
            e.Property(m => m.Payload).HasColumnName("payload").HasColumnType("jsonb");
            e.Property(m => m.CreatedAt).HasColumnName("created_at");
            e.Property(m => m.SentAt).HasColumnName("sent_at");
            e.Property(m => m.Attempts).HasColumnName("attempts");
            e.Property(m => m.LastError).HasColumnName("last_error").HasMaxLength(2000);
            e.Property(m => m.QuarantinedAt).HasColumnName("quarantined_at");
            e.Property(m => m.TraceParent).HasColumnName("trace_parent").HasMaxLength(100);
            e.Property(m => m.TraceState).HasColumnName("trace_state").HasMaxLength(512);
            // The relay's scan: unsent rows in commit order, quarantined rows left out.
            e.HasIndex(m => m.CreatedAt).HasDatabaseName("ix_outbox_messages_unsent").HasFilter("sent_at IS NULL AND quarantined_at IS NULL");
        });

        modelBuilder.Entity<ProcessedMessage>(e =>
        {
            e.ToTable(OutboxSql.ProcessedTable);
            e.HasKey(m => new { m.Consumer, m.MessageId });
            e.Property(m => m.Consumer).HasColumnName("consumer").HasMaxLength(200);
            e.Property(m => m.MessageId).HasColumnName("message_id");
            e.Property(m => m.ProcessedAt).HasColumnName("processed_at");
            e.HasIndex(m => m.ProcessedAt).HasDatabaseName("ix_processed_messages_processed_at");
        });
        return modelBuilder;
    }
}

internal static class OutboxSql
{
    public const string OutboxTable = "outbox_messages";
    public const string ProcessedTable = "processed_messages";
}
