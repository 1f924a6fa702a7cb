using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Aimi.ServiceDefaults.Export;

/// <summary>
/// A service's <c>GET /{service}/export</c>: one JSON document of everything the service holds about the caller, written row by
/// row as the queries stream (never the whole set in memory). The document starts with <c>service</c>, <c>userId</c>,
/// <c>exportedAt</c> and <c>omitted</c> (what is deliberately left out, and why), then one property per table. A failure after the
/// first bytes went out aborts the connection (the server cannot change a started 200), so a reader never takes a cut-off
/// document for a whole one: the JSON would not close, and the transfer ends in an error.
/// </summary>
public sealed class JsonExport(string service, string userId, IReadOnlyList<string> omitted, Func<JsonExportWriter, Task> write) : IResult
{
    public const string ContentType = "application/json; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var options = services.GetRequiredService<IOptions<HttpJsonOptions>>().Value.SerializerOptions;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.Headers.CacheControl = "no-store";

        var body = httpContext.Response.BodyWriter;
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartObject();
        json.WriteString("service", service);
        json.WriteString("userId", userId);
        json.WriteString("exportedAt", now);
        json.WriteStartArray("omitted");
        foreach (var note in omitted)
        {
            json.WriteStringValue(note);
        }
        json.WriteEndArray();
        var writer = new JsonExportWriter(json, body, options, httpContext.RequestAborted);
        await write(writer);
        json.WriteEndObject();
        await writer.FlushAsync();
    }
}

/// <summary>Writes the properties of a <see cref="JsonExport"/>, flushing to the response every few kilobytes.</summary>
public sealed class JsonExportWriter(Utf8JsonWriter json, PipeWriter body, JsonSerializerOptions options, CancellationToken cancellationToken)
{
    private const int FlushThreshold = 16 * 1024;

    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>A property holding each of <paramref name="rows"/> (a query's <c>AsAsyncEnumerable()</c>) as <paramref name="map"/> makes it, in order.</summary>
    public async Task ArrayAsync<TRow, TItem>(string name, IAsyncEnumerable<TRow> rows, Func<TRow, TItem> map)
    {
        json.WritePropertyName(name);
        json.WriteStartArray();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            JsonSerializer.Serialize(json, map(row), options);
            if (json.BytesPending >= FlushThreshold)
            {
                await FlushAsync();
            }
        }
        json.WriteEndArray();
    }

    /// <summary>A property holding one record, or null when the service has none (a user it never saw).</summary>
    public async Task ValueAsync<TItem>(string name, TItem? value)
    {
        json.WritePropertyName(name);
        JsonSerializer.Serialize(json, value, options);
        await FlushAsync();
    }

    public async Task FlushAsync()
    {
        json.Flush();
        await body.FlushAsync(cancellationToken);
    }
}

/// <summary>A jsonb column's text, written into the document as JSON (not as an escaped string).</summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(string Json)
{
    public static RawJson? Of(string? json) => json is null ? null : new RawJson(json);
}

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(document.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) => writer.WriteRawValue(value.Json);
}
