using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;
using Aimi.ServiceDefaults;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>The words Goals puts on the wire are the contract's own constants, so a consumer can compare against them.</summary>
public sealed class ContractWordsTests
{
    [Fact]
    public void Every_event_status_is_a_contract_word_and_back()
    {
        string[] contract =
        [
            EventStatuses.PendingConfirmation, EventStatuses.Planned, EventStatuses.Scheduled, EventStatuses.AwaitingFeedback,
            EventStatuses.Done, EventStatuses.Missed, EventStatuses.Postponed, EventStatuses.Cancelled,
        ];

        Assert.Equal(contract.Order(), WireName.All<EventStatus>().Order());
    }
}
