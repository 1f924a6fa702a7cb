using System.Net;
using netDumbster.smtp;

namespace Aimi.Notifications.Tests;

/// <summary>Dispatchers by hand, a real SMTP server on loopback (netDumbster) and a webhook receiver.</summary>
public sealed class ChannelsHost : NotificationsHost
{
    public SimpleSmtpServer Smtp { get; private set; } = null!;
    public WebhookReceiver Webhook { get; private set; } = null!;
    public PushServiceEndpoint Push { get; private set; } = null!;
    public (string PublicKey, string PrivateKey) Vapid { get; } = PushServiceEndpoint.NewVapidKeys();

    protected override bool DispatcherEnabled => false;

    public override async Task InitializeAsync()
    {
        Smtp = Configuration.Configure().WithAddress(IPAddress.Loopback).WithRandomPort().Build();
        Webhook = await WebhookReceiver.StartAsync();
        Push = await PushServiceEndpoint.StartAsync(Vapid.PublicKey);
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() =>
    [
        new("Notifications:Smtp:Host", "127.0.0.1"),
        new("Notifications:Smtp:Port", Smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Notifications:Smtp:Security", "None"),
        new("Notifications:Smtp:From", "Aimi <reminders@aimi.test>"),
        new("Notifications:WebPush:PublicKey", Vapid.PublicKey),
        new("Notifications:WebPush:PrivateKey", Vapid.PrivateKey),
        new("Notifications:WebPush:Subject", "mailto:ops@aimi.test"),
    ];

    protected override async Task BeforeDisposeAsync()
    {
        await base.BeforeDisposeAsync();
        await Webhook.DisposeAsync();
        await Push.DisposeAsync();
        Smtp.Dispose();
    }
}
