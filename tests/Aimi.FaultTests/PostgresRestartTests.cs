using Aimi.Contracts.Goals;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>Goals' PostgreSQL stopped hard in the middle of a burst of creates and started again a few seconds later.</summary>
[Trait("Category", "Faults")]
public sealed class PostgresRestartTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private PrivatePostgresServer _postgres = null!;
    private TestVirtualHost _virtualHost = null!;
    private BusRecorder _bus = null!;
    private ServiceProcess _goals = null!;
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PrivatePostgresServer.StartAsync();
        await _postgres.CreateDatabaseAsync(ResourceNames.GoalsDb);
        _database = _postgres.ConnectionString(ResourceNames.GoalsDb);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.GoalsDb);
        _bus = await BusRecorder.StartAsync(_virtualHost.ConnectionString, typeof(EventChanged));
        _goals = new ServiceProcess("Goals", "Aimi.Goals.Api", GoalsSettings.For(_database, _virtualHost.ConnectionString));
        await _goals.StartAsync();
    }

    [Fact]
    public async Task Goals_through_a_database_restart_loses_no_create_and_does_none_twice()
    {
        var burst = new GoalsBurst(_goals.BaseAddress, _database, _bus, output);
        await _goals.ShowingLogOnFailureAsync(output, () => burst.RunAsync("PostgreSQL restarted mid-burst (Goals)", count: 200, interval: TimeSpan.FromMilliseconds(40), async () =>
        {
            await _postgres.StopHardAsync();
            await Task.Delay(TimeSpan.FromSeconds(3)); // an outage the clients see, not only a blip
            await _postgres.StartAgainAsync();
        }));
    }

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_goals, _bus, _virtualHost, _postgres);

    public void Dispose() => _goals?.Dispose();
}
