using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Data;
using MassTransit;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>
/// Challenges a new webhook URL and answers Goals with the outcome, through the outbox. The challenge runs inside the
/// consumer's transaction: it is bounded by the verification timeout, and the answer commits with the message's record.
/// </summary>
public sealed class WebhookVerificationRequestedConsumer(NotificationsDbContext db, WebhookVerifier verifier, TimeProvider time,
    ILogger<WebhookVerificationRequestedConsumer> logger)
    : IdempotentConsumer<WebhookVerificationRequested, NotificationsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "notifications-webhook-verification-requested";

    protected override async Task HandleAsync(WebhookVerificationRequested message, ConsumeContext<WebhookVerificationRequested> context, CancellationToken cancellationToken)
    {
        var error = await verifier.ChallengeAsync(message.WebhookUrl, cancellationToken);
        var now = Time.GetUtcNow();
        Db.AddOutboxMessage(new WebhookVerificationCompleted
        {
            VerificationId = message.VerificationId,
            UserId = message.UserId,
            WebhookUrl = message.WebhookUrl,
            Verified = error is null,
            Error = error,
            OccurredAt = now,
        }, now);
    }
}

public sealed class WebhookVerificationRequestedConsumerDefinition : RetryingConsumerDefinition<WebhookVerificationRequestedConsumer>;
