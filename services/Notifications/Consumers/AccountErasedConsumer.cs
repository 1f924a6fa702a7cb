using Aimi.Messaging;
using Aimi.Notifications.Api.Data;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>Every service erased the user: from now on the user is a fresh account here.</summary>
public sealed class AccountErasedConsumer(NotificationsDbContext db, TimeProvider time, ILogger<AccountErasedConsumer> logger)
    : AccountErasedConsumer<NotificationsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "notifications-account-erased";
}

public sealed class AccountErasedConsumerDefinition : RetryingConsumerDefinition<AccountErasedConsumer>;
