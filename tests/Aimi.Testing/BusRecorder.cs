using System.Collections.Concurrent;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Testing;

/// <summary>
/// A separate MassTransit bus on a test's virtual host that records every message of the subscribed types, so a
/// test can assert what really crossed RabbitMQ (and how many times), and publish messages as another service would.
/// </summary>
public sealed class BusRecorder : IAsyncDisposable
{
    private readonly ConcurrentQueue<(Guid? MessageId, object Message, IReadOnlyDictionary<string, object> Headers)> _received = new();
    private readonly IBusControl _bus;

    private BusRecorder(IBusControl bus) => _bus = bus;

    public IBus Bus => _bus;

    public static async Task<BusRecorder> StartAsync(string amqpConnectionString, params Type[] messageTypes)
    {
        var address = RabbitMqAddress.Parse(amqpConnectionString);
        BusRecorder? recorder = null;
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            rabbit.ReceiveEndpoint($"test-recorder-{Guid.NewGuid():N}", endpoint =>
            {
                // Durable, so what was published just before a broker restart is still delivered after it.
                endpoint.Durable = true;
                foreach (var type in messageTypes)
                {
                    typeof(BusRecorder).GetMethod(nameof(Subscribe), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                        .MakeGenericMethod(type).Invoke(null, [endpoint, (Action<Guid?, object, IReadOnlyDictionary<string, object>>)((id, m, h) => recorder!._received.Enqueue((id, m, h)))]);
                }
            });
        });
        recorder = new BusRecorder(bus);
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return recorder;
    }

    private static void Subscribe<T>(IRabbitMqReceiveEndpointConfigurator endpoint, Action<Guid?, object, IReadOnlyDictionary<string, object>> record) where T : class =>
        endpoint.Handler<T>(context =>
        {
            record(context.MessageId, context.Message, context.Headers.GetAll().ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));
            return Task.CompletedTask;
        });

    public IReadOnlyList<T> Received<T>(Func<T, bool>? predicate = null) =>
        _received.Select(r => r.Message).OfType<T>().Where(m => predicate?.Invoke(m) ?? true).ToList();

    public IReadOnlyList<Guid?> MessageIds<T>(Func<T, bool>? predicate = null) =>
        _received.Where(r => r.Message is T m && (predicate?.Invoke(m) ?? true)).Select(r => r.MessageId).ToList();

    /// <summary>The transport headers each matching message arrived with (trace context among them).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object>> HeadersOf<T>(Func<T, bool>? predicate = null) =>
        _received.Where(r => r.Message is T m && (predicate?.Invoke(m) ?? true)).Select(r => r.Headers).ToList();

    /// <summary>Waits until at least <paramref name="count"/> matching messages arrived (real broker: this polls, it does not fake time).</summary>
    public Task<IReadOnlyList<T>> WaitForAsync<T>(Func<T, bool> predicate, int count = 1, TimeSpan? timeout = null) =>
        Eventually.GetAsync(() => Task.FromResult(Received(predicate)), matches => matches.Count >= count, timeout,
            because: $"expected {count} {typeof(T).Name} message(s)");

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
