using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// The Notification service planned the event's reminders: <c>planned → scheduled</c>, in the history and the API. No
/// <c>EventChanged</c> for it: Notifications caused it, and Memory and Notifications treat planned and scheduled alike, so a
/// second announcement of every new event would only cost each of them a transaction (issue 17). What queued up is handled
/// together: the batch's events and their owners are read in one statement, and its changes saved in one round trip.
/// </summary>
public sealed class RemindersScheduledConsumer(GoalsDbContext db, EventLifecycle lifecycle, TimeProvider time, ILogger<RemindersScheduledConsumer> logger)
    : IdempotentBatchConsumer<RemindersScheduled, GoalsDbContext>(db, time, logger)
{
    private OwnedEvents _events = OwnedEvents.None;

    protected override string ConsumerName => "goals-reminders-scheduled";

    protected override string PartitionOf(RemindersScheduled message) => message.UserId;

    /// <summary>Nothing a handler writes is read by another: each reads its event from <see cref="PrepareAsync"/>'s one statement.</summary>
    protected override bool SavesTogether => true;

    protected override async Task PrepareAsync(IReadOnlyList<RemindersScheduled> messages, CancellationToken cancellationToken) =>
        _events = await OwnedEvents.ReadAsync(Db, messages.Select(m => m.EventId).Distinct().ToArray(), cancellationToken);

    protected override Task HandleAsync(RemindersScheduled message, ConsumeContext<RemindersScheduled> context, CancellationToken cancellationToken)
    {
        // An event deleted meanwhile, or not this user's, has nothing to move.
        if (_events.Of(message.EventId, message.UserId) is var (item, user)
            && EventStatusMachine.Apply(item.Status, EventAction.ScheduleReminders).Accepted)
        {
            lifecycle.Transition(item, user, EventAction.ScheduleReminders, Actors.System,
                $"{message.ReminderCount} reminder(s) planned", new { message.ReminderCount, message.FirstTriggerAt }, announce: false);
        }
        return Task.CompletedTask;
    }
}

public sealed class RemindersScheduledConsumerDefinition : BatchingConsumerDefinition<RemindersScheduledConsumer>;
