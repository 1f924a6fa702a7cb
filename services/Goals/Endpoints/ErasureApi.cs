using Aimi.Contracts.Accounts;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

/// <summary>An erasure as the user sees it: <c>in_progress</c> until every service answered, then <c>completed</c>.</summary>
public sealed record ErasureResponse(
    Guid Id, string Status, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt, IReadOnlyList<string> Erased, IReadOnlyList<string> Pending);

public static class ErasureApi
{
    public const string InProgress = "in_progress";
    public const string Completed = "completed";

    public static IEndpointRouteBuilder MapErasureEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/me").WithTags("Profile");
        me.MapDelete("/", EraseMe).WithName("EraseAccount");
        me.MapGet("/erasure", GetErasure).WithName("GetAccountErasure");
        return app;
    }

    /// <summary>
    /// Erases the account everywhere: Goals' own records go in this transaction, with the request every other service acts on
    /// (<see cref="AccountErasureRequested"/>). 202 with the status at <c>/me/erasure</c>; a repeat while one is under way
    /// answers that one. Goals' own <c>_error</c> queues are scrubbed off the request (<see cref="Consumers.ErrorQueueScrubConsumer"/>).
    /// </summary>
    public static async Task<AcceptedAtRoute<ErasureResponse>> EraseMe(HttpContext http, GoalsDbContext db, TimeProvider time, CancellationToken ct)
    {
        var subject = http.User.GetUserId();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Two requests of one user (or a first sign-in racing this one) take turns.
        await db.LockSubjectAsync(subject, ct);
        var erasure = await db.Erasures.Include(e => e.Steps).SingleOrDefaultAsync(e => e.Subject == subject && e.CompletedAt == null, ct);
        if (erasure is null)
        {
            var now = time.GetUtcNow();
            erasure = new AccountErasure { Id = Guid.CreateVersion7(now), Subject = subject, RequestedAt = now };
            db.Erasures.Add(erasure);
            erasure.Record(ErasureServices.Goals, now, ErasureServices.All, now);
            // Goals, events (with their history) and habits go with the user row (ON DELETE CASCADE).
            await db.Users.Where(u => u.ExternalSubject == subject).ExecuteDeleteAsync(ct);
            await db.IdempotentRequests.Where(r => r.Subject == subject).ExecuteDeleteAsync(ct);
            await db.DeleteOutboxOfAsync(subject, ct);
            db.AddOutboxMessage(new AccountErasureRequested { ErasureId = erasure.Id, UserId = subject, RequestedAt = now }, now);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return TypedResults.AcceptedAtRoute(ToResponse(erasure), "GetAccountErasure");
    }

    /// <summary>The user's latest erasure; 404 when they never asked for one.</summary>
    public static async Task<Results<Ok<ErasureResponse>, ProblemHttpResult>> GetErasure(HttpContext http, GoalsDbContext db, CancellationToken ct)
    {
        var subject = http.User.GetUserId();
        var erasure = await db.Erasures.AsNoTracking().Include(e => e.Steps)
            .Where(e => e.Subject == subject).OrderByDescending(e => e.RequestedAt).FirstOrDefaultAsync(ct);
        return erasure is null
            ? RequestException.NotFound("Erasure not found", "This account has not asked to be erased.").ToProblem()
            : TypedResults.Ok(ToResponse(erasure));
    }

    private static ErasureResponse ToResponse(AccountErasure e)
    {
        var erased = ErasureServices.All.Where(s => e.Steps.Any(x => x.Service == s)).ToList();
        return new(e.Id, e.CompletedAt is null ? InProgress : Completed, e.RequestedAt, e.CompletedAt, erased, ErasureServices.All.Except(erased).ToList());
    }
}
