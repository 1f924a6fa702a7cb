using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.ServiceDefaults.Errors;

/// <summary>The problem details every service answers with, worded once.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what, Guid id) => RequestException.NotFound(what, id).ToProblem();

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail, extensions: extensions);

    public static ProblemHttpResult StaleVersion(int? currentVersion) => RequestException.StaleVersion(currentVersion).ToProblem();
}

/// <summary>
/// The one rule for <c>expectedVersion</c> on every update (<c>PUT</c>): optional; when sent, it must be the record's
/// current version, or the update is a 409 naming <c>currentVersion</c> and nothing is written. Without it the update
/// applies to whatever is current (a concurrent writer still gets the 409 from the version column at save).
/// </summary>
public static class ExpectedVersion
{
    public static ProblemHttpResult? Check(int? expected, int current) =>
        expected is { } e && e != current ? Problems.StaleVersion(current) : null;
}
