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

    /// <summary>A 429 naming when to try again, in the <c>Retry-After</c> header and as <c>retryAfter</c> (seconds) in the body.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooManyRequests(HttpContext http, string title, string detail, TimeSpan wait)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: title, detail: $"{detail} Try again in {seconds} s.",
            extensions: new Dictionary<string, object?> { ["retryAfter"] = seconds });
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "Invalid request");

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(string field, string error) => Invalid(new() { [field] = [error] });
}
