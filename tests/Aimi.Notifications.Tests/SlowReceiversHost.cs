namespace Aimi.Notifications.Tests;

/// <summary>
/// Dispatchers by hand against receivers that answer late, stall or talk too much (<see cref="SlowReceiver"/>), two
/// delivery slots a replica. The channels' own timeouts are an hour: only the test's clock (the dispatcher's deadline)
/// and the test's word end an exchange, never the wall clock.
/// </summary>
public class SlowReceiversHost : NotificationsHost
{
    public const int Concurrency = 2;
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    public SlowReceiver Receiver { get; private set; } = null!;
    public (string PublicKey, string PrivateKey) Vapid { get; } = PushServiceEndpoint.NewVapidKeys();

    protected override bool DispatcherEnabled => false;

    public override async Task InitializeAsync()
    {
        Receiver = await SlowReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() =>
    [
        new("Notifications:Dispatcher:Concurrency", Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Notifications:Dispatcher:DeliveryTimeout", DeliveryTimeout.ToString()),
        new("Notifications:Webhook:Timeout", "01:00:00"),
        new("Notifications:WebPush:Timeout", "01:00:00"),
        new("Notifications:WebPush:PublicKey", Vapid.PublicKey),
        new("Notifications:WebPush:PrivateKey", Vapid.PrivateKey),
    ];

    protected override async Task BeforeDisposeAsync()
    {
        await base.BeforeDisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>The same receivers, with the service's own dispatch loop running.</summary>
public sealed class SlowReceiversLoopHost : SlowReceiversHost
{
    protected override bool DispatcherEnabled => true;
}
