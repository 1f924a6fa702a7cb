using Aimi.Infrastructure;
using Aimi.ServiceDefaults.Targets;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aimi.Testing;

/// <summary>
/// A service under test on real infrastructure: its own fresh database and RabbitMQ virtual host, the test signing
/// key, hosted in-process by <see cref="WebApplicationFactory{TEntryPoint}"/>, with host names answered by <see cref="TestDns"/>.
/// Use as an xunit class fixture.
/// </summary>
public abstract class ServiceHost<TProgram> : WebApplicationFactory<TProgram>, IAsyncLifetime where TProgram : class
{
    private readonly string _databaseName;
    private TestDatabase? _database;
    private TestVirtualHost? _virtualHost;

    protected ServiceHost(string databaseName) => _databaseName = databaseName;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The host is not initialised.");
    public TestVirtualHost VirtualHost => _virtualHost ?? throw new InvalidOperationException("The host is not initialised.");

    public virtual async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync(_databaseName);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(_databaseName);
    }

    public HttpClient ClientFor(string userId) => CreateClient().WithUser(userId);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(AimiEnvironments.Testing);
        // UseSetting (not ConfigureAppConfiguration) so the values are visible while Program reads configuration.
        IEnumerable<KeyValuePair<string, string?>> settings =
        [
            new($"ConnectionStrings:{_databaseName}", Database.ConnectionString),
            new("ConnectionStrings:rabbitmq", VirtualHost.ConnectionString),
            new("ConnectionStrings:redis", LocalInfrastructure.Redis),
            .. TestAuth.Settings,
            // The relay's gathering waits on the service's clock, which a test host's tests move themselves (OutboxGatherTests turns it on).
            new("Outbox:Gather", "00:00:00"),
            .. ExtraSettings(),
        ];
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.AddSingleton<HostResolver>(TestDns.ResolveAsync));
    }

    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [];

    /// <summary>
    /// Whether starting the host waits until its bus has connected and bound its queues (services start without waiting
    /// for the broker; a test that publishes at once needs the queues there). Off for a test that starts with the broker away.
    /// </summary>
    protected virtual bool WaitForBus => true;

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        if (WaitForBus && host.Services.GetService<IBusControl>() is { } bus)
        {
            var status = bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
            if (status != BusHealthStatus.Healthy)
            {
                throw new InvalidOperationException($"The service's bus did not connect within 90 s ({status}).");
            }
        }
        return host;
    }

    /// <summary>Stops what a derived host started, before the service and its resources go.</summary>
    protected virtual Task BeforeDisposeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await BeforeDisposeAsync();
        await base.DisposeAsync();
        if (_virtualHost is not null)
        {
            await _virtualHost.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        await AfterDisposeAsync();
    }

    /// <summary>Releases what must outlive the service (a private broker the service was connected to).</summary>
    protected virtual Task AfterDisposeAsync() => Task.CompletedTask;
}
