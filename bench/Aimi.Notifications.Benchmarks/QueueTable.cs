using System.Diagnostics;
using Npgsql;

namespace Aimi.Notifications.Benchmarks;

public sealed record Lateness(long Count, double P50, double P99, double Max, long Early);

/// <summary>
/// Writes reminders straight into <c>reminder_queue</c> (planning is not what is measured) and reads the delivery log.
/// Each scenario's rows carry its name in the title; every row is in-app, so a delivery is a committed ReminderDelivered.
/// </summary>
public sealed class QueueTable(NpgsqlDataSource db)
{
    public async Task<int> InsertAsync(string scenario, int count, int users, DateTimeOffset firstDue, TimeSpan spread, CancellationToken ct)
    {
        // One statement; the event starts 30 min after the reminder, so none is missed. The NOTIFY wakes the replicas.
        await using var command = db.CreateCommand("""
            INSERT INTO reminder_queue (id, user_id, event_id, kind, "offset", channel, title, event_starts_at, trigger_at, due_at, status, attempts, generation, created_at, updated_at)
            SELECT gen_random_uuid(), 'bench-user-' || (i % $2), gen_random_uuid(), 'event', interval '15 minutes', 'in_app', $5,
                   t + interval '30 minutes', t, t, 'scheduled', 0, 0, now(), now()
            FROM generate_series(0, $1 - 1) AS i,
                 LATERAL (SELECT $3::timestamptz + ($4::double precision * i / GREATEST($1 - 1, 1)) * interval '1 millisecond' AS t) AS due
            """);
        command.Parameters.AddWithValue(count);
        command.Parameters.AddWithValue(users);
        command.Parameters.AddWithValue(firstDue.UtcDateTime);
        command.Parameters.AddWithValue(spread.TotalMilliseconds);
        command.Parameters.AddWithValue(scenario);
        await command.ExecuteNonQueryAsync(ct);
        await using var notify = db.CreateCommand("SELECT pg_notify('aimi_reminders_planned', '')");
        await notify.ExecuteNonQueryAsync(ct);
        return count;
    }

    public async Task<TimeSpan> WaitUntilSentAsync(string scenario, int count, DateTimeOffset deadline, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (DateTimeOffset.UtcNow < deadline)
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM reminder_queue WHERE title = $1 AND status IN ('sent', 'failed', 'missed')");
            command.Parameters.AddWithValue(scenario);
            if ((long)(await command.ExecuteScalarAsync(ct))! >= count)
            {
                return watch.Elapsed;
            }
            await Task.Delay(250, ct);
        }
        throw new TimeoutException($"{scenario}: not all {count} reminders were sent in time.");
    }

    /// <summary>Delivery (the commit that marked the row sent) minus the due time, from reminder_logs.</summary>
    public async Task<Lateness> LatenessAsync(string scenario, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT count(*),
                   coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY l.lateness_ms), 0),
                   coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY l.lateness_ms), 0),
                   coalesce(max(l.lateness_ms), 0),
                   count(*) FILTER (WHERE l.lateness_ms < 0)
            FROM reminder_logs l JOIN reminder_queue r ON r.id = l.reminder_id
            WHERE r.title = $1 AND l.outcome = 'sent'
            """);
        command.Parameters.AddWithValue(scenario);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Lateness(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4));
    }

    /// <summary>Due times of a scenario's reminders, to compare with when their ReminderDelivered arrived.</summary>
    public async Task<Dictionary<Guid, DateTimeOffset>> DueTimesAsync(string scenario, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT id, trigger_at FROM reminder_queue WHERE title = $1");
        command.Parameters.AddWithValue(scenario);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var due = new Dictionary<Guid, DateTimeOffset>();
        while (await reader.ReadAsync(ct))
        {
            due[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }
        return due;
    }

    public async Task<(long Logs, long Events, string SentBy)> DuplicatesAsync(CancellationToken ct)
    {
        await using var logs = db.CreateCommand("SELECT count(*) FROM (SELECT reminder_id FROM reminder_logs WHERE outcome = 'sent' GROUP BY reminder_id HAVING count(*) > 1) d");
        var duplicateLogs = (long)(await logs.ExecuteScalarAsync(ct))!;
        await using var events = db.CreateCommand("""
            SELECT count(*) FROM (
                SELECT payload->>'reminderId' FROM outbox_messages WHERE message_type = 'Aimi.Contracts.Notifications.ReminderDelivered'
                GROUP BY payload->>'reminderId' HAVING count(*) > 1) d
            """);
        var duplicateEvents = (long)(await events.ExecuteScalarAsync(ct))!;
        await using var replicas = db.CreateCommand("SELECT dispatched_by, count(*) FROM reminder_logs WHERE outcome = 'sent' GROUP BY dispatched_by ORDER BY dispatched_by");
        await using var reader = await replicas.ExecuteReaderAsync(ct);
        var shares = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            shares.Add($"{reader.GetString(0)}: {reader.GetInt64(1):N0}");
        }
        return (duplicateLogs, duplicateEvents, string.Join(", ", shares));
    }
}
