using System.Collections.Concurrent;
using System.Diagnostics;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Aimi.Gateway.Tests;

/// <summary>
/// The gateway as the Aspire AppHost runs it for its dashboard (the instrumentations' own query redaction off), with request and
/// proxy logging asked for by configuration, and a span processor after the gateway's own that keeps what an exporter would get.
/// </summary>
public sealed class QueryRedactionHost : GatewayHost
{
    public ConcurrentQueue<RecordedSpan> Spans { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION", "true"),
        new("OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION", "true"),
        new("Logging:LogLevel:Microsoft.AspNetCore", "Information"),
        new("Logging:LogLevel:Yarp", "Information"),
    ];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new Recorder(Spans))));
    }

    private sealed class Recorder(ConcurrentQueue<RecordedSpan> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) =>
            spans.Enqueue(new RecordedSpan(data.Source.Name, data.DisplayName, data.TagObjects.Select(t => (t.Key, $"{t.Value}")).ToList()));
    }
}

public sealed record RecordedSpan(string Source, string Name, IReadOnlyList<(string Key, string Value)> Tags)
{
    public string? Tag(string key) => Tags.Where(t => t.Key == key).Select(t => t.Value).FirstOrDefault();
}

public sealed class QueryRedactionTests(QueryRedactionHost gateway) : IClassFixture<QueryRedactionHost>
{
    [Fact]
    public async Task Secrets_in_a_query_string_reach_the_service_but_no_span_and_no_log_line()
    {
        var secret = $"secret{Guid.NewGuid():N}";
        var token = $"abc{Guid.NewGuid():N}";
        var path = $"/goals/{Guid.NewGuid():N}";

        (await gateway.As(TestAuth.NewUserId()).GetAsync($"{path}?q={secret}&access_token={token}&k=8")).EnsureSuccessStatusCode();

        Assert.Equal($"?q={secret}&access_token={token}&k=8", Assert.Single(gateway.Goals.RequestsTo(path)).Query);
        // The gateway's server span ends just after the response is sent.
        var server = await Eventually.GetAsync(
            () => Task.FromResult(gateway.Spans.FirstOrDefault(s => s.Source == "Microsoft.AspNetCore" && s.Tag("url.path") == path)), s => s is not null,
            because: "the gateway's span of the request");
        Assert.Contains("q=Redacted", server!.Tag("url.query"), StringComparison.Ordinal);
        Assert.Contains("access_token=Redacted", server.Tag("url.query"), StringComparison.Ordinal);
        Assert.Contains(gateway.Spans, s => s.Source == "System.Net.Http" && s.Tag("url.full")?.Contains(path, StringComparison.Ordinal) == true);
        foreach (var span in gateway.Spans)
        {
            Assert.DoesNotContain(span.Tags, t => t.Value.Contains(secret, StringComparison.Ordinal) || t.Value.Contains(token, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, span.Name, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(gateway.Logs.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal) || e.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sockets_ticket_reaches_chat_but_no_span_and_no_log_line()
    {
        var ticket = $"ticket{Guid.NewGuid():N}";
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var root = new UriBuilder(gateway.BaseAddress) { Scheme = "ws" }.Uri;

        await socket.ConnectAsync(new Uri(root, $"/ws/chat?ticket={ticket}"), timeout.Token);
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal($"?ticket={ticket}", Assert.Single(gateway.Chat.RequestsTo("/ws/chat")).Query);
        // The handshake's server span ends when the socket closes.
        var server = await Eventually.GetAsync(
            () => Task.FromResult(gateway.Spans.FirstOrDefault(s => s.Source == "Microsoft.AspNetCore" && s.Tag("url.path") == "/ws/chat")), s => s is not null,
            because: "the gateway's span of the handshake");
        Assert.Equal("?ticket=Redacted", server!.Tag("url.query"));
        foreach (var span in gateway.Spans)
        {
            Assert.DoesNotContain(span.Tags, t => t.Value.Contains(ticket, StringComparison.Ordinal));
        }
        Assert.DoesNotContain(gateway.Logs.Entries, e => e.Message.Contains(ticket, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("?q=secret&k=8", "?q=Redacted&k=8")]
    [InlineData("q=secret&access_token=abc", "q=Redacted&access_token=Redacted")]
    [InlineData("http://memory-api/memory/search?Q=secret&from=2026-11-01&Token=abc#top", "http://memory-api/memory/search?Q=Redacted&from=2026-11-01&Token=Redacted#top")]
    [InlineData("http://chat-api/ws/chat?ticket=t1&code=c1&state=s", "http://chat-api/ws/chat?ticket=Redacted&code=Redacted&state=s")]
    [InlineData("http://goals-api/goals?%71=secret&query=kept", "http://goals-api/goals?%71=Redacted&query=kept")]
    [InlineData("http://goals-api/goals?*", "http://goals-api/goals?*")]
    [InlineData("http://goals-api/goals", "http://goals-api/goals")]
    public void Only_the_values_of_sensitive_parameters_are_redacted(string url, string redacted) =>
        Assert.Equal(redacted, Aimi.ServiceDefaults.Telemetry.QueryRedaction.Redact(url));
}
