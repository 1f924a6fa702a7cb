using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

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
        if (await EventOf(Db, message.UserId, message.EventId, cancellationToken) is not var (item, user))
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

    internal static async Task<(EventItem Item, User User)?> EventOf(GoalsDbContext db, string subject, Guid eventId, CancellationToken cancellationToken) =>
        (await EventsOfAsync(db, [eventId], cancellationToken)).TryGetValue(eventId, out var found) && found.User.ExternalSubject == subject ? found : null;

    /// <summary>
    /// The events of <paramref name="ids"/> that exist, each with its owner, tracked (the consumers move their status) and read in one
    /// statement, compiled once (consumers run per event, per reminder delivered and per batch: issue 17). Whether the owner is the
    /// message's user is the caller's check.
    /// </summary>
    internal static async Task<Dictionary<Guid, (EventItem Item, User User)>> EventsOfAsync(GoalsDbContext db, Guid[] ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, (EventItem Item, User User)>();
        await foreach (var row in EventsAndUsersQuery(db, ids).WithCancellation(cancellationToken))
        {
            found[row.Item.Id] = (row.Item, row.User);
        }
        return found;
    }

    private static readonly Func<GoalsDbContext, Guid[], IAsyncEnumerable<EventAndUser>> EventsAndUsersQuery = EF.CompileAsyncQuery(
        (GoalsDbContext db, Guid[] ids) => db.Events
            .Join(db.Users, e => e.UserId, u => u.Id, (e, u) => new { Item = e, User = u })
            .Where(x => ids.Contains(x.Item.Id))
            .Select(x => new EventAndUser(x.Item, x.User)));

    private sealed record EventAndUser(EventItem Item, User User);
}

public sealed class ReminderDeliveredConsumerDefinition : RetryingConsumerDefinition<ReminderDeliveredConsumer>;
