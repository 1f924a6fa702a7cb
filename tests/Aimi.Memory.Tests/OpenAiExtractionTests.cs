using System.Text.Json;
using System.Text.RegularExpressions;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Aimi.Testing;
using Aimi.Testing.FakeOpenAi;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>Memory with its chat model on an OpenAI-compatible endpoint (a local fake speaking the wire format).</summary>
public sealed class OpenAiMemoryHost : MemoryHost
{
    public FakeOpenAiServer Model { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Model = await FakeOpenAiServer.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        .. base.ExtraSettings(),
        new("AI:Chat:Endpoint", Model.Endpoint.ToString()),
        new("AI:Chat:Model", "test-extractor"),
        new("AI:Chat:MaxRetries", "0"),
    ];

    protected override async Task AfterDisposeAsync() => await Model.DisposeAsync();
}

public sealed partial class OpenAiExtractionTests(OpenAiMemoryHost host) : IClassFixture<OpenAiMemoryHost>
{
    /// <summary>
    /// Semantic Kernel's connector writes an Information line with the token counts of every model call, as its function calls do in
    /// Chat (issue 17); the counts are in its metrics already. Memory keeps its warnings and errors.
    /// </summary>
    [Fact]
    public void Model_calls_are_not_logged_line_by_line()
    {
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.SemanticKernel.Connectors.OpenAI.OpenAIChatCompletionService");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public async Task One_structured_call_per_session_gives_the_summary_and_checked_facts()
    {
        var user = TestAuth.NewUserId();
        host.Model.ChatHandler = request =>
        {
            var ids = MessageId().Matches(request.LastUserText ?? "").Select(m => m.Groups[1].Value).ToList();
            var answer = new
            {
                summary = new[] { new { sentence = "The user has an interview at Contoso on Friday and feels nervous.", sourceMessageIds = new[] { ids[0] } } },
                mood = "stressed",
                intents = new[] { "prepare answers for the interview" },
                topics = new[] { "work" },
                facts = new object[]
                {
                    new { subject = "user", predicate = "preparing_for", @object = "interview at Contoso", statement = "I'm preparing for an interview at Contoso", sourceMessageIds = new[] { ids[0] } },
                    new { subject = "user", predicate = "lives_in", @object = "Atlantis", statement = "I live in Atlantis", sourceMessageIds = new[] { "made-up-id" } },
                },
            };
            return FakeChatReply.Text(JsonSerializer.Serialize(answer));
        };

        var session = await host.EndSessionAsync(user, "I'm preparing for an interview at Contoso on Friday, quite nervous.");
        await host.WaitForSessionAsync(user, session);

        var request = Assert.Single(host.Model.ChatRequests, r => r.LastUserText?.Contains("interview at Contoso", StringComparison.Ordinal) == true);
        var format = request.Raw.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal(OpenAiExtractor.SchemaName, format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.True(format.GetProperty("json_schema").GetProperty("strict").GetBoolean());

        var summary = await host.WithDbAsync(db => db.Summaries.SingleAsync(s => s.SessionId == session));
        Assert.StartsWith("The user has an interview at Contoso on Friday", summary.Narrative, StringComparison.Ordinal);
        Assert.EndsWith("and feels nervous.", summary.Narrative, StringComparison.Ordinal);
        Assert.Equal(Moods.Stressed, summary.Mood);
        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts");
        var fact = Assert.Single(facts.Items());
        Assert.Equal("interview at Contoso", fact.Str("value"));
        Assert.Single(fact.GetProperty("sourceMessageIds").Items());
    }

    [Fact]
    public async Task The_summary_is_the_models_sentences_citing_the_known_lines_they_name()
    {
        var at = DateTimeOffset.UtcNow;
        ConversationLine[] lines =
        [
            new("u1", ConversationLine.UserRole, null, "My sister Anna moved to Paris.", at),
            new("a1", ConversationLine.AssistantRole, null, "How nice!", at.AddSeconds(1)),
            new("u2", ConversationLine.UserRole, null, "I'm visiting her in May.", at.AddSeconds(2)),
            new("u3", ConversationLine.UserRole, null, "ok bye", at.AddSeconds(3)),
        ];
        host.Model.ChatHandler = _ => FakeChatReply.Text("""
            {
              "summary": [
                { "sentence": "The user's sister Anna moved to Paris.", "sourceMessageIds": ["u1", "made-up-id"] },
                { "sentence": " ", "sourceMessageIds": ["u3"] },
                { "sentence": "The user will visit her in May.", "sourceMessageIds": ["u2", "u1"] }
              ],
              "mood": "positive",
              "intents": [],
              "topics": ["family"],
              "facts": [
                { "subject": "Anna", "predicate": "lives_in", "object": "Paris", "statement": "My sister Anna moved to Paris", "sourceMessageIds": ["u1"] },
                { "subject": "user", "predicate": "has_relative", "object": "sister Anna", "statement": "My sister is Anna", "sourceMessageIds": ["u1"] }
              ]
            }
            """);

        Extraction extraction;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            extraction = await scope.ServiceProvider.GetRequiredService<IConversationExtractor>().ExtractAsync(lines, CancellationToken.None);
        }

        Assert.Equal("The user's sister Anna moved to Paris. The user will visit her in May.", extraction.Narrative);
        Assert.Equal(["u1", "u2"], extraction.NarrativeSourceIds);
        Assert.Contains(extraction.Facts, f => f is { Subject: "Anna", Predicate: Predicates.LivesIn, Value: "Paris", Content: "Anna: My sister Anna moved to Paris" });
        var request = host.Model.ChatRequests[^1];
        var summary = request.Raw.GetProperty("response_format").GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("summary");
        Assert.False(summary.GetProperty("items").GetProperty("additionalProperties").GetBoolean());
    }

    [GeneratedRegex(@"^\[([^\]]+)\] user:", RegexOptions.Multiline)]
    private static partial Regex MessageId();
}
