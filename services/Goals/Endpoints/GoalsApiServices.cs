using Aimi.ServiceDefaults;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

/// <summary>What every Goals endpoint needs, bound with <c>[AsParameters]</c>.</summary>
public sealed record GoalsApiServices(
    HttpContext Http,
    GoalsDbContext Db,
    UserDirectory Users,
    EventLifecycle Lifecycle,
    TimeProvider Time,
    CancellationToken CancellationToken)
{
    public const string ActorHeader = "X-Aimi-Actor";

    public Task<User> CurrentUserAsync() => Users.GetOrCreateAsync(Http.User.GetUserId(), CancellationToken);

    /// <summary>The Chat service marks the assistant's tool calls; the token still says whose data it is.</summary>
    public string Actor => Http.Request.Headers[ActorHeader].ToString() == EventLifecycle.AssistantActor
        ? EventLifecycle.AssistantActor
        : EventLifecycle.UserActor;

    /// <summary>Saves; a concurrent writer that got there first turns into a 409 naming the current version.</summary>
    public async Task<ProblemHttpResult?> SaveAsync<TEntity>(TEntity entity, Func<TEntity, int> version) where TEntity : class
    {
        try
        {
            await Db.SaveChangesAsync(CancellationToken);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            var entry = Db.Entry(entity);
            await entry.ReloadAsync(CancellationToken);
            return Problems.StaleVersion(entry.State == EntityState.Detached ? null : version(entity));
        }
    }
}

public static class Problems
{
    public static ProblemHttpResult NotFound(string what, Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{what} not found", detail: $"There is no {what.ToLowerInvariant()} {id}.");

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail, extensions: extensions);

    public static ProblemHttpResult StaleVersion(int? currentVersion) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Version conflict",
        detail: $"The record was changed by someone else; its current version is {currentVersion}. Reload it and try again.",
        extensions: new Dictionary<string, object?> { ["currentVersion"] = currentVersion });

    public static ProblemHttpResult InvalidTransition(EventItem item, string error) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Invalid status transition",
        detail: error,
        extensions: new Dictionary<string, object?> { ["currentStatus"] = WireName.Of(item.Status), ["currentVersion"] = item.Version });
}

/// <summary>Collects field errors into one RFC 7807 validation problem.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    public Validation Text(string field, string? value, int maxLength, bool required)
    {
        if (value is null)
        {
            return required ? Add(field, $"'{field}' is required.") : this;
        }
        if (string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"'{field}' must not be empty.");
        }
        return value.Length > maxLength ? Add(field, $"'{field}' must be at most {maxLength} characters (got {value.Length}).") : this;
    }

    public ValidationProblem ToProblem() => TypedResults.ValidationProblem(
        _errors.ToDictionary(p => p.Key, p => p.Value.ToArray()),
        title: "The request is invalid");

    /// <summary>A query-string status filter in its wire form (<c>?status=paused</c>); absent means no filter.</summary>
    public static bool TryParseFilter<TEnum>(string? value, out TEnum? filter, out ValidationProblem problem) where TEnum : struct, Enum
    {
        filter = null;
        problem = null!;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (WireName.TryParse<TEnum>(value, out var parsed))
        {
            filter = parsed;
            return true;
        }
        problem = new Validation().Add("status", $"'{value}' is not a status; use {string.Join(", ", WireName.All<TEnum>())}.").ToProblem();
        return false;
    }

    public static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
