using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// Gives every request a correlation id: a well-formed incoming <c>X-Correlation-Id</c> is kept, anything else is
/// replaced by a fresh one. The id is forwarded to the service (the proxy copies request headers), echoed on the
/// response, added to the log scope and tagged on the request's trace.
/// </summary>
public static partial class CorrelationId
{
    public const string HeaderName = "X-Correlation-Id";
    public const string ActivityTag = "correlation.id";
    private const string LogScopeKey = "CorrelationId";

    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var incoming = context.Request.Headers[HeaderName];
        var id = incoming.Count == 1 && IsValid(incoming[0]) ? incoming[0]! : NewId();

        // Overwrite rather than append, so the service never sees a client's malformed or duplicated value.
        context.Request.Headers[HeaderName] = id;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = id;
            return Task.CompletedTask;
        });
        Activity.Current?.SetTag(ActivityTag, id);

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CorrelationId));
        using (logger.BeginScope(new Dictionary<string, object> { [LogScopeKey] = id }))
        {
            await next(context);
        }
    });

    public static bool IsValid(string? value) => value is not null && ValidId().IsMatch(value);

    // A fresh id is the trace id when there is one, so logs, traces and the client's id line up.
    private static string NewId() => Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex ValidId();
}
