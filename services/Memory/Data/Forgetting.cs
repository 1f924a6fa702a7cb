using System.Data.Common;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Memory.Api.Data;

/// <summary>
/// What forgetting takes: deleting a memory (and an episode's words where the next episode keeps them as context), the messages
/// a user had Memory forget (<c>forgotten_messages</c>, the tombstones every writer reads), and the per-user lock that keeps
/// writing and forgetting apart. A writer holds the lock shared from reading the tombstones to its commit and a forget holds it
/// alone, so a message forgotten while a session end is being written is either deleted after that commit or skipped by it,
/// never written back.
/// </summary>
public static class Forgetting
{
    /// <summary>The first key of the per-user advisory lock ("forg"); the second is the hash of the user id.</summary>
    public const int LockSpace = 0x666F7267;

    /// <summary>
    /// Of <paramref name="ids"/>, those the user had forgotten; takes the lock shared until the caller's transaction ends.
    /// </summary>
    public static async Task<HashSet<string>> ForgottenAmongAsync(this MemoryDbContext db, string userId, IReadOnlyCollection<string> ids,
        CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
        return await UnderSharedLockAsync(db, userId, SharedLock + ForgottenQuery, [new NpgsqlParameter("ids", ids.ToArray())], ReadIdsAsync,
            cancellationToken);
    }

    /// <summary>
    /// <see cref="AdmitAsync"/> and <see cref="ForgottenAmongAsync"/> in one round trip, for a writer of one message (a chat
    /// message), followed there by <paramref name="then"/>'s statements: the writer's first read, after the lock and the checks (so
    /// under the lock, each with a snapshot of its own), run whether or not the write is admitted (an erased user's is simply
    /// unused). Null when the write is not admitted, else those of <paramref name="ids"/> the user had forgotten and what
    /// <paramref name="then"/> read. Takes the lock shared until the caller's transaction ends.
    /// </summary>
    public static Task<Admission<T>?> AdmitAmongAsync<T>(this MemoryDbContext db, string userId, DateTimeOffset occurredAt, IReadOnlyCollection<string> ids,
        AdmittedRead<T> then, CancellationToken cancellationToken) =>
        UnderSharedLockAsync<Admission<T>?>(db, userId, SharedLock + ErasedUsers.IsErasedQuery + ";\n" + ForgottenQuery + ";\n" + then.Sql,
            [.. ErasedUsers.IsErasedParameters(userId, occurredAt), new NpgsqlParameter("ids", ids.ToArray()), .. then.Parameters],
            async (reader, ct) =>
            {
                if (!await AdmittedAsync(reader, ct))
                {
                    return null;
                }
                await reader.NextResultAsync(ct);
                var forgotten = await ReadIdsAsync(reader, ct);
                await reader.NextResultAsync(ct);
                return new Admission<T>(forgotten, await then.Read(reader, ct));
            },
            cancellationToken);

    private const string ForgottenQuery = "SELECT message_id FROM forgotten_messages WHERE user_id = @user AND message_id = ANY(@ids)";

    private static async Task<HashSet<string>> ReadIdsAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>
    /// The first step of every write about the user (a consumer, an import): takes the lock shared until the caller's transaction
    /// ends, so a forget-me or an erasure either finds this write committed (and deletes it) or comes first (and this write sees its
    /// mark); then false when what happened at <paramref name="occurredAt"/> belongs to what the user had erased or forgotten
    /// (the check is <see cref="ErasedUsers.IsErasedAsync"/>'s, in the lock's round trip: every consumer of Memory runs this).
    /// </summary>
    public static async Task<bool> AdmitAsync(this MemoryDbContext db, string userId, DateTimeOffset occurredAt, CancellationToken cancellationToken) =>
        !await db.LockThenIsErasedAsync(SharedLockOfUser, userId, occurredAt, cancellationToken);

    /// <summary><see cref="SharedLock"/> with the user as <see cref="ErasedUsers.LockThenIsErasedAsync"/> names it (<c>@lock_user</c>).</summary>
    private static readonly string SharedLockOfUser =
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock_shared({LockSpace}, hashtext(@lock_user))");

    /// <summary>Reads <see cref="ErasedUsers.IsErasedQuery"/>'s row: admitted unless what happened was erased or forgotten.</summary>
    private static async Task<bool> AdmittedAsync(DbDataReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken) && !reader.GetBoolean(0);

    private const string SharedLock = "SELECT pg_advisory_xact_lock_shared(@space, hashtext(@user));\n";

    /// <summary>
    /// Runs <paramref name="sql"/>, which starts with <see cref="SharedLock"/> (parameters <c>@space</c> and <c>@user</c> are set
    /// here), and reads the second statement's rows. One round trip; two statements, so the read's snapshot is taken once the
    /// lock is held (read committed). The lock lasts until the caller's transaction ends.
    /// </summary>
    private static Task<T> UnderSharedLockAsync<T>(MemoryDbContext db, string userId, string sql, NpgsqlParameter[] parameters,
        Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        db.ReadAsync(sql, [new NpgsqlParameter("space", LockSpace), new NpgsqlParameter("user", userId), .. parameters], async (reader, ct) =>
        {
            await reader.NextResultAsync(ct);
            return await read(reader, ct);
        }, cancellationToken);

    /// <summary>
    /// The shared lock without waiting, for a writer that already holds a row a forget deletes (a claimed import): waiting there
    /// while the forget waits for that row would deadlock. False when a forget holds or awaits the lock.
    /// </summary>
    public static Task<bool> TryLockForWritingAsync(this MemoryDbContext db, string userId, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock_shared({LockSpace}, hashtext({userId})) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>
    /// Deletes everything Memory holds of the user except <c>user_state</c> (forget-me empties it, an erasure deletes it). Call
    /// under <see cref="LockForForgettingAsync"/>: writers in flight have committed, later ones wait and then see the mark.
    /// </summary>
    public static async Task<ForgetCounts> DeleteEverythingOfAsync(this MemoryDbContext db, string userId, CancellationToken cancellationToken)
    {
        var memories = await db.Memories.Where(m => m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var summaries = await db.Summaries.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.Edges.Where(e => e.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var nodes = await db.Nodes.Where(n => n.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var imports = await db.Imports.Where(i => i.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.Stats.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var forgotten = await db.ForgottenMessages.Where(f => f.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        return new ForgetCounts(memories, summaries, nodes, imports, forgotten);
    }

    /// <summary>Takes the user's lock alone until the caller's transaction ends: writers in flight commit first, new ones wait.</summary>
    public static Task LockForForgettingAsync(this MemoryDbContext db, string userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockSpace}, hashtext({userId}))", cancellationToken);

    /// <summary>Records the messages as forgotten; one recorded already stays as it was (forgetting twice is fine).</summary>
    public static Task<int> ForgetMessagesAsync(this MemoryDbContext db, string userId, IEnumerable<string> messageIds, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ids = messageIds.Distinct(StringComparer.Ordinal).ToArray();
        return ids.Length == 0 ? Task.FromResult(0) : db.Database.ExecuteSqlAsync($"""
            INSERT INTO forgotten_messages (user_id, message_id, forgotten_at)
            SELECT {userId}, id, {now} FROM unnest({ids}) AS id
            ON CONFLICT DO NOTHING
            """, cancellationToken);
    }

    /// <summary>Deletes one memory of the user (an episode also from the context of the next); null when there is none.</summary>
    public static async Task<(MemoryKind Kind, IReadOnlyList<string> SourceMessageIds, Guid? SourceSessionId)?> DeleteMemoryAsync(
        this MemoryDbContext db, string userId, Guid id, CancellationToken cancellationToken)
    {
        var deleted = await db.QueryAsync(
            $"""
            WITH gone AS (
                DELETE FROM memories WHERE id = @id AND user_id = @user
                RETURNING kind, source_message_ids, source_session_id, content),
            {Unquote}
            SELECT kind, source_message_ids, source_session_id FROM gone
            """,
            new Dictionary<string, object?> { ["id"] = id, ["user"] = userId },
            r => (WireName.Parse<MemoryKind>(r.GetString(0)), (IReadOnlyList<string>)r.GetFieldValue<string[]>(1), r.IsDBNull(2) ? (Guid?)null : r.GetGuid(2)),
            cancellationToken);
        return deleted is [var memory] ? memory : null;
    }

    /// <summary>Deletes the user's episodes of one message (in every conversation that carried it, and from the next episode's context); returns how many.</summary>
    public static async Task<int> DeleteEpisodesOfAsync(this MemoryDbContext db, string userId, string messageId, CancellationToken cancellationToken)
    {
        var deleted = await db.QueryAsync(
            $"""
            WITH gone AS (
                DELETE FROM memories WHERE user_id = @user AND kind = 'episode' AND @message = ANY(source_message_ids)
                RETURNING kind, source_message_ids, source_session_id, content),
            {Unquote}
            SELECT count(*)::int FROM gone
            """,
            new Dictionary<string, object?> { ["user"] = userId, ["message"] = messageId }, r => r.GetInt32(0), cancellationToken);
        return deleted[0];
    }

    /// <summary>
    /// The episode after a deleted one in its conversation keeps the deleted words as its context (searchable with it): that
    /// context goes too. Its context is exactly the deleted episode's content, so this finds it without knowing the order.
    /// </summary>
    private const string Unquote =
        """
        unquoted AS (
            UPDATE memories m SET context = NULL FROM gone
            WHERE gone.kind = 'episode' AND m.user_id = @user AND m.kind = 'episode' AND m.source_session_id = gone.source_session_id
                AND m.context = gone.content AND m.source_message_ids <> gone.source_message_ids)
        """;
}

public sealed record ForgetCounts(int Memories, int Summaries, int Nodes, int Imports, int ForgottenMessages);

/// <summary>
/// Statements a writer runs in its admission's round trip (<see cref="Forgetting.AdmitAmongAsync{T}"/>), and how to read them: the
/// reader stands on their first statement's result. <c>@user</c> is the admission's; the parameters must not reuse its names
/// (<c>@space</c>, <c>@user</c>, <c>@ids</c>, <c>@erased_user</c>, <c>@erased_at</c>).
/// </summary>
public sealed record AdmittedRead<T>(string Sql, NpgsqlParameter[] Parameters, Func<DbDataReader, CancellationToken, Task<T>> Read);

/// <summary>An admitted write: of the ids asked about, those the user had forgotten; and what the writer's statements read.</summary>
public sealed record Admission<T>(HashSet<string> Forgotten, T Then);
