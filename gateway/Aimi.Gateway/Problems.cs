using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Gateway;

/// <summary>The gateway's own error responses, all RFC 7807 problem details.</summary>
public static class Problems
{
    public static ProblemHttpResult PayloadTooLarge(long limit) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large",
        detail: $"The request body is larger than the gateway's limit of {limit} bytes.");

    public static ProblemHttpResult TooManyRequests(int retryAfterSeconds) => TypedResults.Problem(
        statusCode: StatusCodes.Status429TooManyRequests,
        title: "Too many requests",
        detail: $"The request rate limit was exceeded; retry after {retryAfterSeconds} s.");

    public static ProblemHttpResult ServiceNotConfigured(string service) => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Service unavailable",
        detail: $"The gateway has no address for '{service}' (configure services:{service}:http:0).");

    public static ProblemHttpResult ServiceFailed(string service, int statusCode) => TypedResults.Problem(
        statusCode: statusCode,
        title: statusCode == StatusCodes.Status504GatewayTimeout ? "Service timed out" : "Service unreachable",
        detail: $"The gateway could not get a response from '{service}'.");

    public static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Not found",
        detail: detail);
}
