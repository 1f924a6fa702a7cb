using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Data;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Goals.Api.Consumers;

/// <summary>Notifications checked a webhook URL: the profile's URL becomes verified (and is announced) or failed.</summary>
public sealed class WebhookVerificationCompletedConsumer(GoalsDbContext db, ContactChannels contacts, TimeProvider time, ILogger<WebhookVerificationCompletedConsumer> logger)
    : IdempotentConsumer<WebhookVerificationCompleted, GoalsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "goals-webhook-verification-completed";

    protected override Task HandleAsync(WebhookVerificationCompleted message, ConsumeContext<WebhookVerificationCompleted> context, CancellationToken cancellationToken) =>
        contacts.WebhookCheckedAsync(message, cancellationToken);
}

public sealed class WebhookVerificationCompletedConsumerDefinition : RetryingConsumerDefinition<WebhookVerificationCompletedConsumer>;
