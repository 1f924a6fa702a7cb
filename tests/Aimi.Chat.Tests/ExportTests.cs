using System.Net;
using System.Text.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary><c>GET /chat/export</c>: everything Chat holds about the caller, and nothing of anyone else's.</summary>
public sealed class ExportTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task Export_holds_the_callers_sessions_with_their_starting_context_and_every_message_and_nothing_of_another_user()
    {
        var alice = TestAuth.NewUserId();
        var bob = TestAuth.NewUserId();
        var first = await (await host.ClientFor(alice).SendAsync("I'm preparing for an interview at Contoso", "alice-1")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var second = await (await host.ClientFor(alice).SendAsync("It is on Friday")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var bobs = await (await host.ClientFor(bob).SendAsync("Bob's secret plan")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var response = await host.ClientFor(alice).GetAsync("/chat/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal("chat", root.GetProperty("service").GetString());
        Assert.Equal(alice, root.GetProperty("userId").GetString());
        Assert.Equal(host.Time.GetUtcNow(), root.GetProperty("exportedAt").GetDateTimeOffset());
        Assert.NotEmpty(root.GetProperty("omitted").EnumerateArray());

        var session = Assert.Single(root.GetProperty("sessions").EnumerateArray());
        Assert.Equal(first.SessionId, session.GetProperty("id").GetGuid());
        Assert.Equal(JsonValueKind.Object, session.GetProperty("startingContext").ValueKind);
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal([first.Message.Id, first.Reply.Id, second.Message.Id, second.Reply.Id], messages.Select(m => m.GetProperty("id").GetGuid()));
        Assert.Equal("I'm preparing for an interview at Contoso", messages[0].GetProperty("content").GetString());
        Assert.Equal("alice-1", messages[0].GetProperty("clientMessageId").GetString());
        Assert.Equal(first.Reply.Content, messages[1].GetProperty("content").GetString());
        Assert.Equal(first.Message.Id, messages[1].GetProperty("replyToId").GetGuid());
        Assert.Equal(JsonValueKind.Object, messages[1].GetProperty("metadata").ValueKind);

        Assert.DoesNotContain(bob, text, StringComparison.Ordinal);
        Assert.DoesNotContain(bobs.SessionId.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob's secret plan", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_chat_never_saw_gets_an_empty_document()
    {
        var response = await host.ClientFor(TestAuth.NewUserId()).GetAsync("/chat/export");

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Empty(document.RootElement.GetProperty("sessions").EnumerateArray());
        Assert.Empty(document.RootElement.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Export_needs_a_token()
    {
        var response = await host.CreateClient().GetAsync("/chat/export");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
