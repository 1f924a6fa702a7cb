using System.Net;
using System.Text.Json;
using Aimi.Notifications.Api.Endpoints;
using Aimi.Testing;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary><c>GET /notifications/export</c>: everything Notifications holds about the caller, no secrets, nothing of anyone else's.</summary>
public sealed class ExportTests(NotificationsHost host) : IClassFixture<NotificationsHost>
{
    [Fact]
    public async Task Export_holds_the_callers_profile_copy_events_reminders_and_channels_without_their_secrets_and_nothing_of_another_user()
    {
        var alice = TestAuth.NewUserId();
        var bob = TestAuth.NewUserId();
        var client = host.ClientFor(alice);
        var eventId = Guid.NewGuid();
        await host.PublishAsync(Events.Profile(alice, email: "alice@example.com"));
        await host.PublishAsync(Events.Changed(alice, eventId, host.Time.GetUtcNow().AddDays(2), title: "Dentist"));
        var secret = await (await client.PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        var subscription = TargetTests.Subscription("https://push.example.net/sub/alice");
        var keys = JsonSerializer.SerializeToElement(subscription, TestJson.Options).GetProperty("keys");
        (await client.PostJsonAsync("/notifications/push-subscriptions", subscription)).EnsureSuccessStatusCode();
        var bobsEvent = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(bob, bobsEvent, host.Time.GetUtcNow().AddDays(2), title: "Bob's secret appointment"));

        var response = await client.GetAsync("/notifications/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal("notifications", root.GetProperty("service").GetString());
        Assert.Equal("alice@example.com", root.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(eventId, Assert.Single(root.GetProperty("events").EnumerateArray()).GetProperty("eventId").GetGuid());
        var reminders = root.GetProperty("reminders").EnumerateArray().ToList();
        Assert.NotEmpty(reminders);
        Assert.All(reminders, r => Assert.Equal(eventId, r.GetProperty("eventId").GetGuid()));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("deliveries").ValueKind);
        // The webhook key and the browser's push keys are secrets: their existence is exported, their values are not.
        Assert.Equal(JsonValueKind.Object, root.GetProperty("webhookSecret").ValueKind);
        Assert.DoesNotContain(secret.Secret, text, StringComparison.Ordinal);
        var push = Assert.Single(root.GetProperty("pushSubscriptions").EnumerateArray());
        Assert.Equal("https://push.example.net/sub/alice", push.GetProperty("endpoint").GetString());
        Assert.DoesNotContain(keys.GetProperty("p256dh").GetString()!, text, StringComparison.Ordinal);
        Assert.DoesNotContain(keys.GetProperty("auth").GetString()!, text, StringComparison.Ordinal);

        Assert.DoesNotContain(bob, text, StringComparison.Ordinal);
        Assert.DoesNotContain(bobsEvent.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob's secret appointment", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_notifications_never_saw_gets_an_empty_document()
    {
        var response = await host.ClientFor(TestAuth.NewUserId()).GetAsync("/notifications/export");

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("profile").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("webhookSecret").ValueKind);
        Assert.Empty(document.RootElement.GetProperty("reminders").EnumerateArray());
    }
}
