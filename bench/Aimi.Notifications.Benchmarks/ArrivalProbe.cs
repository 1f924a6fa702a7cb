using System.Collections.Concurrent;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Notifications.Benchmarks;

/// <summary>
/// Listens on the benchmark's vhost as Chat would, and notes when each ReminderDelivered arrived: for an in-app reminder
/// that arrival (after the outbox relay published it) is the delivery, later than the commit the log records.
/// </summary>
public sealed class ArrivalProbe : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Arrived, int Count)> _arrivals = new();
    private IBusControl? _bus;

    public static async Task<ArrivalProbe> StartAsync(string amqp, CancellationToken ct)
    {
        var probe = new ArrivalProbe();
        var address = RabbitMqAddress.Parse(amqp);
        probe._bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            rabbit.ReceiveEndpoint("bench-arrival-probe", endpoint =>
            {
                endpoint.PrefetchCount = 500;
                endpoint.Handler<ReminderDelivered>(context =>
                {
                    var now = DateTimeOffset.UtcNow;
                    probe._arrivals.AddOrUpdate(context.Message.ReminderId, (now, 1), (_, seen) => (seen.Arrived, seen.Count + 1));
                    return Task.CompletedTask;
                });
            });
        });
        await probe._bus.StartAsync(ct);
        return probe;
    }

    public IReadOnlyDictionary<Guid, (DateTimeOffset Arrived, int Count)> Arrivals => _arrivals;

    public async ValueTask DisposeAsync()
    {
        if (_bus is not null)
        {
            await _bus.StopAsync();
        }
    }
}
