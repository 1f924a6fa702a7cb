using System.Collections.Concurrent;
using Aimi.Contracts.Goals;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Benchmarks;

/// <summary>
/// A bus of its own on the instance's virtual host, with its own queue bound to <see cref="EventChanged"/>: the delay of
/// each created event is its arrival time minus the message's <c>OccurredAt</c> (commit, outbox relay, broker, delivery).
/// </summary>
public sealed class OutboxProbe : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private OutboxProbe(IBusControl bus) => _bus = bus;

    public ConcurrentDictionary<Guid, double> DelaysMs { get; } = new();

    public static async Task<OutboxProbe> StartAsync(string amqp, IReadOnlySet<string> userIds)
    {
        var address = RabbitMqAddress.Parse(amqp);
        OutboxProbe? probe = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(address.Host, address.Port, address.VirtualHost, host =>
            {
                host.Username(address.Username);
                host.Password(address.Password);
            });
            rabbit.ReceiveEndpoint($"benchmark-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.PrefetchCount = 256;
                endpoint.Handler<EventChanged>(context =>
                {
                    var message = context.Message;
                    if (userIds.Contains(message.UserId) && message.Change == "created")
                    {
                        probe!.DelaysMs.TryAdd(message.EventId, (DateTimeOffset.UtcNow - message.OccurredAt).TotalMilliseconds);
                    }
                    return Task.CompletedTask;
                });
            });
        });
        probe = new OutboxProbe(bus);
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return probe;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
