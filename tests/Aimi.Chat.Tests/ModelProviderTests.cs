using System.Net;
using System.Net.Http.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Aimi.Testing.FakeOpenAi;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>Chat on the OpenAI-compatible provider, served by a local endpoint speaking the real wire format.</summary>
public sealed class OpenAiChatHost : ChatHost
{
    // Memory's context in its real shape (services/Memory/Endpoints/MemoryApi.cs ContextResponse), at session start.
    private static object StartContext() => new
    {
        summary = "Preparing for an interview at Zeta",
        mood = "anxious",
        facts = (string[])["Runs on weekends", "interview at Contoso on Friday"],
        similarSituations = (string[])["Last interview went well after a mock run"],
        state = new
        {
            lastSummary = "Preparing for an interview at Zeta", mood = "anxious", moodTrend = (string[])["anxious"], preferences = (string[])[],
            activeGoals = new[] { new { goalId = GoalId, title = "Get the Contoso job", weight = 2.5 } },
            pendingItems = new[] { new { eventId = Guid.NewGuid(), title = "Mock interview", status = "awaiting_feedback" } },
            version = 3,
        },
        goals = new object[]
        {
            new { id = Guid.NewGuid(), kind = "goal", label = "Get the Contoso job", externalId = GoalId, status = "active", weight = 2.5, mentions = 4, lastSeenAt = DateTimeOffset.UtcNow, depth = 0 },
            new { id = Guid.NewGuid(), kind = "task", label = "Mock interview", externalId = (Guid?)null, status = (string?)null, weight = 1.0, mentions = 1, lastSeenAt = DateTimeOffset.UtcNow, depth = 1 },
        },
        memories = (object[])[],
    };

    // On a turn, with the message as q: the memories closest to it.
    private static object TurnContext(string q) => new
    {
        summary = "Preparing for an interview at Zeta",
        mood = "anxious",
        facts = (string[])["Runs on weekends", "interview at Contoso on Friday"],
        similarSituations = (string[])[],
        state = new { lastSummary = (string?)null, mood = (string?)null, moodTrend = (string[])[], preferences = (string[])[], activeGoals = (object[])[], pendingItems = (object[])[], version = 3 },
        goals = (object[])[],
        memories = new[]
        {
            new { id = Guid.NewGuid(), kind = "fact", content = $"Prefers morning calls (recalled for: {q})", score = 0.9, sourceMessageIds = (string[])["m-17"], sessionId = Guid.NewGuid(), isActive = true },
        },
    };

    public static readonly Guid GoalId = Guid.NewGuid();

    // What the stand-in search finds, in Memory's MemoryItemResponse shape: the sister's city, and two memories of one
    // sentence about Berlin (the sentence and the fact drawn from it cite the same message).
    public static readonly Guid SisterId = Guid.NewGuid();
    public static readonly Guid BerlinFactId = Guid.NewGuid();
    public static readonly Guid BerlinEpisodeId = Guid.NewGuid();
    public static readonly Guid BerlinLoveId = Guid.NewGuid();

    private static object[] Found(string q) =>
    [
        new { id = SisterId, kind = "episode", content = "My sister lives in Paris", score = 0.9, sourceMessageIds = (string[])["m-1"], isActive = true, validFrom = "2026-11-03T10:00:00Z", role = "user" },
        .. q.Contains("Berlin", StringComparison.OrdinalIgnoreCase)
            ? new object[]
            {
                new { id = BerlinFactId, kind = "fact", content = "I live in Berlin", score = 0.8, sourceMessageIds = (string[])["m-2"], isActive = true, validFrom = "2026-11-04T10:00:00Z", predicate = "lives_in" },
                new { id = BerlinEpisodeId, kind = "episode", content = "I live in Berlin, near the river", score = 0.7, sourceMessageIds = (string[])["m-2"], isActive = true, validFrom = "2026-11-04T10:00:00Z", role = "user" },
            }
            : [],
        .. q.Contains("everything", StringComparison.OrdinalIgnoreCase)
            ? new object[] { new { id = BerlinLoveId, kind = "episode", content = "I love Berlin in spring", score = 0.6, sourceMessageIds = (string[])["m-3"], isActive = true, validFrom = "2026-11-05T10:00:00Z", role = "user" } }
            : [],
    ];

    /// <summary>Every search and every DELETE path the stand-in Memory was called with, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<SearchAsked> MemorySearches { get; } = new();

    public System.Collections.Concurrent.ConcurrentQueue<string> MemoryDeletes { get; } = new();

    /// <summary>Every context the stand-in Memory was asked for, in order (no <c>Q</c> at a session's start).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<ContextAsked> MemoryQueries { get; } = new();

    /// <summary>Every request the stand-in Memory received, as its method, path and query string ("POST /memory/context").</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> MemoryRequests { get; } = new();

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
        Memory.Use(async (context, next) =>
        {
            MemoryRequests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            await next(context);
        });
        // Memory's POST /memory/context and /memory/search: the message travels in the body.
        Memory.MapPost("/memory/context", (HttpRequest request, ContextAsked asked) =>
        {
            if (!request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return Results.Unauthorized();
            }
            MemoryQueries.Enqueue(asked);
            return asked.Q is { } q ? Results.Json(TurnContext(q)) : Results.Json(StartContext());
        });
        Memory.MapPost("/memory/search", (SearchAsked asked) =>
        {
            MemorySearches.Enqueue(asked);
            return Results.Json(Found(asked.Q));
        });
        Memory.MapDelete("/memory/items/{id:guid}", (Guid id) =>
        {
            MemoryDeletes.Enqueue($"/memory/items/{id:D}");
            return Results.NoContent();
        });
        Memory.MapDelete("/memory/messages/{id}", (string id) =>
        {
            MemoryDeletes.Enqueue($"/memory/messages/{id}");
            return Results.NoContent();
        });
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

/// <summary>The body of Memory's <c>POST /memory/context</c> as the stand-in reads it.</summary>
public sealed record ContextAsked(string? Q, int? K, Guid? SessionId);

/// <summary>The body of Memory's <c>POST /memory/search</c> as the stand-in reads it.</summary>
public sealed record SearchAsked(string Q, int? K, string? From, string? To);

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
        Assert.Contains("Remember:\n- remember [fact]: Runs on weekends\n- remember [fact]: interview at Contoso on Friday\n", system.ReplaceLineEndings("\n"));
        // The graph around the active goals, from the session's start.
        Assert.Contains("- goal Get the Contoso job (depth 0, weight 2.5)\n- task Mock interview (depth 1, weight 1)", system.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Every_turn_asks_memory_about_the_message_and_shows_what_it_recalled()
    {
        var chat = host.ClientFor(TestAuth.NewUserId());
        host.Model.Enqueue(FakeChatReply.Text("Hi!"), FakeChatReply.Text("Noted."));
        var first = await (await chat.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var before = host.MemoryQueries.Count;

        await (await chat.SendAsync("call me tomorrow?")).ReadAsync<SendResult>(HttpStatusCode.OK);

        // The second turn's session already has its starting context: one call, with the message as q and k=8, naming the session so
        // that Memory leaves out its own messages (already in the prompt). The message is in the body, in no URL.
        Assert.Equal([new ContextAsked("call me tomorrow?", 8, first.SessionId)], host.MemoryQueries.Skip(before));
        Assert.DoesNotContain(host.MemoryRequests, r => r.Contains('?', StringComparison.Ordinal) || r.Contains("call", StringComparison.Ordinal));
        var system = host.Model.ChatRequests[^1].Messages[0].Content!;
        Assert.Contains("- remember [fact]: Prefers morning calls (recalled for: call me tomorrow?)", system);
        Assert.Contains("- remember [fact]: interview at Contoso on Friday", system);
        // What the first turn recalled is not carried over; the graph of the session's start is, as the turn's answer had none.
        Assert.DoesNotContain("(recalled for: hello)", system);
        Assert.Contains("- goal Get the Contoso job (depth 0", system);
    }

    [Fact]
    public async Task The_model_is_told_about_memory_and_its_search_reaches_memory_with_the_users_token()
    {
        host.Model.Enqueue(
            FakeChatReply.CallTool("aimi-search_memory", new { query = "where my sister lives", from = "2026-11-01", to = "2026-11-30" }),
            FakeChatReply.Text("You told me your sister lives in Paris."));

        var result = await (await host.ClientFor(TestAuth.NewUserId()).SendAsync("where does my sister live?")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Equal("You told me your sister lives in Paris.", result.Reply.Content);
        var first = host.Model.ChatRequests[^2];
        Assert.Contains("aimi-search_memory", first.ToolNames);
        Assert.Contains("aimi-forget_memory", first.ToolNames);
        Assert.Contains("call search_memory", first.Messages[0].Content);
        Assert.Contains("call forget_memory", first.Messages[0].Content);
        Assert.Contains(new SearchAsked("where my sister lives", 24, "2026-11-01", "2026-11-30"), host.MemorySearches);
        Assert.DoesNotContain(host.MemoryRequests, r => r.Contains('?', StringComparison.Ordinal) || r.Contains("sister", StringComparison.Ordinal));
        // The result reaches the model with the day it was said, in the user's calendar.
        var toolResult = host.Model.ChatRequests[^1].ToolResults.Single().Content!;
        Assert.Contains("My sister lives in Paris", toolResult);
        Assert.Contains("\"said\":\"2026-11-03\"", toolResult);
        Assert.Equal("search_memory", result.Reply.Metadata.GetProperty("toolCalls")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Forget_memory_deletes_what_matches_and_the_turn_is_not_remembered()
    {
        var chat = host.ClientFor(TestAuth.NewUserId());
        host.Model.Enqueue(
            FakeChatReply.CallTool("aimi-forget_memory", new { query = "I live in Berlin" }),
            FakeChatReply.Text("Done, forgotten."));

        var result = await (await chat.SendAsync("please forget that I live in Berlin")).ReadAsync<SendResult>(HttpStatusCode.OK);

        // One thing matched (the sentence and its fact cite one message): both deleted, no question asked; the sister stays.
        Assert.Contains($"/memory/items/{OpenAiChatHost.BerlinFactId:D}", host.MemoryDeletes);
        Assert.Contains($"/memory/items/{OpenAiChatHost.BerlinEpisodeId:D}", host.MemoryDeletes);
        Assert.DoesNotContain($"/memory/items/{OpenAiChatHost.SisterId:D}", host.MemoryDeletes);
        // The request itself is dropped from memory, and both of the turn's messages say so to Memory.
        Assert.Contains($"/memory/messages/{result.Message.Id:D}", host.MemoryDeletes);
        Assert.False(result.Reply.Metadata.GetProperty("remember").GetBoolean());
        Assert.Contains("\"forgotten\":2", host.Model.ChatRequests[^1].ToolResults.Single().Content);
        var stored = await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.SessionId == result.SessionId).OrderBy(m => m.Sequence).ToListAsync());
        Assert.All(stored, m => Assert.False(Aimi.Chat.Api.Orchestration.OrchestratorAnswer.Remembers(m.Metadata)));
    }

    [Fact]
    public async Task Forgetting_several_things_asks_first_and_the_yes_forgets_the_candidates_the_next_prompt_lists()
    {
        var chat = host.ClientFor(TestAuth.NewUserId());
        host.Model.Enqueue(
            FakeChatReply.CallTool("aimi-forget_memory", new { query = "everything about Berlin" }),
            FakeChatReply.Text("I found two things about Berlin — forget both?"));

        var asked = await (await chat.SendAsync("forget everything about Berlin")).ReadAsync<SendResult>(HttpStatusCode.OK);

        // Two different things said (two messages): nothing is deleted before the user agrees.
        Assert.DoesNotContain(host.MemoryDeletes, d => d.StartsWith("/memory/items/", StringComparison.Ordinal) && d.Contains(OpenAiChatHost.BerlinLoveId.ToString("D"), StringComparison.Ordinal));
        Assert.Contains("\"needsConfirmation\":true", host.Model.ChatRequests[^1].ToolResults.Single().Content);
        Assert.Equal(3, asked.Reply.Metadata.GetProperty("toolCalls")[0].GetProperty("forgetCandidates").GetArrayLength());

        host.Model.ChatHandler = request => request.ToolResults.Count > 0
            ? FakeChatReply.Text("Forgotten.")
            : FakeChatReply.CallTool("aimi-forget_memory", new
            {
                memoryIds = string.Join(',', System.Text.RegularExpressions.Regex.Matches(request.Messages[0].Content![request.Messages[0].Content!.IndexOf("Confirm forgetting:", StringComparison.Ordinal)..], @"\[([0-9a-f-]{36})\]").Select(m => m.Groups[1].Value)),
            });
        try
        {
            var yes = await (await chat.SendAsync("yes")).ReadAsync<SendResult>(HttpStatusCode.OK);

            Assert.Equal("Forgotten.", yes.Reply.Content);
            foreach (var id in new[] { OpenAiChatHost.BerlinFactId, OpenAiChatHost.BerlinEpisodeId, OpenAiChatHost.BerlinLoveId })
            {
                Assert.Contains($"/memory/items/{id:D}", host.MemoryDeletes);
            }
            Assert.DoesNotContain($"/memory/items/{OpenAiChatHost.SisterId:D}", host.MemoryDeletes);
        }
        finally
        {
            host.Model.ChatHandler = null;
        }
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
