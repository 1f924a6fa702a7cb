using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Chat.Api.Data;

public static class UserLock
{
    /// <summary>
    /// The first step of a consumer that writes into the user's conversation: takes the user's lock (an erasure takes it too), then
    /// false when what happened at <paramref name="occurredAt"/> belongs to an erased account; one round trip.
    /// </summary>
    public static async Task<bool> AdmitAsync(this ChatDbContext db, string userId, DateTimeOffset occurredAt, CancellationToken cancellationToken) =>
        !await db.LockThenIsErasedAsync(LockStatement, userId, occurredAt, cancellationToken);

    public static Task LockUserAsync(this ChatDbContext db, string userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(LockStatement, [new NpgsqlParameter("lock_user", userId)], cancellationToken);

    /// <summary>The user's lock in Chat's own key space, until the transaction ends; the user id is <c>@lock_user</c>.</summary>
    private const string LockStatement = "SELECT pg_advisory_xact_lock(hashtextextended('chat-user:' || @lock_user, 0))";
}
