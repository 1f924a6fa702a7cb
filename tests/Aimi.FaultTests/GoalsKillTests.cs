using Aimi.Contracts.Goals;
using Aimi.Infrastructure;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>Goals killed with SIGKILL in the middle of a burst of creates, then started again on the same database and broker.</summary>
[Trait("Category", "Faults")]
public sealed class GoalsKillTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private BusRecorder _bus = null!;
    private ServiceProcess _goals = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.GoalsDb);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.GoalsDb);
        // Bound before the burst, so every EventChanged the service publishes is recorded.
        _bus = await BusRecorder.StartAsync(_virtualHost.ConnectionString, typeof(EventChanged));
        _goals = new ServiceProcess("Goals", "Aimi.Goals.Api", GoalsSettings.For(_database.ConnectionString, _virtualHost.ConnectionString));
        await _goals.StartAsync();
    }

    [Fact]
    public async Task Goals_killed_mid_burst_loses_no_create_and_does_none_twice()
    {
        var burst = new GoalsBurst(_goals.BaseAddress, _database.ConnectionString, _bus, output);
        await _goals.ShowingLogOnFailureAsync(output, () => burst.RunAsync("kill -9 Goals mid-burst", count: 200, interval: TimeSpan.FromMilliseconds(40), async () =>
        {
            _goals.Kill();
            await _goals.StartAsync();
        }));
    }

    // The process first (xunit calls DisposeAsync before Dispose): it must not outlive its database.
    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_goals, _bus, _virtualHost, _database);

    public void Dispose() => _goals?.Dispose();
}

/// <summary>The settings a Goals child process runs with: its database and vhost, the test signing key, migrations at start.</summary>
public static class GoalsSettings
{
    public static IEnumerable<KeyValuePair<string, string?>> For(string database, string rabbitMq) =>
    [
        new($"ConnectionStrings:{ResourceNames.GoalsDb}", database),
        new($"ConnectionStrings:{ResourceNames.RabbitMq}", rabbitMq),
        new($"ConnectionStrings:{ResourceNames.Redis}", LocalInfrastructure.Redis),
        new("Database:MigrateOnStartup", "true"),
        .. TestAuth.Settings,
    ];
}
