using System.Net;
using System.Text.Json;
using Aimi.Testing;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary><c>GET /memory/export</c>: everything Memory holds about the caller, with provenance, and nothing of anyone else's.</summary>
public sealed class ExportTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Export_holds_the_callers_memories_with_provenance_summaries_graph_state_and_imports_and_nothing_of_another_user()
    {
        var alice = TestAuth.NewUserId();
        var bob = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(alice, goalId, "Run a marathon", 1));
        var session = await host.EndSessionAsync(alice, "I'm preparing for an interview at Contoso. My sister Anna lives in Paris.");
        await host.WaitForSessionAsync(alice, session);
        await Eventually.GetAsync(() => host.WithDbAsync(db => Task.FromResult(db.Nodes.Any(n => n.UserId == alice && n.ExternalId == goalId))), found => found);
        (await host.ClientFor(alice).PostJsonAsync("/memory/conversations", new
        {
            conversationId = "alice-import",
            messages = new[] { new { id = "m1", role = "user", content = "I adopted a cat named Miso", createdAt = host.Time.GetUtcNow().AddDays(-3) } },
        })).EnsureSuccessStatusCode();
        await host.RememberAsync(bob, "I work at Fabrikam and nobody may know");

        var response = await host.ClientFor(alice).GetAsync("/memory/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal("memory", root.GetProperty("service").GetString());
        Assert.Equal(alice, root.GetProperty("userId").GetString());
        var memories = root.GetProperty("memories").EnumerateArray().ToList();
        var episode = Assert.Single(memories, m => m.Str("kind") == "episode" && m.Str("content").Contains("Contoso", StringComparison.Ordinal));
        Assert.Equal(session, episode.GetProperty("sourceSessionId").GetGuid());
        Assert.Single(episode.GetProperty("sourceMessageIds").EnumerateArray());
        Assert.Contains(memories, m => m.Str("kind") == "fact");
        Assert.All(memories, m => Assert.False(m.TryGetProperty("embedding", out _)));
        Assert.Contains(root.GetProperty("summaries").EnumerateArray(), s => s.GetProperty("sessionId").GetGuid() == session);
        Assert.Contains(root.GetProperty("graphNodes").EnumerateArray(), n => n.Str("kind") == "goal" && n.GetProperty("externalId").GetGuid() == goalId);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("userState").ValueKind);
        var import = Assert.Single(root.GetProperty("imports").EnumerateArray());
        Assert.Equal("alice-import", import.Str("conversationId"));

        Assert.DoesNotContain(bob, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Fabrikam", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_memory_never_saw_gets_an_empty_document()
    {
        var root = await host.ClientFor(TestAuth.NewUserId()).GetJsonAsync("/memory/export");

        Assert.Equal(JsonValueKind.Null, root.GetProperty("userState").ValueKind);
        Assert.Empty(root.GetProperty("memories").EnumerateArray());
        Assert.Empty(root.GetProperty("graphEdges").EnumerateArray());
    }
}
