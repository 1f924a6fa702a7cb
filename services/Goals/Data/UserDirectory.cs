using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Goals.Api.Data;

/// <summary>Finds the caller's user record, creating it on the first authenticated request.</summary>
public sealed class UserDirectory(GoalsDbContext db, TimeProvider time)
{
    public async Task<User> GetOrCreateAsync(string subject, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.ExternalSubject == subject, cancellationToken);
        if (user is not null)
        {
            return user;
        }

        var now = time.GetUtcNow();
        user = new User { Id = Guid.CreateVersion7(now), ExternalSubject = subject, CreatedAt = now, UpdatedAt = now };
        db.Users.Add(user);
        db.AddOutboxMessage(user.ToContract(now), now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return user;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent first request created it: use that one.
            db.ChangeTracker.Clear();
            return await db.Users.SingleAsync(u => u.ExternalSubject == subject, cancellationToken);
        }
    }
}
