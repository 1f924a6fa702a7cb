using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// A reminder went out. The one sent right before the start (T-15m or closer) moves the event to
/// <c>awaiting_feedback</c>, so the assistant asks afterwards how it went; earlier ones (T-24h, T-2h) are only noted
/// in the history, since asking "how did it go?" a day ahead would be wrong.
/// </summary>
public sealed class ReminderDeliveredConsumer(GoalsDbContext db, EventLifecycle lifecycle, TimeProvider time, ILogger<ReminderDeliveredConsumer> logger)
    : IdempotentConsumer<ReminderDelivered, GoalsDbContext>(db, time, logger)
{
    public static readonly TimeSpan FinalReminderOffset = TimeSpan.FromMinutes(15);

    protected override string ConsumerName => "goals-reminder-delivered";

    protected override async Task HandleAsync(ReminderDelivered message, ConsumeContext<ReminderDelivered> context, CancellationToken cancellationToken)
    {
        if ((await OwnedEvents.ReadAsync(Db, [message.EventId], cancellationToken)).Of(message.EventId, message.UserId) is not var (item, user))
        {
            return; // deleted meanwhile, or not this user's: nothing to move
        }
        var payload = new { message.ReminderId, message.Channel, offsetMinutes = message.Offset.TotalMinutes };
        var reason = $"reminder delivered via {message.Channel} {message.Offset.TotalMinutes:0} min before";
        if (message.Offset <= FinalReminderOffset && EventStatusMachine.Apply(item.Status, EventAction.AwaitFeedback).Accepted)
        {
            lifecycle.Transition(item, user, EventAction.AwaitFeedback, Actors.System, reason, payload);
        }
        else
        {
            lifecycle.Note(item, Actors.System, reason, payload);
        }
    }
}

public sealed class ReminderDeliveredConsumerDefinition : RetryingConsumerDefinition<ReminderDeliveredConsumer>;
