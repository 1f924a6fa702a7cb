using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Aimi.Memory.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class ApiTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Every_route_is_scoped_by_the_token_subject_and_other_users_ids_are_404()
    {
        var owner = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(owner, goalId, "Write a novel", 1));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.AnyAsync(n => n.ExternalId == goalId)), found => found);
        await host.RememberAsync(owner, "I live in Lisbon. I'm writing a novel about the sea.");
        (await host.ClientFor(owner).PostJsonAsync("/memory/conversations", Conversation("owner-chat", ("a", "I work at Contoso")))).EnsureSuccessStatusCode();
        var memoryId = await host.WithDbAsync(db => db.Memories.Where(m => m.UserId == owner).Select(m => m.Id).FirstAsync());
        var nodeId = await host.WithDbAsync(db => db.Nodes.Where(n => n.UserId == owner).Select(n => n.Id).FirstAsync());

        var client = host.ClientFor(other);
        Assert.Empty((await client.GetJsonAsync("/memory/search?q=Lisbon%20novel")).Items());
        Assert.Empty((await client.GetJsonAsync("/memory/facts?includeInactive=true")).Items());
        Assert.Empty((await client.GetJsonAsync("/memory/graph")).GetProperty("nodes").Items());
        var context = await client.GetJsonAsync("/memory/context?q=Lisbon");
        Assert.Empty(context.GetProperty("memories").Items());
        Assert.Empty(context.GetProperty("facts").Items());
        Assert.Empty(context.GetProperty("goals").Items());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await client.GetJsonAsync("/memory/state")).GetProperty("lastSummary").ValueKind);
        Assert.Equal(0, (await client.GetJsonAsync("/memory/stats")).GetProperty("activeMemories").GetInt32());
        await (await client.GetAsync($"/memory/graph/nodes/{nodeId}/incoming")).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/memory/conversations/owner-chat")).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/memory/items/{memoryId}")).ProblemAsync(HttpStatusCode.NotFound);
        // The same conversation id is another conversation for another user.
        var theirs = await (await client.PostJsonAsync("/memory/conversations", Conversation("owner-chat", ("x", "hi"), ("y", "there")))).ReadAsync<ImportResponse>(HttpStatusCode.Accepted);
        Assert.Equal(2, theirs.MessageCount);
        Assert.Equal(1, (await host.ClientFor(owner).GetJsonAsync("/memory/conversations/owner-chat")).GetProperty("messageCount").GetInt32());
        // The other user's forget-me leaves the owner's memory alone.
        (await client.DeleteAsync("/memory")).EnsureSuccessStatusCode();

        Assert.True(await host.WithDbAsync(db => db.Memories.AnyAsync(m => m.Id == memoryId)));
        Assert.NotEmpty((await host.ClientFor(owner).GetJsonAsync("/memory/search?q=Lisbon")).Items());
    }

    [Fact]
    public async Task Requests_without_a_token_are_401()
    {
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/memory/context")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("/memory")).StatusCode);
    }

    [Theory]
    [InlineData("/memory/search", "q")]
    [InlineData("/memory/search?q=%20", "q")]
    [InlineData("/memory/search?q=x&k=0", "k")]
    [InlineData("/memory/search?q=x&k=51", "k")]
    [InlineData("/memory/search?q=x&kind=diary", "kind")]
    [InlineData("/memory/context?k=100", "k")]
    [InlineData("/memory/search?q=x&from=yesterday", "from")]
    [InlineData("/memory/search?q=x&to=2023-13-01", "to")]
    [InlineData("/memory/search?q=x&from=2023-05-02&to=2023-05-01", "to")]
    public async Task Bad_queries_are_400_problems_naming_the_field(string url, string field)
    {
        var problem = await (await host.ClientFor(TestAuth.NewUserId()).GetAsync(url)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Context_and_search_asked_in_a_body_answer_as_the_query_string_does()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.RememberAsync(user, "I live in Lisbon. I'm writing a novel about the sea.", "My sister Anna lives in Porto.");
        var session = Guid.NewGuid();

        var byQuery = await client.GetJsonAsync($"/memory/context?q=Lisbon%20novel&k=5&sessionId={session}");
        var byBody = await (await client.PostJsonAsync("/memory/context", new { q = "Lisbon novel", k = 5, sessionId = session })).ReadAsync<JsonElement>(HttpStatusCode.OK);
        var found = await client.GetJsonAsync("/memory/search?q=sister&k=3&kind=episode");
        var foundByBody = await (await client.PostJsonAsync("/memory/search", new { q = "sister", k = 3, kind = "episode" })).ReadAsync<JsonElement>(HttpStatusCode.OK);

        Assert.NotEmpty(byQuery.GetProperty("memories").Items());
        Assert.Equal(Ids(byQuery.GetProperty("memories")), Ids(byBody.GetProperty("memories")));
        Assert.Equal(byQuery.GetProperty("facts").ToString(), byBody.GetProperty("facts").ToString());
        Assert.NotEmpty(found.Items());
        Assert.Equal(Ids(found), Ids(foundByBody));
        // The same rules, naming the same fields.
        var tooLong = await (await client.PostJsonAsync("/memory/context", new { q = new string('x', MemoryApi.MaxQueryLength + 1) })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("q", out _), tooLong.ToString());
        var blank = await (await client.PostJsonAsync("/memory/search", new { q = " ", k = 0 })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(blank.GetProperty("errors").TryGetProperty("q", out _) && blank.GetProperty("errors").TryGetProperty("k", out _), blank.ToString());

        static List<string> Ids(JsonElement items) => items.Items().Select(i => i.Str("id")).ToList();
    }

    [Fact]
    public async Task Forgetting_one_item_removes_it_from_search_and_context()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.RememberAsync(user, "I'm allergic to peanuts, by the way. I love sailing.");
        var sailing = (await client.GetJsonAsync("/memory/facts")).Items().Single(f => f.Str("value") == "sailing");

        (await client.DeleteAsync($"/memory/items/{sailing.Str("id")}")).EnsureSuccessStatusCode();

        Assert.DoesNotContain((await client.GetJsonAsync("/memory/facts?includeInactive=true")).Items(), f => f.Str("id") == sailing.Str("id"));
        Assert.DoesNotContain((await client.GetJsonAsync("/memory/search?q=sailing&kind=fact")).Items(), h => h.Str("id") == sailing.Str("id"));
        Assert.DoesNotContain("likes sailing", (await client.GetJsonAsync("/memory/state")).GetProperty("preferences").Items().Select(p => p.GetString()));
        await (await client.DeleteAsync($"/memory/items/{sailing.Str("id")}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Forget_me_removes_every_memory_summary_node_and_the_state_for_good()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Climb Kilimanjaro", 1));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.AnyAsync(n => n.ExternalId == goalId)), found => found);
        var sessionId = Guid.NewGuid();
        var messageId = Guid.NewGuid();
        await host.EndSessionAsync(user, sessionId, messageId, "I live in Nairobi. I'm training for Kilimanjaro. My brother Sam joins me.");
        await host.WaitForSessionAsync(user, sessionId);

        (await client.DeleteAsync("/memory")).EnsureSuccessStatusCode();
        // The same session end delivered again after forget-me must not bring anything back.
        await host.EndSessionAsync(user, sessionId, messageId, "I live in Nairobi. I'm training for Kilimanjaro. My brother Sam joins me.");
        var marker = await host.EndSessionAsync(user, "Marker: hello again.");
        await host.WaitForSessionAsync(user, marker);

        // Only the marker session's memories (its lines are episodes too) may be found.
        Assert.DoesNotContain((await client.GetJsonAsync("/memory/search?q=Nairobi%20Kilimanjaro%20Sam&includeInactive=true")).Items(),
            h => h.GetProperty("sessionId").ValueKind == JsonValueKind.Null || h.GetProperty("sessionId").GetGuid() != marker);
        Assert.Empty((await client.GetJsonAsync("/memory/facts?includeInactive=true")).Items());
        Assert.Empty((await client.GetJsonAsync("/memory/graph")).GetProperty("nodes").Items());
        var context = await client.GetJsonAsync("/memory/context?q=Nairobi");
        Assert.DoesNotContain("Nairobi", context.ToString(), StringComparison.Ordinal);
        Assert.True(await host.WithDbAsync(db => db.Summaries.AllAsync(s => s.UserId != user || s.SessionId != sessionId)));
        await host.Bus.WaitForAsync<UserStateUpdated>(u => u.UserId == user && u.Reason == UserStateReasons.Forgotten);
    }

    [Fact]
    public async Task An_import_is_accepted_processed_and_idempotent_on_its_conversation_id()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var body = Conversation("whatsapp-2025", ("m-1", "I work at Northwind."), ("m-2", "I love climbing."));

        var first = await client.PostJsonAsync("/memory/conversations", body);
        var accepted = await first.ReadAsync<ImportResponse>(HttpStatusCode.Accepted);
        Assert.Equal("/memory/conversations/whatsapp-2025", first.Headers.Location!.AbsolutePath);
        Assert.Equal(2, accepted.MessageCount);

        var processed = await Eventually.GetAsync(() => client.GetJsonAsync("/memory/conversations/whatsapp-2025"), s => s.Str("status") == "processed");
        var again = await (await client.PostJsonAsync("/memory/conversations", body)).ReadAsync<ImportResponse>(HttpStatusCode.Accepted);

        Assert.Equal("processed", again.Status);
        Assert.Equal(accepted.CreatedAt, again.CreatedAt);
        Assert.Equal(processed.GetProperty("createdAt").GetDateTimeOffset(), again.CreatedAt);
        var facts = await client.GetJsonAsync("/memory/facts");
        var work = Assert.Single(facts.Items(), f => f.Str("predicate") == Predicates.WorksAt);
        Assert.Equal(["m-1"], work.GetProperty("sourceMessageIds").Items().Select(i => i.GetString()!).ToArray());
        Assert.Equal(1, await host.WithDbAsync(db => db.Summaries.CountAsync(s => s.UserId == user)));
        var hit = (await client.GetJsonAsync("/memory/search?q=climbing")).Items().First();
        Assert.Contains("m-2", hit.GetProperty("sourceMessageIds").Items().Select(i => i.GetString()));
    }

    [Fact]
    public async Task An_imported_speaker_gets_their_own_statements()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var at = DateTimeOffset.Parse("2025-06-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var body = new
        {
            conversationId = "group-chat",
            messages = new object[]
            {
                new { id = "1", role = "user", content = "I live in Oslo.", createdAt = at },
                new { id = "2", role = "user", speaker = "Anna", content = "I live in Paris.", createdAt = at.AddMinutes(1) },
            },
        };
        (await client.PostJsonAsync("/memory/conversations", body)).EnsureSuccessStatusCode();
        await Eventually.GetAsync(() => client.GetJsonAsync("/memory/conversations/group-chat"), s => s.Str("status") == "processed");

        var facts = (await client.GetJsonAsync("/memory/facts")).Items().Where(f => f.Str("predicate") == Predicates.LivesIn).ToList();
        Assert.Equal(2, facts.Count);
        Assert.Contains(facts, f => f.Str("subject") == "user" && f.Str("value") == "Oslo");
        Assert.Contains(facts, f => f.Str("subject") == "Anna" && f.Str("value") == "Paris" && f.GetProperty("validFrom").GetDateTimeOffset() == at.AddMinutes(1));
    }

    [Fact]
    public async Task Bad_imports_are_400_and_oversized_ones_413_with_nothing_written()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var at = DateTimeOffset.UtcNow;

        var problem = await (await client.PostJsonAsync("/memory/conversations", new
        {
            conversationId = "bad",
            messages = new object[]
            {
                new { id = "1", role = "user", content = "hi", createdAt = at },
                new { id = "1", role = "system", content = "", createdAt = at },
                new { id = new string('x', 101), role = "user", content = "hi" },
            },
        })).ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "messages[1].id", "messages[1].role", "messages[1].content", "messages[2].id", "messages[2].createdAt" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing in {errors}");
        }
        await (await client.PostJsonAsync("/memory/conversations", new { conversationId = "", messages = Array.Empty<object>() })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/memory/conversations", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostJsonAsync("/memory/conversations", new { conversationId = "x", messages = Array.Empty<object>(), userId = "someone-else" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/memory/conversations", new StringContent("conversation", System.Text.Encoding.UTF8, "text/plain"))).ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var tooMany = Conversation("huge", Enumerable.Range(0, ConversationsApi.MaxMessages + 1).Select(i => ($"m{i}", "hello")).ToArray());
        await (await client.PostJsonAsync("/memory/conversations", tooMany)).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var tooBig = new StringContent(new string(' ', ConversationsApi.MaxBodyBytes + 1), System.Text.Encoding.UTF8, "application/json");
        await (await client.PostAsync("/memory/conversations", tooBig)).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.False(await host.WithDbAsync(db => db.Imports.AnyAsync(i => i.UserId == user)));
    }

    private static object Conversation(string id, params (string Id, string Content)[] lines)
    {
        var at = DateTimeOffset.Parse("2025-01-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        return new
        {
            conversationId = id,
            messages = lines.Select((l, i) => new { id = l.Id, role = "user", content = l.Content, createdAt = at.AddMinutes(i) }).ToArray(),
        };
    }
}
