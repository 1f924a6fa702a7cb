using System.Text.Json;
using System.Text.RegularExpressions;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Aimi.Testing;
using Aimi.Testing.FakeOpenAi;
using Microsoft.EntityFrameworkCore;
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
    [Fact]
    public async Task One_structured_call_per_session_gives_the_summary_and_checked_facts()
    {
        var user = TestAuth.NewUserId();
        host.Model.ChatHandler = request =>
        {
            var ids = MessageId().Matches(request.LastUserText ?? "").Select(m => m.Groups[1].Value).ToList();
            var answer = new
            {
                narrative = "The user has an interview at Contoso on Friday and feels nervous.",
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
        Assert.Equal("The user has an interview at Contoso on Friday and feels nervous.", summary.Narrative);
        Assert.Equal(Moods.Stressed, summary.Mood);
        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts");
        var fact = Assert.Single(facts.Items());
        Assert.Equal("interview at Contoso", fact.Str("value"));
        Assert.Single(fact.GetProperty("sourceMessageIds").Items());
    }

    [GeneratedRegex(@"^\[([^\]]+)\] user:", RegexOptions.Multiline)]
    private static partial Regex MessageId();
}
