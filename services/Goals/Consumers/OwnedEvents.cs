using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// Events named by Notifications' messages, each read with its owner in one statement, compiled once (the consumers run per
/// reminder delivered and per batch of planned reminders: issue 17), and tracked: the consumers move their status. A message
/// carries the user it is about; <see cref="Of"/> gives an event only to its owner.
/// </summary>
internal sealed class OwnedEvents
{
    private static readonly Func<GoalsDbContext, Guid[], IAsyncEnumerable<EventAndUser>> EventsAndUsersQuery = EF.CompileAsyncQuery(
        (GoalsDbContext db, Guid[] ids) => db.Events
            .Join(db.Users, e => e.UserId, u => u.Id, (e, u) => new { Item = e, User = u })
            .Where(x => ids.Contains(x.Item.Id))
            .Select(x => new EventAndUser(x.Item, x.User)));

    private readonly Dictionary<Guid, EventAndUser> _found;

    private OwnedEvents(Dictionary<Guid, EventAndUser> found) => _found = found;

    /// <summary>None read yet.</summary>
    public static OwnedEvents None { get; } = new([]);

    /// <summary>The events of <paramref name="ids"/> that exist, with their owners.</summary>
    public static async Task<OwnedEvents> ReadAsync(GoalsDbContext db, Guid[] ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, EventAndUser>();
        await foreach (var row in EventsAndUsersQuery(db, ids).WithCancellation(cancellationToken))
        {
            found[row.Item.Id] = row;
        }
        return new OwnedEvents(found);
    }

    /// <summary>The event with its owner, or null when it was not read (deleted meanwhile) or is not <paramref name="subject"/>'s.</summary>
    public (EventItem Item, User User)? Of(Guid eventId, string subject) =>
        _found.TryGetValue(eventId, out var found) && found.User.ExternalSubject == subject ? (found.Item, found.User) : null;

    private sealed record EventAndUser(EventItem Item, User User);
}
