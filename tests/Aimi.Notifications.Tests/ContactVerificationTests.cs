using System.Net;
using System.Text.Json;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.ServiceDefaults.Targets;
using Aimi.Testing;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using netDumbster.smtp;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>A real SMTP server for the codes, and webhook receivers that answer the challenge rightly, wrongly, late, or after 4 KiB.</summary>
public sealed class VerificationHost : NotificationsHost
{
    public SimpleSmtpServer Smtp { get; private set; } = null!;
    public Uri Receivers { get; private set; } = null!;
    private WebApplication? _receivers;

    protected override bool DispatcherEnabled => false;

    public override async Task InitializeAsync()
    {
        Smtp = Configuration.Configure().WithAddress(IPAddress.Loopback).WithRandomPort().Build();
        _receivers = await LoopbackApp.StartAsync(app =>
        {
            app.MapPost("/echo", async (HttpRequest r) => Results.Text(await ChallengeOf(r)));
            app.MapPost("/json", async (HttpRequest r) => Results.Json(new { challenge = await ChallengeOf(r) }));
            app.MapPost("/ignore", () => Results.Ok());
            app.MapPost("/refuse", () => Results.NotFound());
            app.MapPost("/late", async (HttpRequest r) =>
            {
                var challenge = await ChallengeOf(r);
                await Task.Delay(TimeSpan.FromSeconds(3));
                return Results.Text(challenge);
            });
            app.MapPost("/padded", async (HttpRequest r) => Results.Text(new string(' ', GuardedHttp.MaxResponseBody) + await ChallengeOf(r)));
        });
        Receivers = _receivers.BaseAddress();
        await base.InitializeAsync();
    }

    private static async Task<string> ChallengeOf(HttpRequest request)
    {
        using var json = await JsonDocument.ParseAsync(request.Body);
        return json.RootElement.GetProperty("type").GetString() == WebhookVerificationWords.Type ? json.RootElement.GetProperty("challenge").GetString()! : "";
    }

    protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() =>
    [
        new("Notifications:Smtp:Host", "127.0.0.1"),
        new("Notifications:Smtp:Port", Smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Notifications:Smtp:Security", "None"),
        new("Notifications:Smtp:From", "Aimi <reminders@aimi.test>"),
        new($"{WebhookOptions.Section}:{nameof(WebhookOptions.VerificationTimeout)}", "00:00:01"),
    ];

    protected override async Task BeforeDisposeAsync()
    {
        await base.BeforeDisposeAsync();
        if (_receivers is not null)
        {
            await _receivers.DisposeAsync();
        }
        Smtp.Dispose();
    }
}

/// <summary>Issue 18, item 2, the sending side: the code goes out once by mail; a webhook URL is verified only by echoing the challenge in time.</summary>
public sealed class ContactVerificationTests(VerificationHost host) : IClassFixture<VerificationHost>
{
    [Fact]
    public async Task The_code_is_mailed_once_to_the_new_address_and_an_expired_one_not_at_all()
    {
        var userId = TestAuth.NewUserId();
        var request = Confirmation(userId, "nina@example.org", "402913", expiresIn: TimeSpan.FromMinutes(30));
        var messageId = Guid.NewGuid();

        var expiredId = Guid.NewGuid();

        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId); // redelivered
        await host.Bus.Bus.Publish(Confirmation(userId, "nina@example.org", "111111", expiresIn: TimeSpan.FromMinutes(-1)), c => c.MessageId = expiredId);
        // The marker: a later code on the same queue; once it is mailed, the ones before it have been taken.
        await host.Bus.Bus.Publish(Confirmation(userId, "marker@example.org", "999999", expiresIn: TimeSpan.FromMinutes(30)));
        await Eventually.GetAsync(() => Task.FromResult(MailsTo("marker@example.org").Count), n => n == 1, because: "the marker mail");
        // Consumers run side by side: the expired one is known to be done once its handling committed.
        await Eventually.GetAsync(() => ProcessedAsync(expiredId), done => done, because: $"message {expiredId} to be processed");
        await Eventually.GetAsync(() => ProcessedAsync(messageId), done => done, because: $"message {messageId} to be processed");

        var mail = Assert.Single(MailsTo("nina@example.org"));
        Assert.Contains("402913", mail.Data, StringComparison.Ordinal);
        Assert.Contains("Your Aimi confirmation code", mail.Data, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Smtp.ReceivedEmail, m => m.Data.Contains("111111", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("echo", true)]
    [InlineData("json", true)]
    [InlineData("ignore", false)]
    [InlineData("refuse", false)]
    [InlineData("late", false)]
    [InlineData("padded", false)] // the echo comes after the 4 KiB that are read
    public async Task A_webhook_is_verified_only_when_it_echoes_the_challenge_in_time(string receiver, bool verified)
    {
        var request = new WebhookVerificationRequested
        {
            VerificationId = Guid.NewGuid(),
            UserId = TestAuth.NewUserId(),
            WebhookUrl = new Uri(host.Receivers, receiver).ToString(),
            OccurredAt = host.Time.GetUtcNow(),
        };

        await host.Bus.Bus.Publish(request);
        var result = (await host.Bus.WaitForAsync<WebhookVerificationCompleted>(m => m.VerificationId == request.VerificationId))[0];

        Assert.Equal((request.UserId, request.WebhookUrl, verified), (result.UserId, result.WebhookUrl, result.Verified));
        Assert.Equal(verified, result.Error is null);
    }

    [Fact]
    public async Task The_challenge_goes_through_the_send_time_guard()
    {
        using var strict = ActivatorUtilities.CreateInstance<WebhookVerifier>(host.Services, Options.Create(new UserTargetOptions { AllowPrivateTargets = false }));

        var error = await strict.ChallengeAsync(new Uri(host.Receivers, "echo").ToString(), CancellationToken.None);

        Assert.NotNull(error);
        Assert.Contains("private network", error, StringComparison.Ordinal);
    }

    private Task<bool> ProcessedAsync(Guid messageId) => host.WithDbAsync(db =>
        db.Set<ProcessedMessage>().AnyAsync(m => m.Consumer == "notifications-email-confirmation-requested" && m.MessageId == messageId));

    private List<netDumbster.smtp.SmtpMessage> MailsTo(string address) =>
        host.Smtp.ReceivedEmail.Where(m => m.ToAddresses.Any(a => a.Address == address)).ToList();

    private EmailConfirmationRequested Confirmation(string userId, string email, string code, TimeSpan expiresIn) => new()
    {
        ConfirmationId = Guid.NewGuid(),
        UserId = userId,
        Email = email,
        Code = code,
        Locale = "en",
        ExpiresAt = host.Time.GetUtcNow() + expiresIn,
        OccurredAt = host.Time.GetUtcNow(),
    };
}
