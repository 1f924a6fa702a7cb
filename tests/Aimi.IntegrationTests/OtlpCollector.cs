using Aimi.Testing;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.IntegrationTests;

/// <summary>A span as an OTLP exporter sent it: the service that emitted it (resource <c>service.name</c>), trace id, name.</summary>
public sealed record CollectedSpan(string Service, string TraceId, string Name);

/// <summary>
/// A small OTLP/HTTP receiver (<c>POST /v1/traces</c>, protobuf) standing in for the dashboard's endpoint, so a test can see which
/// services' spans a trace reached. Logs and metrics are accepted and dropped.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private WebApplication _app = null!;

    public ConcurrentQueue<CollectedSpan> Spans { get; } = new();

    public Uri Endpoint => _app.BaseAddress();

    public static async Task<OtlpCollector> StartAsync()
    {
        var collector = new OtlpCollector();
        collector._app = await LoopbackApp.StartAsync(app =>
        {
            app.MapPost("/v1/traces", async (HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                foreach (var span in OtlpTraces.Read(body.ToArray()))
                {
                    collector.Spans.Enqueue(span);
                }
                return Results.Bytes([], "application/x-protobuf");
            });
            app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        });
        return collector;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// Reads <c>ExportTraceServiceRequest</c> (opentelemetry/proto/collector/trace/v1) from protobuf's wire format, only the fields a
/// test needs: resource_spans(1) → resource(1).attributes(1) key(1)/value(2).string_value(1); scope_spans(2) → spans(2) →
/// trace_id(1), name(5).
/// </summary>
internal static class OtlpTraces
{
    public static IEnumerable<CollectedSpan> Read(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = "";
            foreach (var resource in Fields(resourceSpans, 1))
            {
                foreach (var attribute in Fields(resource, 1))
                {
                    if (Text(Fields(attribute, 1).FirstOrDefault()) == "service.name")
                    {
                        service = Text(Fields(Fields(attribute, 2).FirstOrDefault() ?? [], 1).FirstOrDefault());
                    }
                }
            }
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    var traceId = Convert.ToHexString(Fields(span, 1).FirstOrDefault() ?? []).ToLowerInvariant();
                    yield return new CollectedSpan(service, traceId, Text(Fields(span, 5).FirstOrDefault()));
                }
            }
        }
    }

    private static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);

    /// <summary>The length-delimited values of field <paramref name="number"/>; other fields are skipped by their wire type.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var values = new List<byte[]>();
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var (field, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0:
                    Varint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    if (field == number)
                    {
                        values.Add(message[position..(position + length)]);
                    }
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wireType}.");
            }
        }
        return values;
    }

    private static ulong Varint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
