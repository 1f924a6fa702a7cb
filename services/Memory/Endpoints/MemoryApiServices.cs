using System.Security.Claims;
using Aimi.Memory.Api.Data;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Memory.Api.Endpoints;

/// <summary>What every Memory endpoint needs; the user is always the token subject.</summary>
public sealed record MemoryApiServices(
    MemoryDbContext Db, MemorySearch Search, GraphStore Graph, UserStates States, StatsCalculator Stats, TimeProvider Time, ClaimsPrincipal User,
    CancellationToken CancellationToken)
{
    public string UserId => User.GetUserId();
}

/// <summary>The problem details Memory answers with (RFC 7807), one vocabulary for every route.</summary>
public static class Problems
{
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string what, object id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{what} not found", detail: $"No {what.ToLowerInvariant()} '{id}' exists for this user.");

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large", detail: detail);

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "Invalid request");

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(string field, string error) => Invalid(new() { [field] = [error] });
}
