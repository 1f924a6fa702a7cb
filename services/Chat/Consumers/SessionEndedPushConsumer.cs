using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Chat;
using MassTransit;

namespace Aimi.Chat.Api.Consumers;

/// <summary>Tells the user's open sockets on this replica that their session ended (goodbye, idle sweep, limit), whoever ended it.</summary>
public sealed class SessionEndedPushConsumer(ConnectionRegistry connections) : IConsumer<ChatSessionEnded>
{
    public Task Consume(ConsumeContext<ChatSessionEnded> context) =>
        connections.PushAsync(context.Message.UserId, new { type = "session_ended", sessionId = context.Message.SessionId, reason = context.Message.Reason }, context.CancellationToken);
}

/// <summary>A temporary queue per replica: every replica pushes to the sockets it holds.</summary>
public sealed class SessionEndedPushConsumerDefinition : ConsumerDefinition<SessionEndedPushConsumer>
{
    public SessionEndedPushConsumerDefinition() => Endpoint(e => { e.Temporary = true; e.InstanceId = ReplicaInstance.Id; });
}

/// <summary>This process's id among the service's replicas (one per process): it names the replica's temporary queues.</summary>
public static class ReplicaInstance
{
    public static readonly string Id = Guid.NewGuid().ToString("N")[..8];
}
