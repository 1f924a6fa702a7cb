using Aimi.Memory.Api.Data;
using Aimi.Messaging;

namespace Aimi.Memory.Api.Consumers;

/// <summary>Every service erased the user: from now on the user is a fresh account here.</summary>
public sealed class AccountErasedConsumer(MemoryDbContext db, TimeProvider time, ILogger<AccountErasedConsumer> logger)
    : AccountErasedConsumer<MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-account-erased";
}

public sealed class AccountErasedConsumerDefinition : RetryingConsumerDefinition<AccountErasedConsumer>;
