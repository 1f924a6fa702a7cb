using Aimi.Contracts.Accounts;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// Goals' last step of an erasure, after <c>DELETE /me</c> committed: the user's failed messages taken out of Goals' own
/// <c>_error</c> queues, on Goals' own queue for the request (as the other services do in their erasure consumers), so the
/// request does not wait on the broker. The scrub is safe to repeat, so a redelivery needs no record.
/// </summary>
public sealed class ErrorQueueScrubConsumer(ErrorQueueScrubber errorQueues) : IConsumer<AccountErasureRequested>
{
    public Task Consume(ConsumeContext<AccountErasureRequested> context) =>
        errorQueues.TryScrubAsync(context.Message.UserId, context.Message.ErasureId, context.CancellationToken);
}

public sealed class ErrorQueueScrubConsumerDefinition : RetryingConsumerDefinition<ErrorQueueScrubConsumer>;
