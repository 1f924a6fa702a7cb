using Aimi.ServiceDefaults.Errors;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Data;

public static class AccountErasures
{
    /// <summary>The per-subject lock an erasure and a first sign-in take, so neither sees the other half done.</summary>
    public static Task LockSubjectAsync(this GoalsDbContext db, string subject, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended('account:' || {subject}, 0))", cancellationToken);

    /// <summary>
    /// Refuses to create the account again while its erasure is under way: what it would plan would reach services still
    /// erasing. Once every service is done, the next sign-in is a fresh account.
    /// </summary>
    public static async Task EnsureNotErasingAsync(this GoalsDbContext db, string subject, CancellationToken cancellationToken)
    {
        if (await db.Erasures.AnyAsync(e => e.Subject == subject && e.CompletedAt == null, cancellationToken))
        {
            throw RequestException.Conflict("Account erasure in progress",
                "This account is being erased; it can be used again once GET /me/erasure says completed.");
        }
    }
}
