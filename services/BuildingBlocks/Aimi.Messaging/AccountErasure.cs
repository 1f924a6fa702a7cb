using Aimi.Contracts.Accounts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Microsoft.Extensions.Logging;

namespace Aimi.Messaging;

/// <summary>
/// A user this service erased (<c>erased_users</c>): kept so that a message about the old account still in flight (in a queue,
/// a retry, another service's outbox) cannot bring back what was erased. While the erasure is under way everywhere
/// (<see cref="ReleasedAt"/> null) every message about the user is dropped; once <see cref="AccountErased"/> arrived, those
/// that occurred before it still are, and later ones belong to a fresh account.
/// </summary>
public sealed class ErasedUser
{
    public required string UserId { get; init; }
    public Guid ErasureId { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    /// <summary>When this service deleted the user's data.</summary>
    public DateTimeOffset ErasedAt { get; set; }
    /// <summary>When every service had erased the user; null until then.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }
}

public static class ErasedUsers
{
    private const string Table = "erased_users";

    /// <summary>Maps <c>erased_users</c>; call from <c>OnModelCreating</c> of a service that consumes <see cref="AccountErasureRequested"/>.</summary>
    public static ModelBuilder AddErasedUsers(this ModelBuilder modelBuilder) => modelBuilder.Entity<ErasedUser>(e =>
    {
        e.ToTable(Table);
        e.HasKey(u => u.UserId);
        e.Property(u => u.UserId).HasColumnName("user_id").HasMaxLength(200);
        e.Property(u => u.ErasureId).HasColumnName("erasure_id");
        e.Property(u => u.RequestedAt).HasColumnName("requested_at");
        e.Property(u => u.ErasedAt).HasColumnName("erased_at");
        e.Property(u => u.ReleasedAt).HasColumnName("released_at");
    });

    /// <summary>
    /// Whether something about <paramref name="userId"/> that happened at <paramref name="occurredAt"/> belongs to an erased
    /// account and must be dropped. Read it under the per-user lock the service's erasure takes, so the two cannot interleave.
    /// </summary>
    public static async Task<bool> IsErasedAsync(this DbContext db, string userId, DateTimeOffset occurredAt, CancellationToken cancellationToken) =>
        (await db.QueryAsync(IsErasedQuery, IsErasedParameters(userId, occurredAt), row => row.GetBoolean(0), cancellationToken)).Single();

    /// <summary>
    /// The service's per-user lock (<paramref name="lockStatement"/>, one statement whose parameter <c>@lock_user</c> is the user id)
    /// and then <see cref="IsErasedAsync"/>, in one round trip: the first step of a consumer of a change of the user. Two statements
    /// in one command, so the check's snapshot is taken once the lock is held (read committed), as when they are sent one after
    /// the other. The lock lasts until the caller's transaction ends.
    /// </summary>
    public static Task<bool> LockThenIsErasedAsync(this DbContext db, string lockStatement, string userId, DateTimeOffset occurredAt,
        CancellationToken cancellationToken) =>
        db.ReadAsync(lockStatement + ";\n" + IsErasedQuery, [new NpgsqlParameter("lock_user", userId), .. IsErasedParameters(userId, occurredAt)],
            async (reader, ct) =>
            {
                await reader.NextResultAsync(ct);
                return await reader.ReadAsync(ct) && reader.GetBoolean(0);
            },
            cancellationToken);

    /// <summary>
    /// The service's per-user locks of several users (<paramref name="locksStatement"/>, one statement whose parameter
    /// <c>@lock_users</c> is the users' ids, taken in that array's order), then which of <paramref name="changes"/> belong to an
    /// erased account (<see cref="IsErasedAsync"/> for each), in one round trip: the first step of a consumer handling a batch of
    /// changes together. The users are locked in ordinal order, as single changes handled in a batch one after another lock them,
    /// so two batches cannot deadlock. Returns, for each change in order, whether it is to be dropped.
    /// </summary>
    public static Task<bool[]> LockAllThenErasedAmongAsync(this DbContext db, string locksStatement, IReadOnlyList<(string UserId, DateTimeOffset OccurredAt)> changes,
        CancellationToken cancellationToken)
    {
        var users = changes.Select(c => c.UserId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return db.ReadAsync(locksStatement + ";\n" + ErasedAmongQuery,
            [
                new NpgsqlParameter("lock_users", users),
                new NpgsqlParameter("erased_users", changes.Select(c => c.UserId).ToArray()),
                new NpgsqlParameter("erased_ats", changes.Select(c => c.OccurredAt.ToUniversalTime()).ToArray()),
            ],
            async (reader, ct) =>
            {
                await reader.NextResultAsync(ct); // the locks' rows
                var erased = new bool[changes.Count];
                while (await reader.ReadAsync(ct))
                {
                    erased[reader.GetInt32(0)] = true;
                }
                return erased;
            },
            cancellationToken);
    }

    /// <summary>
    /// The one rule of what an erasure drops, on a row of <c>erased_users</c> of the change's user; the change's time follows: what
    /// happened before its erasure was released, or while it is not released yet.
    /// </summary>
    private const string ErasedBefore = "released_at IS NULL OR released_at > ";

    /// <summary>The positions (from 0) of the changes <c>@erased_users</c>/<c>@erased_ats</c> that <see cref="IsErasedQuery"/> would drop.</summary>
    private const string ErasedAmongQuery =
        "SELECT (c.position - 1)::int FROM unnest(@erased_users::text[], @erased_ats::timestamptz[]) WITH ORDINALITY AS c(user_id, at, position) "
        + "WHERE EXISTS (SELECT 1 FROM erased_users WHERE user_id = c.user_id AND (" + ErasedBefore + "c.at))";

    /// <summary>
    /// <see cref="IsErasedAsync"/> as SQL, with its parameters (<see cref="IsErasedParameters"/>), for a caller that sends it
    /// in a command of its own (Memory sends it behind its per-user lock, in one round trip).
    /// </summary>
    public const string IsErasedQuery =
        "SELECT EXISTS (SELECT 1 FROM erased_users WHERE user_id = @erased_user AND (" + ErasedBefore + "@erased_at))";

    public static NpgsqlParameter[] IsErasedParameters(string userId, DateTimeOffset occurredAt) =>
        [new("erased_user", userId), new("erased_at", occurredAt.ToUniversalTime())];

    /// <summary>
    /// Records a completed local step of an erasure, or a forget (<paramref name="release"/> at once). A forget never lifts the
    /// block of an erasure still under way.
    /// </summary>
    public static Task RecordErasedAsync(this DbContext db, string userId, Guid erasureId, DateTimeOffset requestedAt, DateTimeOffset now,
        DateTimeOffset? release, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO erased_users (user_id, erasure_id, requested_at, erased_at, released_at)
            VALUES ({userId}, {erasureId}, {requestedAt}, {now}, {release})
            ON CONFLICT (user_id) DO UPDATE SET erasure_id = excluded.erasure_id, requested_at = excluded.requested_at,
                erased_at = excluded.erased_at, released_at = excluded.released_at
            WHERE erased_users.released_at IS NOT NULL OR excluded.released_at IS NULL
            """, cancellationToken);

    /// <summary>Every service erased the user: from <paramref name="completedAt"/> on, the user is a fresh account here.</summary>
    public static Task<int> ReleaseAsync(this DbContext db, string userId, Guid erasureId, DateTimeOffset completedAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"UPDATE erased_users SET released_at = {completedAt} WHERE user_id = {userId} AND erasure_id = {erasureId} AND released_at IS NULL",
            cancellationToken);

    /// <summary>
    /// Deletes the outbox rows about the user (sent ones are kept for days and carry whole transcripts), except the erasure's own
    /// announcements, which are about the erasure rather than the user's data.
    /// </summary>
    public static Task<int> DeleteOutboxOfAsync(this DbContext db, string userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            DELETE FROM outbox_messages WHERE payload ->> 'userId' = {userId} AND message_type NOT LIKE 'Aimi.Contracts.Accounts.%'
            """, cancellationToken);
}

/// <summary>
/// A service's part of an account erasure: under the service's per-user lock it deletes everything it holds of the user, its
/// outbox copies, records the erased user, and answers <see cref="AccountErasureCompleted"/> in the same transaction. A repeat
/// deletes again (nothing is left) and answers again; a repeat after the erasure was released changes nothing, since the
/// account is a fresh one by then. Once committed, the service's <c>_error</c> queues are scrubbed of messages about the user
/// (<see cref="ErrorQueueScrubber"/>). A scrub that fails (the broker is away) is logged, not thrown: the erasure's database
/// part and its answer are committed by then, and a retry could not repeat the scrub anyway, since the redelivery is a duplicate.
/// </summary>
public abstract class AccountErasureConsumer<TDbContext>(TDbContext db, ErrorQueueScrubber errorQueues, TimeProvider time, ILogger logger)
    : IdempotentConsumer<AccountErasureRequested, TDbContext>(db, time, logger) where TDbContext : DbContext
{
    /// <summary>One of <see cref="ErasureServices"/>.</summary>
    protected abstract string Service { get; }

    /// <summary>Takes the per-user lock the service's writers take, then deletes everything of the user in the service's database.</summary>
    protected abstract Task EraseAsync(string userId, CancellationToken cancellationToken);

    protected override async Task HandleAsync(AccountErasureRequested message, ConsumeContext<AccountErasureRequested> context, CancellationToken cancellationToken)
    {
        var known = await Db.Set<ErasedUser>().AsNoTracking().SingleOrDefaultAsync(u => u.UserId == message.UserId, cancellationToken);
        if (known is { ReleasedAt: not null } && known.ErasureId == message.ErasureId)
        {
            return;
        }
        await EraseAsync(message.UserId, cancellationToken);
        await Db.DeleteOutboxOfAsync(message.UserId, cancellationToken);
        var now = Time.GetUtcNow();
        await Db.RecordErasedAsync(message.UserId, message.ErasureId, message.RequestedAt, now, release: null, cancellationToken);
        Db.AddOutboxMessage(new AccountErasureCompleted { ErasureId = message.ErasureId, UserId = message.UserId, Service = Service, CompletedAt = now }, now);
    }

    /// <summary>Scrubs the error queues; a service that overrides this to add its own after-commit step calls it too.</summary>
    protected override Task AfterCommitAsync(AccountErasureRequested message, CancellationToken cancellationToken) =>
        errorQueues.TryScrubAsync(message.UserId, message.ErasureId, cancellationToken);
}

/// <summary>Every service erased the user: lifts the block, so only what happened before stays dropped.</summary>
public abstract class AccountErasedConsumer<TDbContext>(TDbContext db, TimeProvider time, ILogger logger)
    : IdempotentConsumer<AccountErased, TDbContext>(db, time, logger) where TDbContext : DbContext
{
    protected override Task HandleAsync(AccountErased message, ConsumeContext<AccountErased> context, CancellationToken cancellationToken) =>
        Db.ReleaseAsync(message.UserId, message.ErasureId, message.CompletedAt, cancellationToken);
}
