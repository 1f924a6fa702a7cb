using System.Net;
using System.Text;
using Aimi.Goals.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>An erasure takes the user's faulted messages out of Goals' own <c>_error</c> queues.</summary>
public sealed class ErrorQueueScrubTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private const string ErrorQueue = "goals-reminder-delivered_error";

    [Fact]
    public async Task Delete_me_drops_the_users_faulted_messages_from_goals_error_queues_and_keeps_everyone_elses()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        await using var connection = await RabbitMqAddress.Parse(host.VirtualHost.ConnectionString).ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.QueueDeclareAsync(ErrorQueue, durable: true, exclusive: false, autoDelete: false);
        string[] kept = [Envelope(other), Envelope(other)];
        // Everyone else's first: the scrub puts each back before it takes the next, so the queue's ready count stays at three or
        // four until it has taken the user's two, and reaches two only when it is done (the user's first would make it two early).
        foreach (var body in (string[])[.. kept, Envelope(user), Envelope(user)])
        {
            var properties = new BasicProperties { MessageId = Guid.NewGuid().ToString(), ContentType = "application/vnd.masstransit+json", Persistent = true };
            await channel.BasicPublishAsync("", ErrorQueue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
        }

        await (await host.ClientFor(user).DeleteAsync("/me")).ReadAsync<ErasureResponse>(HttpStatusCode.Accepted);

        await Eventually.GetAsync(async () => (await channel.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount, count => count == 2,
            because: "the erased user's two faulted messages dropped");
        var left = new List<string>();
        await using (var reader = await connection.CreateChannelAsync())
        {
            while (await reader.BasicGetAsync(ErrorQueue, autoAck: false) is { } delivery)
            {
                left.Add(Encoding.UTF8.GetString(delivery.Body.Span));
            }
        }
        Assert.Equal(kept, left);
    }

    private static string Envelope(string userId) => $$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Aimi.Contracts.Notifications:ReminderDelivered"],"message":{"reminderId":"{{{Guid.NewGuid()}}}","userId":"{{{userId}}}"}}
        """;
}
