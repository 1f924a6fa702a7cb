using Aimi.ServiceDefaults;
using System.Collections.Frozen;

namespace Aimi.Goals.Api.Domain;

/// <summary>
/// The event lifecycle: <c>pending_confirmation → planned → scheduled → awaiting_feedback → done | missed</c>, plus
/// <c>postponed</c> (a passage back to <c>planned</c> with new times) and <c>cancelled</c>.
/// Every rejection says why, for a 409 the client can show.
/// </summary>
public static class EventStatusMachine
{
    private static readonly FrozenDictionary<EventAction, EventStatus[]> AllowedFrom = new Dictionary<EventAction, EventStatus[]>
    {
        [EventAction.Confirm] = [EventStatus.PendingConfirmation],
        [EventAction.ScheduleReminders] = [EventStatus.Planned],
        [EventAction.AwaitFeedback] = [EventStatus.Planned, EventStatus.Scheduled],
        [EventAction.Complete] = [EventStatus.PendingConfirmation, EventStatus.Planned, EventStatus.Scheduled, EventStatus.AwaitingFeedback],
        [EventAction.Miss] = [EventStatus.Planned, EventStatus.Scheduled, EventStatus.AwaitingFeedback],
        // A missed item may be given another go; an unconfirmed one is confirmed or updated, not postponed.
        [EventAction.Postpone] = [EventStatus.Planned, EventStatus.Scheduled, EventStatus.AwaitingFeedback, EventStatus.Missed],
        [EventAction.Cancel] = [EventStatus.PendingConfirmation, EventStatus.Planned, EventStatus.Scheduled, EventStatus.AwaitingFeedback],
    }.ToFrozenDictionary();

    public static bool IsTerminal(EventStatus status) => status is EventStatus.Done or EventStatus.Cancelled;

    public static IReadOnlyList<EventStatus> SourcesOf(EventAction action) => AllowedFrom[action];

    /// <summary>The statuses the event passes through (usually one; postponing passes <c>postponed</c> then <c>planned</c>).</summary>
    public static TransitionResult Apply(EventStatus current, EventAction action)
    {
        if (!AllowedFrom[action].Contains(current))
        {
            return TransitionResult.Rejected(current, action, ReasonFor(current, action));
        }

        return action switch
        {
            EventAction.Confirm => TransitionResult.To(EventStatus.Planned),
            EventAction.ScheduleReminders => TransitionResult.To(EventStatus.Scheduled),
            EventAction.AwaitFeedback => TransitionResult.To(EventStatus.AwaitingFeedback),
            EventAction.Complete => TransitionResult.To(EventStatus.Done),
            EventAction.Miss => TransitionResult.To(EventStatus.Missed),
            EventAction.Postpone => TransitionResult.To(EventStatus.Postponed, EventStatus.Planned),
            EventAction.Cancel => TransitionResult.To(EventStatus.Cancelled),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        };
    }

    private static string ReasonFor(EventStatus current, EventAction action)
    {
        var name = WireName.Of(current);
        return (current, action) switch
        {
            (EventStatus.Done, _) => $"The event is already done; it cannot be {Verb(action)}.",
            (EventStatus.Cancelled, _) => $"The event was cancelled; it cannot be {Verb(action)}.",
            (EventStatus.PendingConfirmation, EventAction.Postpone) =>
                "The event is still pending_confirmation: confirm it, or change its times with an update, before postponing.",
            (_, EventAction.Confirm) => $"Only a pending_confirmation event can be confirmed; this one is {name}.",
            _ => $"An event that is {name} cannot be {Verb(action)}; allowed from: {string.Join(", ", AllowedFrom[action].Select(WireName.Of))}.",
        };
    }

    private static string Verb(EventAction action) => action switch
    {
        EventAction.Confirm => "confirmed",
        EventAction.ScheduleReminders => "scheduled",
        EventAction.AwaitFeedback => "moved to awaiting_feedback",
        EventAction.Complete => "completed",
        EventAction.Miss => "marked missed",
        EventAction.Postpone => "postponed",
        EventAction.Cancel => "cancelled",
        _ => action.ToString(),
    };
}

public sealed record TransitionResult(bool Accepted, IReadOnlyList<EventStatus> Path, string? Error)
{
    public EventStatus Final => Path[^1];

    public static TransitionResult To(params EventStatus[] path) => new(true, path, null);

    public static TransitionResult Rejected(EventStatus current, EventAction action, string error) => new(false, [current], error);
}
