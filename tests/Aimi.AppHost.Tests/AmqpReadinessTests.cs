using Aimi.AppHost.LocalServers;
using Aimi.Infrastructure;
using Aimi.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Aimi.AppHost.Tests;

/// <summary>The AppHost's readiness probe of its RabbitMQ node keeps its connection between runs instead of opening one every 30 s.</summary>
public sealed class AmqpReadinessTests : IAsyncLifetime
{
    // The probe declares nothing, so it connects to the shared node's default virtual host instead of one made for each test.
    private static readonly Uri Node = new(LocalInfrastructure.RabbitMq);

    public Task InitializeAsync() => TestInfrastructure.EnsureAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_second_probe_uses_the_connection_the_first_opened()
    {
        await using var readiness = new AmqpReadiness();

        await readiness.ProbeAsync(Node, CancellationToken.None);
        var first = readiness.Connection;
        await readiness.ProbeAsync(Node, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Same(first, readiness.Connection);
    }

    [Fact]
    public async Task A_probe_after_the_connection_closed_opens_a_new_one()
    {
        await using var readiness = new AmqpReadiness();
        await readiness.ProbeAsync(Node, CancellationToken.None);
        var first = readiness.Connection!;

        await first.CloseAsync(); // as a node that stopped or restarted leaves it
        Assert.Null(readiness.Connection);
        await readiness.ProbeAsync(Node, CancellationToken.None);

        Assert.NotNull(readiness.Connection);
        Assert.NotSame(first, readiness.Connection);
        Assert.True(readiness.Connection!.IsOpen);
    }

    [Fact]
    public async Task A_node_that_does_not_answer_fails_the_probe()
    {
        await using var readiness = new AmqpReadiness();

        await Assert.ThrowsAsync<BrokerUnreachableException>(() =>
            readiness.ProbeAsync(new Uri($"amqp://guest:guest@127.0.0.1:{Ports.Free()}/"), CancellationToken.None));
        Assert.Null(readiness.Connection);
    }
}
