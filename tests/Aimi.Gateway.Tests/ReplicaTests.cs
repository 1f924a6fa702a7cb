using System.Net;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

/// <summary>Goals runs as two replicas, configured as service discovery writes them (<c>services__goals-api__http__0</c> and <c>__1</c>).</summary>
public sealed class TwoReplicaGatewayHost : GatewayHost
{
    protected override bool HasTwoGoalsReplicas => true;
}

public sealed class ReplicaTests(TwoReplicaGatewayHost gateway) : IClassFixture<TwoReplicaGatewayHost>
{
    [Fact]
    public async Task Requests_are_spread_over_every_configured_replica_of_a_service()
    {
        var client = gateway.As(TestAuth.NewUserId());
        var path = $"/goals/{Guid.NewGuid():N}";

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        }

        var first = gateway.Goals.RequestsTo(path).Count;
        var second = gateway.GoalsReplica!.RequestsTo(path).Count;
        Assert.Equal(40, first + second);
        Assert.True(first > 0 && second > 0, $"replica 0 got {first} requests, replica 1 got {second}");
    }
}
