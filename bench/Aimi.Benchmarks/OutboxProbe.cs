using System.Collections.Concurrent;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Benchmarks;

/// <summary>
/// A bus of its own on the instance's virtual host, with its own queue bound to <see cref="EventChanged"/>: the delay of
/// each created event is its arrival time minus the message's <c>OccurredAt</c> (commit, outbox relay, broker, delivery).
/// Bound to <see cref="RemindersScheduled"/> too: the planning delay of an event is the arrival of its first announcement
/// minus that commit (Goals' relay, Notifications' consumer, its relay), which shows a consumer running behind.
/// </summary>
public sealed class OutboxProbe : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private OutboxProbe(IBusControl bus) => _bus = bus;

    public ConcurrentDictionary<Guid, double> DelaysMs { get; } = new();

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _committedAt = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _plannedAt = new();

    /// <summary>Whether the event's <see cref="EventChanged"/> and its first <see cref="RemindersScheduled"/> have both arrived.</summary>
    public bool IsPlanned(Guid eventId) => _committedAt.ContainsKey(eventId) && _plannedAt.ContainsKey(eventId);

    /// <summary>Of the planned ones among <paramref name="eventIds"/>, the delays from the commit in Goals to the first announcement, sorted.</summary>
    public double[] PlanningDelaysMs(IEnumerable<Guid> eventIds) =>
        eventIds.Where(IsPlanned).Select(id => (_plannedAt[id] - _committedAt[id]).TotalMilliseconds).Order().ToArray();

    /// <summary>Forgets what arrived so far (the warm-up's events).</summary>
    public void Clear()
    {
        DelaysMs.Clear();
        _committedAt.Clear();
        _plannedAt.Clear();
    }

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
                        probe._committedAt.TryAdd(message.EventId, message.OccurredAt);
                    }
                    return Task.CompletedTask;
                });
                endpoint.Handler<RemindersScheduled>(context =>
                {
                    if (userIds.Contains(context.Message.UserId))
                    {
                        probe!._plannedAt.TryAdd(context.Message.EventId, DateTimeOffset.UtcNow);
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
