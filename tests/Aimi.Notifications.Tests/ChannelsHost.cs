using System.Net;
using netDumbster.smtp;

namespace Aimi.Notifications.Tests;

/// <summary>Dispatchers by hand, a real SMTP server on loopback (netDumbster) and a webhook receiver.</summary>
public sealed class ChannelsHost : NotificationsHost
{
    public SimpleSmtpServer Smtp { get; private set; } = null!;
    public WebhookReceiver Webhook { get; private set; } = null!;

    protected override bool DispatcherEnabled => false;

    public override async Task InitializeAsync()
    {
        Smtp = Configuration.Configure().WithAddress(IPAddress.Loopback).WithRandomPort().Build();
        Webhook = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() =>
    [
        new("Notifications:Smtp:Host", "127.0.0.1"),
        new("Notifications:Smtp:Port", Smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Notifications:Smtp:Security", "None"),
        new("Notifications:Smtp:From", "Aimi <reminders@aimi.test>"),
    ];

    protected override async Task BeforeDisposeAsync()
    {
        await base.BeforeDisposeAsync();
        await Webhook.DisposeAsync();
        Smtp.Dispose();
    }
}
