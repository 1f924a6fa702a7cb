using System.Net;
using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>What the user has Memory forget is deleted and never written again: not by a chat message, a session end or an import.</summary>
public sealed class ForgettingTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Forgetting_a_message_deletes_its_episodes_of_this_user_only_and_a_second_time_is_fine()
    {
        var owner = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var client = host.ClientFor(owner);
        // Imported ids are the client's own: another user's conversation may use the same one.
        await ImportAsync(client, "locker", ("lk-1", "My locker code at the gym is 4711."), ("lk-2", "And the spare key is under the blue flowerpot."));
        await ImportAsync(host.ClientFor(other), "locker", ("lk-1", "My locker code at the gym is 4711."));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/memory/messages/lk-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/memory/messages/lk-1")).StatusCode);

        var episodes = await host.EpisodesOfAsync(owner);
        Assert.Equal("lk-2", Assert.Single(episodes).SourceMessageIds.Single());
        // The next line kept the forgotten one as its context, searchable with it: that goes too.
        Assert.Null(episodes.Single().Context);
        Assert.Equal(0, await EpisodesSayingAsync(owner, "locker"));
        Assert.Equal(["lk-1"], await ForgottenAsync(owner));

        Assert.Equal("lk-1", Assert.Single(await host.EpisodesOfAsync(other)).SourceMessageIds.Single());
        Assert.Equal(1, await EpisodesSayingAsync(other, "locker"));
        Assert.Empty(await ForgottenAsync(other));
    }

    [Fact]
    public async Task A_blank_or_too_long_message_id_is_a_400_naming_it_and_the_longest_id_an_import_takes_is_fine()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);

        foreach (var id in new[] { "%20", new string('x', MemoryDbContext.MessageIdMaxLength + 1) })
        {
            var problem = await (await client.DeleteAsync($"/memory/messages/{id}")).ProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("messageId", out _), problem.ToString());
        }
        var longest = new string('y', ConversationsApi.MaxIdLength);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/memory/messages/{longest}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/memory/messages/chat%2F17")).StatusCode);
        Assert.Equal(["chat/17", longest], (await ForgottenAsync(user)).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_message_not_to_be_remembered_becomes_no_episode_no_reading_and_no_fact_at_the_session_end()
    {
        var user = TestAuth.NewUserId();
        var sessionId = Guid.NewGuid();
        var city = $"Zanzibar{Guid.NewGuid():N}"[..16];
        var request = host.ChatMessage(user, sessionId, "user", $"Please forget that I live in {city}.", remember: false);
        var reply = host.ChatMessage(user, sessionId, "assistant", $"Done: I no longer remember that you live in {city}.", remember: false);
        await PublishAndWaitAsync(request);
        await PublishAndWaitAsync(reply);
        var marker = host.ChatMessage(user, sessionId, "user", "Marker: I work at Fabrikam.");
        await PublishAndWaitAsync(marker);

        Assert.Equal([marker.MessageId.ToString()], (await host.EpisodesOfAsync(user)).SelectMany(e => e.SourceMessageIds).ToArray());
        // Not classified either: its tags and goal would be Memory's words about what the user wants gone.
        Assert.False(await host.ClassifiedAsync(request.MessageId));
        Assert.True(await host.ClassifiedAsync(marker.MessageId));

        await host.EndSessionAsync(user, sessionId, [Line(request), Line(reply), Line(marker)]);
        await host.WaitForSessionAsync(user, sessionId);

        Assert.Equal([marker.MessageId.ToString()], (await host.EpisodesOfAsync(user)).SelectMany(e => e.SourceMessageIds).ToArray());
        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts?includeInactive=true");
        Assert.DoesNotContain(facts.Items(), f => f.Str("predicate") == Predicates.LivesIn);
        Assert.Contains(facts.Items(), f => f.Str("predicate") == Predicates.WorksAt && f.Str("value") == "Fabrikam");
        Assert.DoesNotContain(city, (await host.ClientFor(user).GetJsonAsync($"/memory/search?q={city}&includeInactive=true&k=50")).ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(city, (await host.ClientFor(user).GetJsonAsync("/memory/state")).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_episode_deleted_mid_session_is_not_written_again_nor_read_for_facts_at_the_session_end()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var sessionId = Guid.NewGuid();
        var city = $"Quokkaville{Guid.NewGuid():N}"[..18];
        var said = host.ChatMessage(user, sessionId, "user", $"I live in {city} now.");
        await PublishAndWaitAsync(said);
        var episode = Assert.Single((await client.GetJsonAsync($"/memory/search?q={city}&kind=episode")).Items());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/memory/items/{episode.Str("id")}")).StatusCode);
        var marker = host.ChatMessage(user, sessionId, "user", "I work at Contoso.");
        await host.EndSessionAsync(user, sessionId, [Line(said), Line(marker)]);
        await host.WaitForSessionAsync(user, sessionId);

        Assert.Equal([marker.MessageId.ToString()], (await host.EpisodesOfAsync(user)).SelectMany(e => e.SourceMessageIds).ToArray());
        var facts = await client.GetJsonAsync("/memory/facts?includeInactive=true");
        Assert.DoesNotContain(facts.Items(), f => f.Str("predicate") == Predicates.LivesIn);
        Assert.Contains(facts.Items(), f => f.Str("predicate") == Predicates.WorksAt && f.Str("value") == "Contoso");
        Assert.DoesNotContain(city, (await client.GetJsonAsync($"/memory/search?q={city}&includeInactive=true&k=50")).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_forgotten_before_it_was_recorded_is_never_stored()
    {
        var user = TestAuth.NewUserId();
        var sessionId = Guid.NewGuid();
        var said = host.ChatMessage(user, sessionId, "user", "I live in Tromsø and I'm allergic to peanuts.");

        Assert.Equal(HttpStatusCode.NoContent, (await host.ClientFor(user).DeleteAsync($"/memory/messages/{said.MessageId}")).StatusCode);
        await PublishAndWaitAsync(said);
        var marker = host.ChatMessage(user, sessionId, "user", "I love sailing.");
        await PublishAndWaitAsync(marker);
        await host.EndSessionAsync(user, sessionId, [Line(said), Line(marker)]);
        await host.WaitForSessionAsync(user, sessionId);

        Assert.Equal([marker.MessageId.ToString()], (await host.EpisodesOfAsync(user)).SelectMany(e => e.SourceMessageIds).ToArray());
        var facts = (await host.ClientFor(user).GetJsonAsync("/memory/facts?includeInactive=true")).Items().Select(f => f.Str("predicate")).ToList();
        Assert.Equal([Predicates.Likes], facts);
    }

    [Fact]
    public async Task A_deleted_fact_is_not_extracted_again_from_a_session_end_carrying_its_message_and_a_deleted_summary_forgets_nothing()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var first = Guid.NewGuid();
        var said = host.ChatMessage(user, first, "user", "I live in Reykjavik.");
        await host.EndSessionAsync(user, first, [Line(said)]);
        await host.WaitForSessionAsync(user, first);
        var summary = Assert.Single((await client.GetJsonAsync("/memory/search?q=Reykjavik&kind=summary")).Items());
        var fact = Assert.Single((await client.GetJsonAsync("/memory/facts")).Items(), f => f.Str("predicate") == Predicates.LivesIn);

        Assert.Contains("Reykjavik", (await client.GetJsonAsync("/memory/state")).Str("lastSummary"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/memory/items/{summary.Str("id")}")).StatusCode);
        Assert.Empty(await ForgottenAsync(user));
        // The portrait drops the forgotten summary's narrative; the session stays marked as remembered.
        Assert.Null((await client.GetJsonAsync("/memory/state")).Str("lastSummary"));
        Assert.Equal(1, await host.WithDbAsync(db => db.Summaries.CountAsync(s => s.UserId == user && s.Narrative == "")));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/memory/items/{fact.Str("id")}")).StatusCode);
        Assert.Equal([said.MessageId.ToString()], await ForgottenAsync(user));

        // A later transcript carries the message again (a resumed conversation, a re-export): neither stored nor read.
        var second = Guid.NewGuid();
        var marker = host.ChatMessage(user, second, "user", "I work at Northwind.");
        await host.EndSessionAsync(user, second, [Line(said), Line(marker)]);
        await host.WaitForSessionAsync(user, second);

        var facts = await client.GetJsonAsync("/memory/facts?includeInactive=true");
        Assert.DoesNotContain(facts.Items(), f => f.Str("predicate") == Predicates.LivesIn);
        Assert.Contains(facts.Items(), f => f.Str("predicate") == Predicates.WorksAt && f.Str("value") == "Northwind");
        // The first session's episode was not what the user deleted: it stays, and only there.
        Assert.Equal([first], (await host.EpisodesOfAsync(user)).Where(e => e.SourceMessageIds.Contains(said.MessageId.ToString())).Select(e => e.SourceSessionId).ToArray());
    }

    [Fact]
    public async Task Forget_me_also_drops_the_list_of_forgotten_messages()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        (await client.DeleteAsync("/memory/messages/one")).EnsureSuccessStatusCode();
        (await client.DeleteAsync("/memory/messages/two")).EnsureSuccessStatusCode();

        var forgotten = await (await client.DeleteAsync("/memory")).ReadAsync<System.Text.Json.JsonElement>(HttpStatusCode.OK);

        Assert.Equal(2, forgotten.GetProperty("forgottenMessages").GetInt32());
        Assert.Empty(await ForgottenAsync(user));
    }

    private static TranscriptLine Line(ChatMessageRecorded message) => new()
    {
        MessageId = message.MessageId, Role = message.Role, Content = message.Content, At = message.At, Remember = message.Remember,
    };

    /// <summary>Publishes the message and waits until Memory has handled it (its broker id is recorded in the handler's transaction).</summary>
    private async Task PublishAndWaitAsync(ChatMessageRecorded message)
    {
        var brokerId = Guid.NewGuid();
        await host.Bus.Bus.Publish(message, context => context.MessageId = brokerId);
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ProcessedMessage>()
            .AnyAsync(p => p.Consumer == "memory-chat-message-recorded" && p.MessageId == brokerId)), handled => handled, because: $"{message.Content} handled");
    }

    /// <summary>How many of the user's episodes the full-text half finds by a word (their own words or their context).</summary>
    private Task<int> EpisodesSayingAsync(string user, string word) => host.WithDbAsync(async db => (await db.QueryAsync(
        "SELECT count(*)::int FROM memory_texts WHERE user_id = @user AND kind = 'episode' AND search_vector @@ to_tsquery('english', @word)",
        new Dictionary<string, object?> { ["user"] = user, ["word"] = word }, r => r.GetInt32(0), default)).Single());

    private Task<List<string>> ForgottenAsync(string user) =>
        host.WithDbAsync(db => db.ForgottenMessages.Where(f => f.UserId == user).Select(f => f.MessageId).ToListAsync());

    private static async Task ImportAsync(HttpClient client, string conversationId, params (string Id, string Content)[] lines)
    {
        var at = DateTimeOffset.Parse("2025-03-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var body = new
        {
            conversationId,
            messages = lines.Select((l, i) => new { id = l.Id, role = "user", content = l.Content, createdAt = at.AddMinutes(i) }).ToArray(),
        };
        (await client.PostJsonAsync("/memory/conversations", body)).EnsureSuccessStatusCode();
        await Eventually.GetAsync(() => client.GetJsonAsync($"/memory/conversations/{conversationId}"), s => s.Str("status") == "processed",
            because: $"{conversationId} imported");
    }
}
