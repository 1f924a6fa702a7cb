using System.Text.Json;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;

namespace Aimi.Goals.Api.Data;

/// <summary>
/// The one place events change status: applies the status machine, writes <c>event_history</c> for every step, bumps the
/// version and queues <c>EventChanged</c> in the outbox, all in the caller's pending <c>SaveChanges</c>.
/// </summary>
public sealed class EventLifecycle(GoalsDbContext db, TimeProvider time)
{
    public void Created(EventItem item, User user, string actor)
    {
        var now = time.GetUtcNow();
        AddHistory(item, null, item.Status, actor, "created", null, now);
        db.AddOutboxMessage(item.ToContract(user, ChangeKinds.Created, null, now), now);
    }

    public void Updated(EventItem item, User user, string actor, object changes)
    {
        var now = time.GetUtcNow();
        item.Touch(now);
        AddHistory(item, item.Status, item.Status, actor, "updated", changes, now);
        db.AddOutboxMessage(item.ToContract(user, ChangeKinds.Updated, null, now), now);
    }

    /// <summary>Applies <paramref name="action"/>; on success <paramref name="mutate"/> may change times before the event is written.</summary>
    /// <param name="announce">
    /// False for bookkeeping no other service acts on: the step is written to the history and the version moves, but no
    /// <c>EventChanged</c> goes out (the next change carries the newer version; consumers compare, never count).
    /// </param>
    public TransitionResult Transition(
        EventItem item, User user, EventAction action, string actor, string? reason, object? payload = null, Action<EventItem>? mutate = null, bool announce = true)
    {
        var now = time.GetUtcNow();
        var previous = item.Status;
        var result = item.Apply(action, now, mutate);
        if (!result.Accepted)
        {
            return result;
        }

        var from = previous;
        foreach (var step in result.Path)
        {
            AddHistory(item, from, step, actor, reason, payload, now);
            from = step;
        }
        if (announce)
        {
            db.AddOutboxMessage(item.ToContract(user, ChangeKinds.StatusChanged, previous, now), now);
        }
        return result;
    }

    /// <summary>Records something that happened to the event without changing its status (an early reminder, say).</summary>
    public void Note(EventItem item, string actor, string reason, object? payload) =>
        AddHistory(item, item.Status, item.Status, actor, reason, payload, time.GetUtcNow());

    private void AddHistory(EventItem item, EventStatus? from, EventStatus to, string actor, string? reason, object? payload, DateTimeOffset now) =>
        db.EventHistory.Add(new EventHistoryEntry
        {
            EventId = item.Id,
            UserId = item.UserId,
            FromStatus = from,
            ToStatus = to,
            At = now,
            Actor = actor,
            Reason = reason,
            Payload = payload is null ? null : JsonSerializer.Serialize(payload, JsonSerializerOptions.Web),
        });
}
