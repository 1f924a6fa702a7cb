using Aimi.Contracts.Goals;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Goals' RabbitMQ (a private node) stopped for 60 s in the middle of a burst of creates through the gateway: the API keeps
/// answering (the outbox holds the events), and every event crosses the broker once after it is back.
/// </summary>
[Trait("Category", "Faults")]
public sealed class RabbitMqOutageTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);
    private PrivateRabbitMqNode _rabbitMq = null!;
    private TestDatabase _database = null!;
    private BusRecorder _bus = null!;
    private ServiceProcess _goals = null!;
    private ServiceProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _rabbitMq = await PrivateRabbitMqNode.StartAsync();
        _database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.GoalsDb);
        // Durable on the node's own disk: it outlives the stop, and so do the messages queued in it.
        _bus = await BusRecorder.StartAsync(_rabbitMq.ConnectionString, typeof(EventChanged));
        _goals = new ServiceProcess("Goals", "Aimi.Goals.Api", GoalsSettings.For(_database.ConnectionString, _rabbitMq.ConnectionString));
        await _goals.StartAsync();
        _gateway = ServiceProcess.Gateway(GatewaySettings.For((ResourceNames.GoalsApi, [_goals.BaseAddress])));
        await _gateway.StartAsync();
    }

    [Fact]
    public async Task Goals_answers_through_a_broker_outage_and_delivers_every_event_once_after_it()
    {
        var burst = new GoalsBurst(_gateway.BaseAddress, _database.ConnectionString, _bus, output);
        // 400 creates over 80 s, the broker stopped 10 s in for a minute.
        await _goals.ShowingLogOnFailureAsync(output, () => burst.RunAsync("RabbitMQ stopped 60 s mid-burst (Goals)", count: 400,
            interval: TimeSpan.FromMilliseconds(200), async () =>
            {
                await _rabbitMq.StopAsync();
                await Task.Delay(Outage);
                await _rabbitMq.StartAsync(TimeSpan.FromSeconds(90));
            }, faultAt: 50, deadline: TimeSpan.FromMinutes(3)));
    }

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_gateway, _goals, _bus, _database, _rabbitMq);

    public void Dispose()
    {
        _gateway?.Dispose();
        _goals?.Dispose();
    }
}
