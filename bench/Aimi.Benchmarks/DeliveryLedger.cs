using Npgsql;

namespace Aimi.Benchmarks;

/// <summary>
/// Whether and when each created event reached the services that act on it, read from their own databases: the outbox row of its
/// <c>EventChanged</c> in Goals (written in the event's transaction; its id is the message id), that message id in the
/// <c>processed_messages</c> of Notifications' and Memory's consumers (written in each consumer's transaction: handled, not
/// only delivered), and the event's move to <c>scheduled</c> in Goals' history (Notifications' <c>RemindersScheduled</c>
/// handled by Goals: the reminders are planned). No queue of its own on the broker: a listener of the benchmark's would add
/// two deliveries an event and its own consumer's CPU to what the window measures (0.84 ms of machine CPU an event: RabbitMQ 0.29, the benchmark's process 0.55; measured 2026-12-06).
/// </summary>
public sealed class DeliveryLedger(string serverConnectionString)
{
    private static readonly string EventChangedType = typeof(Aimi.Contracts.Goals.EventChanged).FullName!;

    /// <summary>The consumers of <c>EventChanged</c> whose handling counts as its arrival, by database.</summary>
    private static readonly (string Database, string Consumer)[] EventChangedConsumers =
        [("notificationsdb", "notifications-event-changed"), ("memorydb", "memory-event-changed")];

    private Dictionary<Guid, (Guid MessageId, DateTimeOffset At)>? _commits;

    /// <summary>
    /// Each of <paramref name="eventIds"/> (all committed, created since <paramref name="since"/>) as far as it got: the commit time of
    /// its creation, when the last consumer of its <c>EventChanged</c> handled it (null until all have), and when Goals recorded its
    /// reminders planned (null until then). The outbox rows are read once (a scan of those written since <paramref name="since"/>);
    /// a later call reads only by key.
    /// </summary>
    public async Task<IReadOnlyList<EventDelivery>> ReadAsync(IEnumerable<Guid> eventIds, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var ids = eventIds.ToArray();
        var planned = new Dictionary<Guid, DateTimeOffset>();
        await using (var goals = await OpenAsync("goalsdb", cancellationToken))
        {
            _commits ??= await CommitsAsync(goals, ids, since, cancellationToken);
            await using var read = new NpgsqlCommand(
                "SELECT event_id, min(at) FROM event_history WHERE event_id = ANY(@ids) AND to_status = 'scheduled' GROUP BY event_id", goals);
            read.Parameters.AddWithValue("ids", ids);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                planned[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
        }
        var created = _commits;

        var messageIds = created.Values.Select(c => c.MessageId).ToArray();
        var handled = new List<Dictionary<Guid, DateTimeOffset>>();
        foreach (var (database, consumer) in EventChangedConsumers)
        {
            await using var connection = await OpenAsync(database, cancellationToken);
            await using var read = new NpgsqlCommand(
                "SELECT message_id, processed_at FROM processed_messages WHERE consumer = @consumer AND message_id = ANY(@ids)", connection);
            read.Parameters.AddWithValue("consumer", consumer);
            read.Parameters.AddWithValue("ids", messageIds);
            var at = new Dictionary<Guid, DateTimeOffset>();
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                at[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
            handled.Add(at);
        }

        return created.Select(c => new EventDelivery(c.Key, c.Value.At,
                handled.All(h => h.ContainsKey(c.Value.MessageId)) ? handled.Max(h => h[c.Value.MessageId]) : null,
                planned.TryGetValue(c.Key, out var at) ? at : null))
            .ToList();
    }

    /// <summary>The <c>EventChanged</c> of each event's creation in Goals' outbox: its message id and its row's time.</summary>
    private static async Task<Dictionary<Guid, (Guid MessageId, DateTimeOffset At)>> CommitsAsync(NpgsqlConnection goals, Guid[] ids, DateTimeOffset since,
        CancellationToken cancellationToken)
    {
        var commits = new Dictionary<Guid, (Guid MessageId, DateTimeOffset At)>();
        // The payload is the contract in JSON's web casing (ContractTypes.JsonOptions).
        await using var read = new NpgsqlCommand(
            """
            SELECT e.event_id, e.id, e.created_at
            FROM (SELECT (o.payload::jsonb->>'eventId')::uuid AS event_id, o.payload::jsonb->>'change' AS change, o.id, o.created_at
                  FROM outbox_messages o WHERE o.created_at >= @since AND o.message_type = @type) e
            WHERE e.change = 'created' AND e.event_id = ANY(@ids)
            """, goals);
        read.Parameters.AddWithValue("since", since);
        read.Parameters.AddWithValue("type", EventChangedType);
        read.Parameters.AddWithValue("ids", ids);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            commits[reader.GetGuid(0)] = (reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2));
        }
        return commits;
    }

    /// <summary>
    /// A connection of its own to <paramref name="database"/>, not pooled: its server process ends with it, so the CPU the benchmark
    /// charges to the backends connected to a service's database at the end is the service's alone.
    /// </summary>
    private async Task<NpgsqlConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database, Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

/// <param name="CommittedAt">When Goals committed the event (its outbox row's time).</param>
/// <param name="HandledAt">When the last of <c>EventChanged</c>'s consumers handled it; null while one has not.</param>
/// <param name="PlannedAt">When Goals recorded its reminders planned; null until then.</param>
public sealed record EventDelivery(Guid EventId, DateTimeOffset CommittedAt, DateTimeOffset? HandledAt, DateTimeOffset? PlannedAt)
{
    public bool Complete => HandledAt is not null && PlannedAt is not null;
}
