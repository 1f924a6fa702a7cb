using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Persistence;

/// <summary>
/// The database failures a use case answers rather than crashes on. After a failed statement PostgreSQL has aborted
/// the transaction: recover with <c>INSERT … ON CONFLICT</c> or a fresh transaction, never a query in the aborted one.
/// </summary>
public static class DbErrors
{
    public static bool IsUniqueViolation(this Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }
        || exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>
    /// Saves; a concurrent writer that got there first (the entity's version column no longer matches) becomes a 409
    /// naming the current version, with nothing written. Call outside a transaction: it reloads the entity in a new one.
    /// </summary>
    public static async Task<ProblemHttpResult?> SaveOrStaleAsync<TEntity>(this DbContext db, TEntity entity, Func<TEntity, int> version, CancellationToken cancellationToken)
        where TEntity : class
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            var entry = db.Entry(entity);
            await entry.ReloadAsync(cancellationToken);
            return Problems.StaleVersion(entry.State == EntityState.Detached ? null : version(entity));
        }
    }
}
