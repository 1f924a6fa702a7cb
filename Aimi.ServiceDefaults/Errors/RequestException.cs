using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.ServiceDefaults.Errors;

/// <summary>What kind of request a use case refused; each edge maps it (HTTP to a status, a WebSocket to an error code).</summary>
public enum ErrorKind
{
    Invalid,
    NotFound,
    Conflict,
    TooLarge,
    TooManyRequests,
}

/// <summary>
/// The one error a use case throws for a request it cannot take. The HTTP edge renders it as problem details (400s with
/// per-field <c>errors</c>), the WebSocket edge as an <c>error</c> frame with the same words and fields.
/// </summary>
public sealed class RequestException : Exception
{
    private RequestException(ErrorKind kind, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null,
        IReadOnlyDictionary<string, object?>? extensions = null) : base(detail)
    {
        Kind = kind;
        Title = title;
        Errors = errors ?? new Dictionary<string, string[]>();
        Extensions = extensions ?? new Dictionary<string, object?>();
    }

    public ErrorKind Kind { get; }
    public string Title { get; }
    /// <summary>Field → messages, for <see cref="ErrorKind.Invalid"/> (and a too-large field).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }
    public IReadOnlyDictionary<string, object?> Extensions { get; }
    /// <summary>For <see cref="ErrorKind.TooManyRequests"/>: when to try again (the HTTP edge sends it as <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; private init; }

    public int Status => Kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The snake_case word a WebSocket <c>error</c> frame carries.</summary>
    public string Code => WireName.Of(Kind);

    public static RequestException Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(ErrorKind.Invalid, Validation.Title, string.Join(" ", errors.Values.SelectMany(m => m)), errors);

    public static RequestException Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static RequestException TooLarge(string field, string message) =>
        new(ErrorKind.TooLarge, "Request too large", message, new Dictionary<string, string[]> { [field] = [message] });

    public static RequestException NotFound(string what, Guid id) => new(ErrorKind.NotFound, $"{what} not found", $"There is no {what.ToLowerInvariant()} {id}.");

    public static RequestException NotFound(string title, string detail) => new(ErrorKind.NotFound, title, detail);

    public static RequestException Conflict(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(ErrorKind.Conflict, title, detail, extensions: extensions);

    /// <summary>A 429: <paramref name="detail"/> and when to try again (whole seconds, at least one), in the body as
    /// <c>retryAfter</c> and, through <see cref="ToProblem(HttpContext)"/>, in the <c>Retry-After</c> header.</summary>
    public static RequestException TooManyRequests(string title, string detail, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        return new(ErrorKind.TooManyRequests, title, $"{detail} Try again in {seconds} s.", extensions: new Dictionary<string, object?> { ["retryAfter"] = seconds })
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        };
    }

    public static RequestException StaleVersion(int? currentVersion) => Conflict(
        "Version conflict",
        $"The record was changed by someone else; its current version is {currentVersion}. Reload it and try again.",
        new Dictionary<string, object?> { ["currentVersion"] = currentVersion });

    /// <summary>Problem details as <see cref="ToProblem()"/>, and the <c>Retry-After</c> header when there is one.</summary>
    public ProblemHttpResult ToProblem(HttpContext http)
    {
        if (RetryAfter is { } after)
        {
            http.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return ToProblem();
    }

    /// <summary>Problem details: status, title, detail, and <c>errors</c> when there are field errors.</summary>
    public ProblemHttpResult ToProblem()
    {
        var extensions = new Dictionary<string, object?>(Extensions);
        if (Errors.Count > 0)
        {
            extensions["errors"] = Errors;
        }
        return TypedResults.Problem(statusCode: Status, title: Title, detail: Message, extensions: extensions);
    }
}
