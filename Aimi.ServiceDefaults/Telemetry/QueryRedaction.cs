using System.Diagnostics;
using OpenTelemetry;

namespace Aimi.ServiceDefaults.Telemetry;

/// <summary>
/// Keeps secrets that travel in query strings (a search text, a socket's access token, a ticket, an OAuth code) out of
/// traces: their values become <see cref="Redacted"/>, the other parameters stay readable. The OpenTelemetry instrumentations
/// redact on their own only until an environment turns that off (the Aspire AppHost does, for its dashboard); this holds anyway.
/// </summary>
public static class QueryRedaction
{
    public const string Redacted = "Redacted";

    /// <summary>The query parameters whose values never reach a trace (matched ignoring case).</summary>
    public static readonly IReadOnlySet<string> SensitiveParameters =
        new HashSet<string>(["q", "access_token", "token", "ticket", "code"], StringComparer.OrdinalIgnoreCase);

    // Server spans carry url.query (and http.target in the old conventions), client spans url.full (http.url).
    private static readonly string[] UrlTags = ["url.query", "url.full", "http.target", "http.url"];

    /// <summary>The URL, or the query with or without its <c>?</c>, with the values of sensitive parameters redacted.</summary>
    public static string Redact(string urlOrQuery)
    {
        var start = urlOrQuery.IndexOf('?', StringComparison.Ordinal) + 1;
        if (start == 0 && urlOrQuery.Contains("://", StringComparison.Ordinal))
        {
            return urlOrQuery; // a URL without a query
        }
        var end = urlOrQuery.IndexOf('#', start);
        var query = end < 0 ? urlOrQuery[start..] : urlOrQuery[start..end];
        var redacted = string.Join('&', query.Split('&').Select(RedactParameter));
        return string.Concat(urlOrQuery.AsSpan(0, start), redacted, end < 0 ? "" : urlOrQuery.AsSpan(end));
    }

    /// <summary>Redacts the URL tags of a span in place.</summary>
    public static void RedactTags(Activity activity)
    {
        foreach (var tag in UrlTags)
        {
            if (activity.GetTagItem(tag) is string value && Redact(value) is var redacted && redacted != value)
            {
                activity.SetTag(tag, redacted);
            }
        }
    }

    private static string RedactParameter(string parameter)
    {
        var equals = parameter.IndexOf('=', StringComparison.Ordinal);
        // The server decodes names too (%71 is q).
        return equals >= 0 && SensitiveParameters.Contains(Uri.UnescapeDataString(parameter[..equals].Replace('+', ' ')))
            ? $"{parameter[..equals]}={Redacted}"
            : parameter;
    }
}

/// <summary>Redacts every finished span's URL tags before any exporter sees it; registered ahead of the exporters.</summary>
public sealed class QueryRedactionProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data) => QueryRedaction.RedactTags(data);
}
