using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aimi.Contracts.Chat;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Xunit.Abstractions;

namespace Aimi.IntegrationTests;

/// <summary>
/// The system as a user runs it, started by the real AppHost (<see cref="AimiSystem"/>): a development token from the gateway,
/// an event created and read back through the gateway, conversations with the local model (REST and WebSocket) that write into
/// Goals and end on the bus, and one request followed by its trace from the gateway through both services.
/// </summary>
[Collection(WholeSystem.Name)]
public partial class SystemTests(AimiSystem system, ITestOutputHelper output) : IClassFixture<AimiSystem>
{
    [Fact]
    public async Task An_event_created_through_the_gateway_is_read_back_and_hidden_from_other_users()
    {
        using var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, $"e2e-user-{Guid.NewGuid():N}"));

        var dueAt = DateTimeOffset.UtcNow.Date.AddDays(1).AddHours(12);
        using var created = await http.PostAsJsonAsync(new Uri("/events", UriKind.Relative), new
        {
            type = "task",
            title = "Call the dentist",
            dueAt = new DateTimeOffset(dueAt, TimeSpan.Zero),
            source = "api",
            confirmed = true,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetString();
        Assert.Equal("planned", body.GetProperty("status").GetString());

        var read = await http.GetFromJsonAsync<JsonElement>(new Uri($"/events/{id}", UriKind.Relative));
        Assert.Equal(id, read.GetProperty("id").GetString());
        Assert.Equal("Call the dentist", read.GetProperty("title").GetString());
        Assert.Equal("task", read.GetProperty("type").GetString());

        var agenda = await http.GetStringAsync(new Uri($"/agenda?date={dueAt:yyyy-MM-dd}", UriKind.Relative));
        Assert.Contains(id!, agenda, StringComparison.Ordinal);

        // Another user sees nothing of it, through the same gateway.
        using var stranger = new HttpClient { BaseAddress = system.Gateway };
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(stranger, $"e2e-other-{Guid.NewGuid():N}"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(new Uri($"/events/{id}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Conversations_write_reminders_into_goals_end_on_the_bus_and_resume_with_pending_items()
    {
        // Started before any goodbye, so no ChatSessionEnded can slip past it.
        await using var bus = await BusRecorder.StartAsync(system.RabbitMq, typeof(ChatSessionEnded));
        await ConverseAsync(system.Gateway, bus, "Europe/Berlin", "remind me to call mom tomorrow at 6pm", "call mom", "bye", "hi");
        await ConverseAsync(system.Gateway, bus, "Europe/Moscow", "напомни позвонить маме завтра в 18:00", "позвонить маме", "пока", "привет");
    }

    [Fact]
    public Task The_websocket_through_the_gateway_acknowledges_then_replies() => ChatOverWebSocketAsync(system.Gateway);

    [Fact]
    public async Task A_chat_request_is_one_trace_from_the_gateway_through_chat_and_goals()
    {
        using var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, $"e2e-trace-{Guid.NewGuid():N}"));
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/chat/send", UriKind.Relative))
        {
            // A reminder makes the assistant call Goals (create_event), so the trace must cross all three services.
            Content = JsonContent.Create(new { content = "remind me to buy bread tomorrow at 9am" }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Chat also asks Memory about every message, but under a short deadline (and a circuit breaker) that may give up
        // while the machine is busy, so memory-api's span is reported, not required.
        string[] required = [ResourceNames.ChatApi, ResourceNames.Gateway, ResourceNames.GoalsApi];
        await Eventually.GetAsync(
            () => Task.FromResult(system.Telemetry.Spans.Where(s => s.TraceId == traceId).Select(s => s.Service).Distinct().ToList()),
            found => required.All(found.Contains),
            TimeSpan.FromSeconds(30),
            $"spans of trace {traceId} from {ResourceNames.Gateway}, {ResourceNames.ChatApi} and {ResourceNames.GoalsApi}");
        output.WriteLine(string.Join(Environment.NewLine, system.Telemetry.Spans.Where(s => s.TraceId == traceId).Select(s => $"{s.Service}: {s.Name}")));
    }

    [Fact]
    public async Task What_one_conversation_says_is_remembered_in_the_next()
    {
        using var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, $"e2e-memory-{Guid.NewGuid():N}"));

        var first = await SendAsync(http, "I'm preparing for an interview at Contoso");
        var messageId = first.GetProperty("message").GetProperty("id").GetGuid();
        var sessionId = first.GetProperty("sessionId").GetGuid();
        Assert.True((await SendAsync(http, "bye")).GetProperty("sessionEnded").GetBoolean());

        // The message is searchable as soon as Memory has it (an episode, or the fact it states: search shows each message once),
        // citing exactly that message; the fact follows off the request path once the session is summarised.
        static bool Cites(JsonElement item, Guid id) => item.GetProperty("sourceMessageIds").EnumerateArray().Any(i => Guid.TryParse(i.GetString(), out var g) && g == id);
        var found = await Eventually.GetAsync(
            () => http.GetFromJsonAsync<JsonElement>(new Uri("/memory/search?q=interview", UriKind.Relative)),
            items => items.EnumerateArray().Any(i => i.GetProperty("content").GetString()!.Contains("Contoso", StringComparison.Ordinal) && Cites(i, messageId)),
            TimeSpan.FromSeconds(60), "the interview at Contoso to be searchable");
        Assert.Equal(sessionId, found.EnumerateArray().First(i => Cites(i, messageId)).GetProperty("sessionId").GetGuid());
        var facts = await Eventually.GetAsync(
            () => http.GetFromJsonAsync<JsonElement>(new Uri("/memory/facts", UriKind.Relative)),
            items => items.EnumerateArray().Any(i => i.GetProperty("content").GetString()!.Contains("Contoso", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the fact about Contoso");
        var fact = facts.EnumerateArray().First(i => i.GetProperty("content").GetString()!.Contains("Contoso", StringComparison.Ordinal));
        Assert.True(Cites(fact, messageId), fact.ToString());
        Assert.Equal(sessionId, fact.GetProperty("sessionId").GetGuid());

        // Memory classified the message as it was stored, and Chat wrote that into the message's metadata.
        var tagged = await Eventually.GetAsync(
            () => http.GetFromJsonAsync<JsonElement>(new Uri($"/chat/sessions/{sessionId}", UriKind.Relative)),
            session => session.GetProperty("messages")[0].GetProperty("metadata").TryGetProperty("tags", out _),
            TimeSpan.FromSeconds(30), "the first message's classification");
        Assert.Contains("work", tagged.GetProperty("messages")[0].GetProperty("metadata").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        // A new session starts knowing it: the context Chat reads, and the first reply (the local model greets with the prompt's Remember: block).
        var context = await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/context", UriKind.Relative));
        Assert.Contains(context.GetProperty("facts").EnumerateArray(), f => f.GetString()!.Contains("Contoso", StringComparison.Ordinal));
        var next = await SendAsync(http, "hi");
        var greeting = next.GetProperty("reply").GetProperty("content").GetString()!;
        output.WriteLine($"memory: hi -> {greeting}");
        Assert.NotEqual(sessionId, next.GetProperty("sessionId").GetGuid());
        Assert.Contains("Contoso", greeting, StringComparison.Ordinal);
    }

    /// <summary>
    /// One user's two sessions through the gateway: the reminder becomes a pending event in Goals at tomorrow 18:00 in
    /// the user's zone, the goodbye ends the session and announces it on the bus, and the next session opens with the pending item.
    /// </summary>
    private async Task ConverseAsync(Uri gateway, BusRecorder bus, string timeZone, string reminder, string title, string goodbye, string greeting)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        var subject = $"e2e-chat-{Guid.NewGuid():N}";
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, subject));
        (await http.PutAsJsonAsync(new Uri("/me", UriKind.Relative), new { timeZone })).EnsureSuccessStatusCode();

        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var before = TomorrowAt18(zone);
        var first = await SendAsync(http, reminder);
        var after = TomorrowAt18(zone);
        output.WriteLine($"{timeZone}: {reminder} -> {first.GetProperty("reply").GetProperty("content").GetString()}");
        var sessionId = first.GetProperty("sessionId").GetGuid();
        Assert.False(first.GetProperty("sessionEnded").GetBoolean());
        Assert.Equal("create_event", first.GetProperty("reply").GetProperty("metadata").GetProperty("toolCalls")[0].GetProperty("name").GetString());

        var events = await http.GetFromJsonAsync<JsonElement>(new Uri("/events", UriKind.Relative));
        var created = Assert.Single(events.EnumerateArray());
        Assert.Contains(title, created.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("pending_confirmation", created.GetProperty("status").GetString());
        Assert.Equal("chat", created.GetProperty("source").GetString());
        // Tomorrow as of the request; the two differ only when it crossed midnight in that zone.
        Assert.Contains(created.GetProperty("startsAt").GetDateTimeOffset(), new[] { before, after });

        var bye = await SendAsync(http, goodbye);
        Assert.Equal(sessionId, bye.GetProperty("sessionId").GetGuid());
        Assert.True(bye.GetProperty("sessionEnded").GetBoolean());
        Assert.Equal("goodbye", bye.GetProperty("endReason").GetString());
        var ended = Assert.Single(await bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == sessionId, timeout: TimeSpan.FromSeconds(30)));
        Assert.Equal(subject, ended.UserId);
        Assert.Equal("goodbye", ended.Reason);
        Assert.Equal([reminder, goodbye], ended.Transcript.Where(t => t.Role == "user").Select(t => t.Content));

        var next = await SendAsync(http, greeting);
        output.WriteLine($"{timeZone}: {greeting} -> {next.GetProperty("reply").GetProperty("content").GetString()}");
        Assert.NotEqual(sessionId, next.GetProperty("sessionId").GetGuid());
        Assert.Contains(title, next.GetProperty("reply").GetProperty("content").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The socket through the gateway, opened as a browser does (a single-use ticket in the query): the ack comes first, then the reply.</summary>
    private async Task ChatOverWebSocketAsync(Uri gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        var token = await DevTokenAsync(http, $"e2e-socket-{Guid.NewGuid():N}");
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var issued = await http.PostAsync(new Uri("/chat/socket-tickets", UriKind.Relative), content: null);
        var ticket = (await issued.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        var url = new UriBuilder(gateway) { Scheme = "ws", Path = "/ws/chat", Query = $"ticket={Uri.EscapeDataString(ticket)}" }.Uri;
        await socket.ConnectAsync(url, timeout.Token);

        var frame = JsonSerializer.SerializeToUtf8Bytes(new { type = "message", content = "remind me to water the plants tomorrow at 9am", clientMessageId = "e2e-socket-1" });
        await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);

        var frames = new List<JsonElement>();
        while (frames.LastOrDefault() is not { ValueKind: JsonValueKind.Object } last || last.GetProperty("type").GetString() is not ("reply" or "error"))
        {
            frames.Add(await ReceiveFrameAsync(socket, timeout.Token));
        }
        output.WriteLine($"socket frames: {string.Join(", ", frames.Select(f => f.GetProperty("type").GetString()))}");
        var types = frames.Select(f => f.GetProperty("type").GetString()).Where(t => t is "ack" or "reply" or "error").ToList();
        Assert.Equal(["ack", "reply"], types);
        var ack = frames.Single(f => f.GetProperty("type").GetString() == "ack");
        var reply = frames[^1];
        Assert.Equal("e2e-socket-1", ack.GetProperty("clientMessageId").GetString());
        Assert.Equal("e2e-socket-1", reply.GetProperty("clientMessageId").GetString());
        Assert.Equal(ack.GetProperty("sessionId").GetGuid(), reply.GetProperty("sessionId").GetGuid());
        Assert.NotEqual(ack.GetProperty("messageId").GetGuid(), reply.GetProperty("messageId").GetGuid());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("content").GetString()));
        Assert.False(reply.GetProperty("duplicate").GetBoolean());

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    private static async Task<JsonElement> ReceiveFrameAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(Encoding.UTF8.GetString(message.ToArray())).RootElement.Clone();
    }

    private static async Task<JsonElement> SendAsync(HttpClient http, string content)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/chat/send", UriKind.Relative), new { content });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /chat/send '{content}' answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static DateTimeOffset TomorrowAt18(TimeZoneInfo zone)
    {
        var tomorrow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date.AddDays(1).AddHours(18);
        return new DateTimeOffset(tomorrow, zone.GetUtcOffset(tomorrow));
    }

    private static async Task<string> DevTokenAsync(HttpClient http, string subject)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/auth/dev-token", UriKind.Relative), new { subject });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /auth/dev-token answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!;
    }

}
