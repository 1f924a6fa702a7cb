using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Aimi.Messaging;

public sealed class BrokerReadinessOptions
{
    /// <summary>
    /// How long after start a service waits for its first broker connection before it takes requests anyway. Until then it
    /// is not ready, so that on a fresh broker its queues are bound before anything it causes is published; after that
    /// (or once connected) a broker outage never makes it unready: the outbox keeps what it writes.
    /// </summary>
    public TimeSpan StartGrace { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The readiness check for the bus. MassTransit's own check only reports (a lost connection is <c>Degraded</c>, which
/// readiness answers 200); this one holds a starting service back until its bus has connected once, or until
/// <see cref="BrokerReadinessOptions.StartGrace"/> has passed.
/// </summary>
internal sealed class BrokerReadinessCheck(IBusControl bus, TimeProvider time, IOptions<BrokerReadinessOptions> options) : IHealthCheck
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private volatile bool _connectedOnce;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!_connectedOnce && bus.CheckHealth().Status == BusHealthStatus.Healthy)
        {
            _connectedOnce = true;
        }
        if (_connectedOnce)
        {
            return Task.FromResult(HealthCheckResult.Healthy("The bus has connected; the outbox covers any later outage."));
        }
        return Task.FromResult(time.GetUtcNow() - _startedAt >= options.Value.StartGrace
            ? HealthCheckResult.Healthy("No broker yet; taking requests anyway, the outbox keeps the events.")
            : HealthCheckResult.Unhealthy("Waiting for the first broker connection."));
    }
}
