using System.Net;
using System.Net.Http.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Aimi.Testing.FakeOpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>Chat on the OpenAI-compatible provider, served by a local endpoint speaking the real wire format.</summary>
public sealed class OpenAiChatHost : ChatHost
{
    private static readonly object MemoryContext = new
    {
        summary = "Preparing for an interview at Zeta",
        mood = "anxious",
        facts = (string[])["Runs on weekends"],
        similarSituations = (string[])["Last interview went well after a mock run"],
    };

    public FakeOpenAiServer Model { get; private set; } = null!;
    public WebApplication Memory { get; private set; } = null!;
    public string MemoryUrl { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Model = await FakeOpenAiServer.StartAsync();
        // A stand-in Memory service on a real port: it answers the starting-context call the way Memory will.
        var memory = WebApplication.CreateSlimBuilder();
        memory.WebHost.UseUrls("http://127.0.0.1:0");
        Memory = memory.Build();
        Memory.MapGet("/memory/context", (HttpRequest request) =>
            request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal)
                ? Results.Json(MemoryContext)
                : Results.Unauthorized());
        await Memory.StartAsync();
        MemoryUrl = Memory.Urls.Single();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ChatSettings() =>
    [
        new("AI:Chat:Provider", "openai"),
        new("AI:Chat:Endpoint", Model.Endpoint.ToString()),
        new("AI:Chat:Model", "test-model"),
        new("AI:Chat:ApiKey", "test-key"),
        new("AI:Chat:MaxRetries", "0"),
        new("services:memory-api:http:0", MemoryUrl),
    ];

    protected override async Task AfterDisposeAsync()
    {
        await base.AfterDisposeAsync();
        await Model.DisposeAsync();
        await Memory.DisposeAsync();
    }
}

public sealed class ModelProviderTests(OpenAiChatHost host) : IClassFixture<OpenAiChatHost>
{
    [Fact]
    public async Task A_tool_call_made_by_the_model_creates_the_record_in_the_goals_service()
    {
        var userId = TestAuth.NewUserId();
        var startsAt = host.Time.GetUtcNow().AddDays(2);
        host.Model.Enqueue(
            FakeChatReply.CallTool("aimi-create_event", new { title = "Dentist", startsAt = startsAt.ToString("O") }),
            FakeChatReply.Text("I noted the dentist; shall I keep it?"));

        var result = await (await host.ClientFor(userId).SendAsync("book the dentist in two days")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var events = await (await host.GoalsClientFor(userId).GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK);
        var created = Assert.Single(events);
        Assert.Equal(("Dentist", "pending_confirmation", startsAt), (created.Title, created.Status, created.StartsAt));
        Assert.Equal("I noted the dentist; shall I keep it?", result.Reply.Content);
        var followUp = host.Model.ChatRequests[^1];
        Assert.Contains(created.Id.ToString(), followUp.ToolResults.Single().Content);
        Assert.Contains("aimi-create_event", host.Model.ChatRequests[0].ToolNames);
        Assert.Contains("Current time:", host.Model.ChatRequests[0].Messages[0].Content);
    }

    [Fact]
    public async Task A_new_session_starts_with_what_memory_knows_of_the_user()
    {
        host.Model.Enqueue(FakeChatReply.Text("Good luck with Zeta!"));

        await (await host.ClientFor(TestAuth.NewUserId()).SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var system = host.Model.ChatRequests[^1].Messages[0].Content!;
        Assert.Contains("Preparing for an interview at Zeta", system);
        Assert.Contains("Recent mood: anxious", system);
        Assert.Contains("Last interview went well after a mock run", system);
    }

    [Fact]
    public async Task A_model_that_keeps_calling_tools_is_stopped_after_a_few_rounds()
    {
        var calls = 0;
        host.Model.ChatHandler = _ => Interlocked.Increment(ref calls) <= 50
            ? FakeChatReply.CallTool("aimi-list_agenda", new { })
            : FakeChatReply.Text("finally");
        try
        {
            var result = await (await host.ClientFor(TestAuth.NewUserId()).SendAsync("what's on?")).ReadAsync<SendResult>(HttpStatusCode.OK);

            Assert.Equal(5, result.Reply.Metadata.GetProperty("toolCalls").GetArrayLength());
            Assert.True(calls <= 6, $"the model was asked {calls} times");
        }
        finally
        {
            host.Model.ChatHandler = null;
        }
    }

    [Fact]
    public async Task When_the_model_is_unreachable_the_message_is_kept_and_the_conversation_goes_on()
    {
        var userId = TestAuth.NewUserId();
        var chat = host.ClientFor(userId);
        host.Model.FailNext(503);

        var failed = await (await chat.SendAsync("are you there?")).ReadAsync<SendResult>(HttpStatusCode.OK);
        host.Model.Enqueue(FakeChatReply.Text("Yes, I'm back."));
        var next = await (await chat.SendAsync("hello?")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Contains("can't reach", failed.Reply.Content, StringComparison.OrdinalIgnoreCase);
        Assert.True(failed.Reply.Metadata.GetProperty("modelUnavailable").GetBoolean());
        Assert.Equal(failed.SessionId, next.SessionId);
        Assert.Equal("Yes, I'm back.", next.Reply.Content);
        // The model sees the whole conversation, the first user message included.
        Assert.Contains(host.Model.ChatRequests[^1].Messages, m => m.Role == "user" && m.Content == "are you there?");
    }
}

/// <summary>Redis is a cache: with it unreachable, the chat answers from PostgreSQL.</summary>
public sealed class NoRedisChatHost : ChatHost
{
    protected override IEnumerable<KeyValuePair<string, string?>> ChatSettings() =>
    [
        new("ConnectionStrings:redis", "127.0.0.1:1,connectTimeout=200,syncTimeout=200"),
        new($"services:memory-api:http:0", "http://127.0.0.1:1"),
    ];
}

public sealed class DegradedDependencyTests(NoRedisChatHost host) : IClassFixture<NoRedisChatHost>
{
    [Fact]
    public async Task Without_redis_or_memory_the_conversation_works_from_the_database()
    {
        var userId = TestAuth.NewUserId();
        var chat = host.ClientFor(userId);

        var first = await (await chat.SendAsync("remind me to stretch tomorrow at 7am")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var second = await (await chat.SendAsync("yes")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Equal(first.SessionId, second.SessionId);
        var events = await (await host.GoalsClientFor(userId).GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK);
        Assert.Equal("planned", Assert.Single(events).Status); // "yes" confirmed it: the history came from PostgreSQL
        var health = await host.CreateClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // degraded, still serving
    }
}
