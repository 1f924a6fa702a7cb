using Aimi.Chat.Api.Data;
using Aimi.Messaging;

namespace Aimi.Chat.Api.Consumers;

/// <summary>Every service erased the user: from now on the user is a fresh account here.</summary>
public sealed class AccountErasedConsumer(ChatDbContext db, TimeProvider time, ILogger<AccountErasedConsumer> logger)
    : AccountErasedConsumer<ChatDbContext>(db, time, logger)
{
    protected override string ConsumerName => "chat-account-erased";
}

public sealed class AccountErasedConsumerDefinition : RetryingConsumerDefinition<AccountErasedConsumer>;
