using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Aimi.Messaging;

/// <summary>
/// Removes the messages about an erased user from this service's <c>_error</c> queues (where MassTransit leaves a message that
/// failed every retry, payload and all). For each queue it takes as many messages as the queue held when it started: one about
/// the user (the envelope's <c>message.userId</c>) is dropped, any other is published again, unchanged, to the same queue and
/// only then acknowledged, with publisher confirms, so nothing else is lost. Bounded by that count, so it ends; two replicas
/// may run it at once, since the broker hands each message to one of them. The queues are those of the endpoints the bus
/// configured (<see cref="EndpointConfigured{T}"/>), plus <c>_error</c>.
/// </summary>
public sealed partial class ErrorQueueScrubber(RabbitMqAddress broker, ILogger<ErrorQueueScrubber> logger) : IEndpointConfigurationObserver
{
    private readonly Lock _lock = new();
    private readonly SortedSet<string> _queues = new(StringComparer.Ordinal);

    /// <summary>The error queues of this service's receive endpoints.</summary>
    public IReadOnlyList<string> ErrorQueues
    {
        get
        {
            lock (_lock)
            {
                return [.. _queues.Select(q => $"{q}_error")];
            }
        }
    }

    void IEndpointConfigurationObserver.EndpointConfigured<T>(T configurator)
    {
        var queue = configurator.InputAddress.Segments[^1].TrimEnd('/');
        lock (_lock)
        {
            _queues.Add(queue);
        }
    }

    /// <summary>
    /// Scrubs every error queue of this service for erasure <paramref name="erasureId"/>. A failure (the broker is away) is
    /// logged, not thrown: it runs after the erasure's database part committed, which must stand either way, and a retry of the
    /// erasure message could not repeat it, since the redelivery is a duplicate by then. Whatever was not yet taken stays queued.
    /// </summary>
    public async Task TryScrubAsync(string userId, Guid erasureId, CancellationToken cancellationToken)
    {
        try
        {
            await ScrubAsync(userId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogScrubFailed(logger, e, erasureId);
        }
    }

    private async Task ScrubAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await broker.ConnectionFactory().CreateConnectionAsync("error-queue-scrubber", cancellationToken);
        foreach (var queue in ErrorQueues)
        {
            var (dropped, kept) = await ScrubQueueAsync(connection, queue, userId, cancellationToken);
            if (dropped + kept > 0)
            {
                LogScrubbed(logger, queue, dropped, kept);
            }
        }
    }

    private static async Task<(int Dropped, int Kept)> ScrubQueueAsync(IConnection connection, string queue, string userId, CancellationToken cancellationToken)
    {
        // Publisher confirms with tracking: a publish returns once the broker has the copy (and throws if it refused it).
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        uint count;
        try
        {
            count = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return (0, 0); // no message ever faulted there
        }

        var (dropped, kept) = (0, 0);
        for (var i = 0; i < count; i++)
        {
            var delivery = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken);
            if (delivery is null)
            {
                break; // another replica took the rest
            }
            if (IsAbout(delivery.Body, userId))
            {
                dropped++;
            }
            else
            {
                await channel.BasicPublishAsync(exchange: "", routingKey: queue, mandatory: true,
                    basicProperties: new BasicProperties(delivery.BasicProperties), body: delivery.Body, cancellationToken);
                kept++;
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
        }
        return (dropped, kept);
    }

    /// <summary>Whether a MassTransit envelope carries a message whose <c>userId</c> is the user's. Anything unreadable is kept.</summary>
    internal static bool IsAbout(ReadOnlyMemory<byte> body, string userId)
    {
        try
        {
            using var envelope = JsonDocument.Parse(body);
            return envelope.RootElement.ValueKind == JsonValueKind.Object
                && Property(envelope.RootElement, "message") is { ValueKind: JsonValueKind.Object } message
                && Property(message, "userId") is { ValueKind: JsonValueKind.String } user
                && user.ValueEquals(userId);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not scrub the error queues for erasure {ErasureId}; messages about the user may remain there")]
    private static partial void LogScrubFailed(ILogger logger, Exception exception, Guid erasureId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scrubbed {Queue} of an erased user: {Dropped} dropped, {Kept} kept")]
    private static partial void LogScrubbed(ILogger logger, string queue, int dropped, int kept);
}
