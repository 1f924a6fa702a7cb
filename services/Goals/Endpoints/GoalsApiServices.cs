using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Goals.Api.Endpoints;

/// <summary>What every Goals endpoint needs, bound with <c>[AsParameters]</c>.</summary>
public sealed record GoalsApiServices(
    HttpContext Http,
    GoalsDbContext Db,
    UserDirectory Users,
    EventLifecycle Lifecycle,
    PlanChanges Changes,
    TimeProvider Time,
    CancellationToken CancellationToken)
{
    public Task<User> CurrentUserAsync() => Users.GetOrCreateAsync(Http.User.GetUserId(), CancellationToken);

    /// <summary>
    /// Chat marks the assistant's tool calls with an internal header; the gateway strips every internal header from
    /// clients, so a client's own request is always the user's. The token still says whose data it is.
    /// </summary>
    public string Actor => Http.Request.Headers[InternalHeaders.Actor].ToString() == Actors.Assistant ? Actors.Assistant : Actors.User;

    /// <summary>Saves; a concurrent writer that got there first turns into a 409 naming the current version.</summary>
    public Task<ProblemHttpResult?> SaveAsync<TEntity>(TEntity entity, Func<TEntity, int> version) where TEntity : class =>
        Db.SaveOrStaleAsync(entity, version, CancellationToken);
}

public static class EventProblems
{
    public static ProblemHttpResult InvalidTransition(EventItem item, string error) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Invalid status transition",
        detail: error,
        extensions: new Dictionary<string, object?> { ["currentStatus"] = WireName.Of(item.Status), ["currentVersion"] = item.Version });
}
