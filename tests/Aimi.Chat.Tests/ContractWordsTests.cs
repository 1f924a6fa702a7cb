using Aimi.Chat.Api.Domain;
using Aimi.Contracts.Chat;
using Aimi.ServiceDefaults;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>The words Chat puts into <c>ChatSessionEnded</c> are the contract's own constants.</summary>
public sealed class ContractWordsTests
{
    [Fact]
    public void End_reasons_and_roles_are_the_contract_words()
    {
        string[] reasons = [SessionEndReasons.Goodbye, SessionEndReasons.Idle, SessionEndReasons.MessageLimit, SessionEndReasons.EndedByUser, SessionEndReasons.System];

        Assert.Equal(reasons.Order(), WireName.All<EndReason>().Order());
        Assert.Equal(new[] { TranscriptRoles.Assistant, TranscriptRoles.User }, WireName.All<MessageRole>().Order());
    }
}
