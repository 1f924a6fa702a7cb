using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Domain;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// Issue 18, item 2: an address typed into the profile is used only once proven — an e-mail address by the code mailed
/// to it, a webhook URL by echoing a challenge — and codes and challenges are capped, so Aimi cannot be aimed at strangers.
/// </summary>
public sealed class ContactVerificationTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private readonly string _userId = TestAuth.NewUserId();
    private HttpClient Client => host.ClientFor(_userId);

    [Fact]
    public async Task A_new_email_address_is_announced_only_once_its_owner_typed_back_the_code()
    {
        var me = await SetEmailAsync("ivy@example.org");
        Assert.Equal(("ivy@example.org", "pending"), (me.Channels.Email, me.Channels.EmailStatus));
        var pending = await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == _userId && p.Version == me.Version);
        Assert.Null(pending[0].Channels.Email);

        var code = await CodeAsync("ivy@example.org");
        var wrong = await (await ConfirmAsync(Other(code))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(wrong.GetProperty("errors").TryGetProperty("code", out _), wrong.ToString());
        var confirmed = await (await ConfirmAsync(code)).ReadAsync<MeResponse>(HttpStatusCode.OK);

        Assert.Equal("verified", confirmed.Channels.EmailStatus);
        var announced = await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == _userId && p.Version == confirmed.Version);
        Assert.Equal("ivy@example.org", announced[0].Channels.Email);
        // Used once: the same code again finds nothing to confirm.
        await (await ConfirmAsync(code)).ProblemAsync(HttpStatusCode.Conflict);
        // A different address starts over, and the verified one is withdrawn from Notifications at once.
        var changed = await SetEmailAsync("ivy@example.net");
        Assert.Equal("pending", changed.Channels.EmailStatus);
        var withdrawn = await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == _userId && p.Version == changed.Version);
        Assert.Null(withdrawn[0].Channels.Email);
    }

    [Fact]
    public async Task Every_try_counts_even_with_fresh_idempotency_keys_and_the_sixth_needs_a_new_code()
    {
        await SetEmailAsync("jo@example.org");
        var code = await CodeAsync("jo@example.org");

        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/me/email/confirm") { Content = System.Net.Http.Json.JsonContent.Create(new { code = Other(code) }) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString()); // a rolled-back refusal would let guesses go uncounted
            await (await Client.SendAsync(request)).ProblemAsync(HttpStatusCode.BadRequest);
        }
        var blocked = await ConfirmAsync(code);

        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.NotNull(blocked.Headers.RetryAfter);
        Assert.Equal("pending", (await MeAsync()).Channels.EmailStatus);
        // A new code works (and the old one no longer does).
        await (await Client.PostAsync("/me/email/resend", null)).ReadAsync<MeResponse>(HttpStatusCode.Accepted);
        var fresh = await CodeAsync("jo@example.org", count: 2);
        if (fresh != code)
        {
            await (await ConfirmAsync(code)).ProblemAsync(HttpStatusCode.BadRequest);
        }
        Assert.Equal("verified", (await (await ConfirmAsync(fresh)).ReadAsync<MeResponse>(HttpStatusCode.OK)).Channels.EmailStatus);
    }

    [Fact]
    public async Task A_code_expires_after_thirty_minutes()
    {
        await SetEmailAsync("kim@example.org");
        var code = await CodeAsync("kim@example.org");

        host.Time.Advance(TimeSpan.FromMinutes(31));
        var expired = await (await ConfirmAsync(code)).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("expired", expired.GetProperty("errors").GetProperty("code")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("pending", (await MeAsync()).Channels.EmailStatus);
    }

    [Fact]
    public async Task At_most_three_codes_an_hour_whether_by_resending_or_by_changing_the_address()
    {
        await SetEmailAsync("lee@example.org");
        await (await Client.PostAsync("/me/email/resend", null)).ReadAsync<MeResponse>(HttpStatusCode.Accepted);
        await SetEmailAsync(null); // clearing and setting again does not start a new count
        await SetEmailAsync("lee@example.net");

        var resend = await Client.PostAsync("/me/email/resend", null);
        var another = await Client.PutJsonAsync("/me", new { channels = new { inApp = true, email = "victim@example.com" } });

        var problem = await resend.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(resend.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
        Assert.True(problem.GetProperty("retryAfter").GetInt32() > 0);
        await another.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("lee@example.net", (await MeAsync()).Channels.Email);
        await host.Bus.WaitForAsync<EmailConfirmationRequested>(m => m.UserId == _userId, count: 3);
        // The marker: once the hour has passed a fourth code goes out; had the refused ones been sent, they would be ahead of it.
        host.Time.Advance(TimeSpan.FromHours(1));
        await (await Client.PostAsync("/me/email/resend", null)).ReadAsync<MeResponse>(HttpStatusCode.Accepted);
        await host.Bus.WaitForAsync<EmailConfirmationRequested>(m => m.UserId == _userId, count: 4);
        Assert.Equal(4, host.Bus.Received<EmailConfirmationRequested>(m => m.UserId == _userId).Count);
        Assert.DoesNotContain(host.Bus.Received<EmailConfirmationRequested>(), m => m.Email == "victim@example.com");
    }

    [Fact]
    public async Task Confirming_without_a_waiting_code_is_a_409_and_a_malformed_code_a_400()
    {
        await (await ConfirmAsync("123456")).ProblemAsync(HttpStatusCode.Conflict);
        await (await Client.PostAsync("/me/email/resend", null)).ProblemAsync(HttpStatusCode.Conflict);
        await (await Client.PostAsync("/me/webhook/verify", null)).ProblemAsync(HttpStatusCode.Conflict);
        var malformed = await (await Client.PostJsonAsync("/me/email/confirm", new { code = "12ab" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(malformed.GetProperty("errors").TryGetProperty("code", out _));
    }

    [Fact]
    public async Task A_code_confirms_only_its_own_users_address()
    {
        await SetEmailAsync("mo@example.org");
        var code = await CodeAsync("mo@example.org");
        var other = host.ClientFor(TestAuth.NewUserId());
        await other.PutJsonAsync("/me", new { channels = new { inApp = true, email = "mo@example.org" } });

        await (await other.PostJsonAsync("/me/email/confirm", new { code })).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal("verified", (await (await ConfirmAsync(code)).ReadAsync<MeResponse>(HttpStatusCode.OK)).Channels.EmailStatus);
    }

    [Fact]
    public async Task A_webhook_url_is_announced_only_after_it_answered_the_challenge()
    {
        const string url = "https://hooks.example.org/aimi";
        var me = await SetWebhookAsync(url);
        Assert.Equal("pending", me.Channels.WebhookStatus);
        var requested = (await host.Bus.WaitForAsync<WebhookVerificationRequested>(m => m.UserId == _userId))[0];
        Assert.Equal(url, requested.WebhookUrl);

        // An answer to some other challenge changes nothing; the answer to this one verifies the URL.
        await host.Bus.Bus.Publish(Completed(requested, verified: true) with { VerificationId = Guid.NewGuid() });
        await host.Bus.Bus.Publish(Completed(requested, verified: true));
        var announced = await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == _userId && p.Channels.WebhookUrl == url);

        var now = await MeAsync();
        Assert.Equal("verified", now.Channels.WebhookStatus);
        Assert.Equal(me.Version + 1, now.Version);
        Assert.Equal(now.Version, announced[0].Version);
    }

    [Fact]
    public async Task A_failed_check_says_why_and_a_recheck_is_capped()
    {
        const string url = "https://hooks.example.org/broken";
        await SetWebhookAsync(url);
        var first = (await host.Bus.WaitForAsync<WebhookVerificationRequested>(m => m.UserId == _userId))[0];
        await host.Bus.Bus.Publish(Completed(first, verified: false, error: "The webhook answered 404 Not Found to the verification challenge."));
        var failed = await Eventually.GetAsync(() => ChannelsAsync(), c => c.Webhook?.Status == "failed");
        Assert.Contains("404", failed.Webhook!.Error, StringComparison.Ordinal);
        Assert.Equal("failed", (await MeAsync()).Channels.WebhookStatus);

        for (var i = 0; i < 4; i++)
        {
            var recheck = await (await Client.PostAsync("/me/webhook/verify", null)).ReadAsync<MeResponse>(HttpStatusCode.Accepted);
            Assert.Equal("pending", recheck.Channels.WebhookStatus);
        }
        var capped = await Client.PostAsync("/me/webhook/verify", null);

        await capped.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.NotNull(capped.Headers.RetryAfter);
        var checks = await host.Bus.WaitForAsync<WebhookVerificationRequested>(m => m.UserId == _userId, count: 5);
        // The late answer to the first (failed) check does not count for the current one.
        await host.Bus.Bus.Publish(Completed(first, verified: true));
        // The outbox may publish the five checks in any order: the current one is the check the profile waits for.
        var current = await host.WithDbAsync(db => db.ContactVerifications
            .Where(v => v.Channel == ContactChannel.Webhook && db.Users.Any(u => u.Id == v.UserId && u.ExternalSubject == _userId))
            .Select(v => v.CheckId).SingleAsync());
        await host.Bus.Bus.Publish(Completed(checks.Single(c => c.VerificationId == current), verified: true));
        var verified = await Eventually.GetAsync(() => MeAsync(), m => m.Channels.WebhookStatus == "verified");
        await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == _userId && p.Version == verified.Version);
        Assert.Single(host.Bus.Received<UserProfileChanged>(p => p.UserId == _userId && p.Channels.WebhookUrl == url));
    }

    private static WebhookVerificationCompleted Completed(WebhookVerificationRequested request, bool verified, string? error = null) => new()
    {
        VerificationId = request.VerificationId,
        UserId = request.UserId,
        WebhookUrl = request.WebhookUrl,
        Verified = verified,
        Error = error,
        OccurredAt = DateTimeOffset.UtcNow,
    };

    private async Task<MeResponse> SetEmailAsync(string? email) =>
        await (await Client.PutJsonAsync("/me", new { channels = new { inApp = true, email } })).ReadAsync<MeResponse>(HttpStatusCode.OK);

    private async Task<MeResponse> SetWebhookAsync(string url) =>
        await (await Client.PutJsonAsync("/me", new { channels = new { inApp = true, webhookUrl = url } })).ReadAsync<MeResponse>(HttpStatusCode.OK);

    private async Task<string> CodeAsync(string email, int count = 1) =>
        (await host.Bus.WaitForAsync<EmailConfirmationRequested>(m => m.UserId == _userId && m.Email == email, count))[^1].Code;

    private Task<HttpResponseMessage> ConfirmAsync(string code) => Client.PostJsonAsync("/me/email/confirm", new { code });

    private async Task<MeResponse> MeAsync() => await (await Client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);

    private async Task<ContactChannelsResponse> ChannelsAsync() => await (await Client.GetAsync("/me/channels")).ReadAsync<ContactChannelsResponse>(HttpStatusCode.OK);

    private static string Other(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
