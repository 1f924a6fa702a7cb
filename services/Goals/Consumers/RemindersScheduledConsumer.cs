using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// The Notification service planned the event's reminders: <c>planned → scheduled</c>, in the history and the API. No
/// <c>EventChanged</c> for it: Notifications caused it, and Memory and Notifications treat planned and scheduled alike, so a
/// second announcement of every new event would only cost each of them a transaction (issue 17).
/// </summary>
public sealed class RemindersScheduledConsumer(GoalsDbContext db, EventLifecycle lifecycle, TimeProvider time, ILogger<RemindersScheduledConsumer> logger)
    : IdempotentBatchConsumer<RemindersScheduled, GoalsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "goals-reminders-scheduled";

    protected override string PartitionOf(RemindersScheduled message) => message.UserId;

    protected override async Task HandleAsync(RemindersScheduled message, ConsumeContext<RemindersScheduled> context, CancellationToken cancellationToken)
    {
        if (await ReminderDeliveredConsumer.EventOf(Db, message.UserId, message.EventId, cancellationToken) is var (item, user)
            && EventStatusMachine.Apply(item.Status, EventAction.ScheduleReminders).Accepted)
        {
            lifecycle.Transition(item, user, EventAction.ScheduleReminders, Actors.System,
                $"{message.ReminderCount} reminder(s) planned", new { message.ReminderCount, message.FirstTriggerAt }, announce: false);
        }
    }
}

public sealed class RemindersScheduledConsumerDefinition : BatchingConsumerDefinition<RemindersScheduledConsumer>;
