using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Turns request-shape failures (malformed JSON, unknown fields, oversized bodies) into 4xx problem details;
/// only a genuinely unexpected failure is a 500, and it never leaks the exception text.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is Aimi.ServiceDefaults.Errors.RequestException refused)
        {
            // A use case's refusal that no endpoint mapped itself: the same problem details the endpoint would write.
            await refused.ToProblem(httpContext).ExecuteAsync(httpContext);
            return true;
        }

        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, TitleFor(bad.StatusCode), DetailOf(bad)),
            JsonException json => (StatusCodes.Status400BadRequest, "Malformed JSON", json.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (StatusCodes.Status499ClientClosedRequest, "Client closed request", null),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "The server failed to handle the request; it has been logged."),
        };

        if (status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private static string TitleFor(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        _ => "Bad request",
    };

    // The framework wraps JSON errors ("could not be mapped to any .NET member", syntax errors) in its own message.
    private static string DetailOf(BadHttpRequestException bad) =>
        bad.InnerException is JsonException json ? json.Message : bad.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
