using System.Text;
using Aimi.Contracts.Accounts;
using Aimi.Messaging;
using Aimi.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class ErrorQueueScrubTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    private const string ErrorQueue = "notifications-event-changed_error";

    [Fact]
    public async Task An_erasure_drops_the_users_faulted_messages_and_keeps_everyone_elses_unchanged()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        await using var connection = await RabbitMqAddress.Parse(host.VirtualHost.ConnectionString).ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false);
        // The other user's first: the queue then holds two messages only once the scrub has taken all four.
        string[] kept = [Envelope(other, "Their dentist"), Envelope(other, "Their gym")];
        foreach (var body in (string[])[.. kept, Envelope(user, "Dentist"), Envelope(user, "Gym")])
        {
            var properties = new BasicProperties
            {
                MessageId = Guid.NewGuid().ToString(),
                ContentType = "application/vnd.masstransit+json",
                Persistent = true,
                Headers = new Dictionary<string, object?> { ["MT-Fault-Message"] = "boom" },
            };
            await channel.BasicPublishAsync("", ErrorQueue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
        }

        await host.Bus.Bus.Publish(new AccountErasureRequested { ErasureId = Guid.NewGuid(), UserId = user, RequestedAt = host.Time.GetUtcNow() });

        await Eventually.GetAsync(async () => (await channel.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount, count => count == 2,
            because: "the erased user's two faulted messages dropped");
        var left = new List<(string Body, string? ContentType, string? Fault)>();
        await using (var reader = await connection.CreateChannelAsync())
        {
            while (await reader.BasicGetAsync(ErrorQueue, autoAck: false) is { } delivery)
            {
                var fault = delivery.BasicProperties.Headers?["MT-Fault-Message"] is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
                left.Add((Encoding.UTF8.GetString(delivery.Body.Span), delivery.BasicProperties.ContentType, fault));
            }
        } // closing the channel returns them unacknowledged
        Assert.Equal(kept.Select(b => (b, (string?)"application/vnd.masstransit+json", (string?)"boom")), left);
    }

    private static string Envelope(string userId, string title) => $$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Aimi.Contracts.Goals:EventChanged"],"message":{"eventId":"{{{Guid.NewGuid()}}}","userId":"{{{userId}}}","title":"{{{title}}}"}}
        """;
}
