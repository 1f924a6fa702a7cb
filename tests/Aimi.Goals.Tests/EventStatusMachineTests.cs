using Aimi.ServiceDefaults;
using Aimi.Goals.Api.Domain;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Aimi.Goals.Tests;

public sealed class EventStatusMachineTests
{
    [Theory]
    [InlineData(EventStatus.PendingConfirmation, EventAction.Confirm, EventStatus.Planned)]
    [InlineData(EventStatus.Planned, EventAction.ScheduleReminders, EventStatus.Scheduled)]
    [InlineData(EventStatus.Scheduled, EventAction.AwaitFeedback, EventStatus.AwaitingFeedback)]
    [InlineData(EventStatus.AwaitingFeedback, EventAction.Complete, EventStatus.Done)]
    [InlineData(EventStatus.AwaitingFeedback, EventAction.Miss, EventStatus.Missed)]
    [InlineData(EventStatus.Scheduled, EventAction.Postpone, EventStatus.Planned)]
    [InlineData(EventStatus.Missed, EventAction.Postpone, EventStatus.Planned)]
    [InlineData(EventStatus.PendingConfirmation, EventAction.Cancel, EventStatus.Cancelled)]
    public void Allowed_transitions_reach_the_expected_status(EventStatus from, EventAction action, EventStatus expected)
    {
        var result = EventStatusMachine.Apply(from, action);

        Assert.True(result.Accepted, result.Error);
        Assert.Equal(expected, result.Final);
    }

    [Fact]
    public void Postponing_passes_through_postponed_back_to_planned()
    {
        var result = EventStatusMachine.Apply(EventStatus.AwaitingFeedback, EventAction.Postpone);

        Assert.Equal([EventStatus.Postponed, EventStatus.Planned], result.Path);
    }

    [Theory]
    [InlineData(EventStatus.Done, EventAction.Cancel, "already done")]
    [InlineData(EventStatus.Cancelled, EventAction.Complete, "was cancelled")]
    [InlineData(EventStatus.PendingConfirmation, EventAction.Postpone, "pending_confirmation")]
    [InlineData(EventStatus.Planned, EventAction.Confirm, "this one is planned")]
    [InlineData(EventStatus.Missed, EventAction.Complete, "missed")]
    public void Illegal_transitions_are_rejected_with_a_reason_naming_the_status(EventStatus from, EventAction action, string reasonPart)
    {
        var result = EventStatusMachine.Apply(from, action);

        Assert.False(result.Accepted);
        Assert.Equal(from, result.Final);
        Assert.Contains(reasonPart, result.Error);
    }

    [Fact]
    public void Wire_names_are_snake_case_and_round_trip()
    {
        Assert.Equal("pending_confirmation", WireName.Of(EventStatus.PendingConfirmation));
        Assert.Equal("awaiting_feedback", WireName.Of(EventStatus.AwaitingFeedback));
        Assert.Equal("habit_occurrence", WireName.Of(EventType.HabitOccurrence));
        foreach (var status in Enum.GetValues<EventStatus>())
        {
            Assert.Equal(status, WireName.Parse<EventStatus>(WireName.Of(status)));
        }
    }

    // Any sequence of actions from any start: terminal states are never left, rejections change nothing, postponed is
    // never a resting state, and every accepted step starts from a status the action allows.
    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property Random_action_sequences_keep_the_invariants()
    {
        var statuses = Gen.Elements(Enum.GetValues<EventStatus>().Where(s => s != EventStatus.Postponed).ToArray());
        var actions = Gen.Elements(Enum.GetValues<EventAction>()).ListOf();
        return Prop.ForAll(Arb.From(statuses), Arb.From(actions), (start, sequence) =>
        {
            var current = start;
            foreach (var action in sequence)
            {
                var result = EventStatusMachine.Apply(current, action);
                if (!result.Accepted)
                {
                    if (result.Final != current || string.IsNullOrEmpty(result.Error)) return false;
                    continue;
                }
                if (EventStatusMachine.IsTerminal(current)) return false;
                if (!EventStatusMachine.SourcesOf(action).Contains(current)) return false;
                if (result.Final == EventStatus.Postponed) return false;
                current = result.Final;
            }
            return true;
        });
    }
}
