using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Endpoints;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>The Goals service on a RabbitMQ node of its own, which the test stops and starts.</summary>
public class PrivateBrokerGoalsHost() : ServiceHost<Program>(ResourceNames.GoalsDb)
{
    public PrivateRabbitMqNode Broker { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Broker = await PrivateRabbitMqNode.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("ConnectionStrings:rabbitmq", Broker.ConnectionString),
        new("Outbox:PublishTimeout", "00:00:03"),
        new("Outbox:MaxBackoff", "00:00:02"),
        // A broker outage is nobody's fault but the broker's: with one counted failure a row would be quarantined and lost to the count.
        new("Outbox:MaxAttempts", "1"),
    ];

    protected override async Task AfterDisposeAsync() => await Broker.DisposeAsync();

    public async Task<int> UnsentAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Aimi.Goals.Api.Data.GoalsDbContext>().Set<OutboxMessage>().CountAsync(m => m.SentAt == null);
    }

    public async Task<int> QuarantinedAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Aimi.Goals.Api.Data.GoalsDbContext>().Set<OutboxMessage>().CountAsync(m => m.QuarantinedAt != null);
    }
}

public sealed class BrokerRestartTests(PrivateBrokerGoalsHost host) : IClassFixture<PrivateBrokerGoalsHost>
{
    [Fact]
    public async Task A_RabbitMQ_restart_in_the_middle_of_a_burst_loses_no_event()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        _ = host.Server;
        await using var recorder = await BusRecorder.StartAsync(host.Broker.ConnectionString, typeof(EventChanged));
        var created = new List<Guid>();
        async Task BurstAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var response = await client.PostJsonAsync("/events", new { title = $"Burst {created.Count}", dueAt = DateTimeOffset.UtcNow.AddDays(1) });
                created.Add((await response.ReadAsync<EventResponse>(HttpStatusCode.Created)).Id);
            }
        }

        await BurstAsync(20);
        await host.Broker.StopAsync();
        await BurstAsync(20); // the API keeps accepting: events wait in the outbox
        Assert.True(await host.UnsentAsync() > 0, "The broker was down, so events should be waiting in the outbox.");
        await host.Broker.StartAsync(TimeSpan.FromSeconds(90));
        await BurstAsync(20);

        await recorder.WaitForAsync<EventChanged>(e => created.Contains(e.EventId), count: created.Count, timeout: TimeSpan.FromSeconds(120));
        var distinct = recorder.Received<EventChanged>(e => created.Contains(e.EventId)).Select(e => e.EventId).Distinct().Count();
        Assert.Equal(60, distinct);
        await Eventually.GetAsync(host.UnsentAsync, unsent => unsent == 0, because: "the relay marks every published row sent");
        Assert.Equal(0, await host.QuarantinedAsync());
    }
}

/// <summary>
/// Goals started while its broker is down, taking requests at once (no start grace), and a recorder whose queue was bound
/// before the broker went down, so it sees everything published once it is back.
/// </summary>
public sealed class BrokerAwayAtStartGoalsHost : PrivateBrokerGoalsHost
{
    public BusRecorder Recorder { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Recorder = await BusRecorder.StartAsync(Broker.ConnectionString, typeof(EventChanged));
        await Broker.StopAsync();
    }

    protected override async Task BeforeDisposeAsync() => await Recorder.DisposeAsync();

    protected override bool WaitForBus => false;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [.. base.ExtraSettings(), new("Messaging:StartGrace", "00:00:00")];
}

public sealed class BrokerAwayTests(BrokerAwayAtStartGoalsHost host) : IClassFixture<BrokerAwayAtStartGoalsHost>
{
    [Fact]
    public async Task Without_a_broker_the_service_starts_stays_ready_and_delivers_everything_once_the_broker_is_back()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var health = host.CreateClient();

        // Started without a broker: it answers, readiness says so without failing, and writes wait in the outbox.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/goals")).StatusCode);
        var ready = await health.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", await ready.Content.ReadAsStringAsync());
        var created = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var response = await client.PostJsonAsync("/events", new { title = $"Offline {i}", dueAt = DateTimeOffset.UtcNow.AddDays(1) });
            created.Add((await response.ReadAsync<EventResponse>(HttpStatusCode.Created)).Id);
        }
        Assert.True(await host.UnsentAsync() >= created.Count, "the events wait in the outbox");

        await host.Broker.StartAsync(TimeSpan.FromSeconds(90));
        var after = await (await client.PostJsonAsync("/events", new { title = "Online", dueAt = DateTimeOffset.UtcNow.AddDays(1) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        created.Add(after.Id);
        await host.Recorder.WaitForAsync<EventChanged>(e => created.Contains(e.EventId), count: created.Count, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(created.Count, host.Recorder.Received<EventChanged>(e => created.Contains(e.EventId)).Select(e => e.EventId).Distinct().Count());
        await Eventually.GetAsync(host.UnsentAsync, unsent => unsent == 0, because: "the relay marks every published row sent");
        await Eventually.GetAsync(async () => await (await health.GetAsync("/health")).Content.ReadAsStringAsync(), body => body == "Healthy",
            because: "the bus reconnected", timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(0, await host.QuarantinedAsync());
    }
}
