using Aimi.Persistence;
using Aimi.ServiceDefaults.Errors;
using Aimi.ServiceDefaults;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

public sealed record EventResponse(
    Guid Id, EventType Type, string Title, string? Notes, EventStatus Status,
    DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? DueAt, bool AllDay,
    Guid? GoalId, Guid? HabitId, EventSource Source, string? SourceMessageId, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// create_event. <c>confirmed</c> defaults to true for the user's own requests and to false for items the assistant
/// proposes in chat (<c>source: chat</c>), which start as <c>pending_confirmation</c>.
/// </summary>
public sealed record CreateEventRequest(
    EventType? Type, string? Title, string? Notes, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? DueAt, bool? AllDay,
    Guid? GoalId, Guid? HabitId, EventSource? Source, string? SourceMessageId, bool? Confirmed);

/// <summary>Changes what an event is and when; its status moves only through the actions. <c>expectedVersion</c> follows <see cref="ExpectedVersion"/>.</summary>
public sealed record UpdateEventRequest(
    int? ExpectedVersion, string? Title, string? Notes, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? DueAt, bool? AllDay, Guid? GoalId);

/// <summary>postpone_event: to a new start, or by a duration ("01:30:00"); exactly one of the two.</summary>
public sealed record PostponeRequest(DateTimeOffset? To, TimeSpan? By, string? Reason);

public sealed record ReasonRequest(string? Reason);

public enum FeedbackOutcome
{
    Done,
    Missed,
}

public sealed record FeedbackRequest(FeedbackOutcome? Outcome, string? Note);

public sealed record HistoryResponse(EventStatus? From, EventStatus To, DateTimeOffset At, string Actor, string? Reason, System.Text.Json.JsonElement? Payload);

public static class EventsApi
{
    public const int MaxListLimit = 500;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(31);
    private static readonly TimeSpan MaxPostpone = TimeSpan.FromDays(366);

    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        var events = app.MapGroup("/events").WithTags("Events").WithIdempotencyKeys();
        events.MapGet("/", ListEvents).WithName("ListEvents");
        events.MapGet("/{id:guid}", GetEvent).WithName("GetEvent");
        events.MapPost("/", CreateEvent).WithName("CreateEvent");
        events.MapPut("/{id:guid}", UpdateEvent).WithName("UpdateEvent");
        events.MapPost("/{id:guid}/confirm", Confirm).WithName("ConfirmEvent");
        events.MapPost("/{id:guid}/complete", Complete).WithName("CompleteTask");
        events.MapPost("/{id:guid}/postpone", Postpone).WithName("PostponeEvent");
        events.MapPost("/{id:guid}/cancel", Cancel).WithName("CancelEvent");
        events.MapPost("/{id:guid}/feedback", Feedback).WithName("RecordFeedback");
        events.MapGet("/{id:guid}/history", History).WithName("GetEventHistory");
        return app;
    }

    public static async Task<Results<Ok<List<EventResponse>>, ValidationProblem>> ListEvents(
        DateTimeOffset? from, DateTimeOffset? to, string? status, Guid? goalId, int? limit, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation();
        var statuses = ParseStatuses(status, validation);
        if (from > to)
        {
            validation.Add("to", "'to' must not be before 'from'.");
        }
        if (limit is < 1 or > MaxListLimit)
        {
            validation.Add("limit", $"'limit' must be between 1 and {MaxListLimit}.");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var query = services.Db.Events.AsNoTracking().Where(e => e.UserId == user.Id);
        if (from is { } f) query = query.Where(e => (e.StartsAt ?? e.DueAt) >= f.ToStored());
        if (to is { } t) query = query.Where(e => (e.StartsAt ?? e.DueAt) < t.ToStored());
        if (statuses.Count > 0) query = query.Where(e => statuses.Contains(e.Status));
        if (goalId is { } g) query = query.Where(e => e.GoalId == g);
        var events = await query
            .OrderBy(e => e.StartsAt ?? e.DueAt).ThenBy(e => e.CreatedAt)
            .Take(limit ?? 100)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(events.Select(ToResponse).ToList());
    }

    public static async Task<Results<Ok<EventResponse>, ProblemHttpResult>> GetEvent(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var item = await services.Db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.UserId == user.Id, services.CancellationToken);
        return item is null ? Problems.NotFound("Event", id) : TypedResults.Ok(ToResponse(item));
    }

    public static async Task<Results<Created<EventResponse>, Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> CreateEvent(
        CreateEventRequest request, [AsParameters] GoalsApiServices services)
    {
        var type = request.Type ?? (request.StartsAt is null ? EventType.Task : EventType.Event);
        var validation = new Validation()
            .Text("title", request.Title, GoalsDbContext.TitleMaxLength, required: true)
            .Text("sourceMessageId", request.SourceMessageId, 100, required: false);
        ValidateNotes(request.Notes, validation);
        ValidateTimes(type, request.StartsAt, request.EndsAt, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var sourceMessageId = Validation.Clean(request.SourceMessageId);
        if (sourceMessageId is not null
            && await services.Db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.UserId == user.Id && e.SourceMessageId == sourceMessageId, services.CancellationToken) is { } existing)
        {
            return TypedResults.Ok(ToResponse(existing)); // a retried create: the same item, not a second one
        }
        if (await CheckLinksAsync(services, user, request.GoalId, request.HabitId) is { } missing)
        {
            return missing;
        }

        var now = services.Time.GetUtcNow();
        var source = request.Source ?? EventSource.Api;
        var confirmed = request.Confirmed ?? source != EventSource.Chat;
        var item = new EventItem
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            Type = type,
            Title = request.Title!.Trim(),
            Notes = Validation.Clean(request.Notes),
            Confirmed = confirmed,
            StartsAt = request.StartsAt,
            EndsAt = request.EndsAt,
            DueAt = request.DueAt,
            AllDay = request.AllDay ?? false,
            GoalId = request.GoalId,
            HabitId = request.HabitId,
            Source = source,
            SourceMessageId = sourceMessageId,
            CreatedAt = now,
        };
        services.Db.Events.Add(item);
        services.Lifecycle.Created(item, user, services.Actor);
        try
        {
            await services.Db.SaveChangesAsync(services.CancellationToken);
        }
        catch (DbUpdateException e) when (sourceMessageId is not null && e.IsUniqueViolation())
        {
            // A concurrent retry with the same sourceMessageId got there first: answer with its item. The failed save
            // rolled back its own transaction; the winner is read in a fresh one, with nothing of ours left tracked.
            services.Db.ChangeTracker.Clear();
            var winner = await services.Db.Events.AsNoTracking().SingleAsync(x => x.UserId == user.Id && x.SourceMessageId == sourceMessageId, services.CancellationToken);
            return TypedResults.Ok(ToResponse(winner));
        }
        return TypedResults.Created($"/events/{item.Id}", ToResponse(item));
    }

    public static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> UpdateEvent(
        Guid id, UpdateEventRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation().Text("title", request.Title, GoalsDbContext.TitleMaxLength, required: false);
        ValidateNotes(request.Notes, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var item = await FindAsync(services, user, id);
        if (item is null)
        {
            return Problems.NotFound("Event", id);
        }
        if (ExpectedVersion.Check(request.ExpectedVersion, item.Version) is { } stale)
        {
            return stale;
        }
        if (EventStatusMachine.IsTerminal(item.Status))
        {
            return EventProblems.InvalidTransition(item, $"The event is {WireName.Of(item.Status)}; it can no longer be changed.");
        }
        if (await CheckLinksAsync(services, user, request.GoalId, null) is { } missing)
        {
            return missing;
        }

        var startsAt = request.StartsAt ?? item.StartsAt;
        var endsAt = request.EndsAt ?? item.EndsAt;
        ValidateTimes(item.Type, startsAt, endsAt, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (request.Title is not null) item.Title = request.Title.Trim();
        if (request.Notes is not null) item.Notes = Validation.Clean(request.Notes);
        item.StartsAt = startsAt;
        item.EndsAt = endsAt;
        if (request.DueAt is { } due) item.DueAt = due;
        if (request.AllDay is { } allDay) item.AllDay = allDay;
        if (request.GoalId is not null) item.GoalId = request.GoalId;
        services.Lifecycle.Updated(item, user, services.Actor, request with { ExpectedVersion = null });
        return await services.SaveAsync(item, e => e.Version) is { } conflict ? conflict : TypedResults.Ok(ToResponse(item));
    }

    public static Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> Confirm(Guid id, [AsParameters] GoalsApiServices services) =>
        ApplyAsync(services, id, EventAction.Confirm, reason: "confirmed");

    public static Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> Complete(Guid id, [AsParameters] GoalsApiServices services) =>
        ApplyAsync(services, id, EventAction.Complete, reason: "completed");

    public static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> Cancel(
        Guid id, ReasonRequest? request, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation().Text("reason", request?.Reason, 500, required: false);
        return validation.IsValid
            ? await ApplyAsync(services, id, EventAction.Cancel, Validation.Clean(request?.Reason) ?? "cancelled")
            : validation.ToProblem();
    }

    public static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> Feedback(
        Guid id, FeedbackRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation().Text("note", request.Note, 2000, required: false);
        if (request.Outcome is null)
        {
            validation.Add("outcome", "'outcome' is required: done or missed.");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var action = request.Outcome == FeedbackOutcome.Done ? EventAction.Complete : EventAction.Miss;
        return await ApplyAsync(services, id, action, $"feedback: {WireName.Of(request.Outcome!.Value)}", new { request.Outcome, note = Validation.Clean(request.Note) });
    }

    public static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> Postpone(
        Guid id, PostponeRequest request, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation().Text("reason", request.Reason, 500, required: false);
        if ((request.To is null) == (request.By is null))
        {
            validation.Add("to", "Give exactly one of 'to' (a new start) or 'by' (a duration such as \"01:00:00\").");
        }
        if (request.By is { } by && (by < TimeSpan.FromMinutes(1) || by > MaxPostpone))
        {
            validation.Add("by", "'by' must be between one minute and 366 days.");
        }
        var now = services.Time.GetUtcNow();
        if (request.To is { } to && (to <= now || to - now > MaxPostpone))
        {
            validation.Add("to", "'to' must be in the future, and within 366 days.");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var item = await FindAsync(services, user, id);
        if (item is null)
        {
            return Problems.NotFound("Event", id);
        }
        if (item.When is not { } current)
        {
            return validation.Add("to", "The event has no start or due time to move; set one with an update.").ToProblem();
        }

        var shift = request.To is { } target ? target - current : request.By!.Value;
        var payload = new { from = current, to = current + shift, request.Reason };
        var result = services.Lifecycle.Transition(item, user, EventAction.Postpone, services.Actor, Validation.Clean(request.Reason) ?? "postponed", payload, e =>
        {
            e.StartsAt += shift;
            e.EndsAt += shift;
            e.DueAt += shift;
        });
        return await FinishAsync(services, item, result);
    }

    public static async Task<Results<Ok<List<HistoryResponse>>, ProblemHttpResult>> History(Guid id, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        if (!await services.Db.Events.AnyAsync(e => e.Id == id && e.UserId == user.Id, services.CancellationToken))
        {
            return Problems.NotFound("Event", id);
        }
        var history = await services.Db.EventHistory.AsNoTracking()
            .Where(h => h.EventId == id && h.UserId == user.Id)
            .OrderBy(h => h.Id)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(history.Select(h => new HistoryResponse(
            h.FromStatus, h.ToStatus, h.At, h.Actor, h.Reason,
            h.Payload is null ? null : System.Text.Json.JsonDocument.Parse(h.Payload).RootElement.Clone())).ToList());
    }

    private static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> ApplyAsync(
        GoalsApiServices services, Guid id, EventAction action, string reason, object? payload = null)
    {
        var user = await services.CurrentUserAsync();
        var item = await FindAsync(services, user, id);
        if (item is null)
        {
            return Problems.NotFound("Event", id);
        }
        var result = services.Lifecycle.Transition(item, user, action, services.Actor, reason, payload);
        if (result.Accepted && item.HabitId is { } habitId && result.Final is EventStatus.Done or EventStatus.Missed)
        {
            await UpdateStreakAsync(services, user, habitId, result.Final == EventStatus.Done);
        }
        return await FinishAsync(services, item, result);
    }

    private static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> FinishAsync(
        GoalsApiServices services, EventItem item, TransitionResult result)
    {
        if (!result.Accepted)
        {
            return EventProblems.InvalidTransition(item, result.Error!);
        }
        return await services.SaveAsync(item, e => e.Version) is { } conflict ? conflict : TypedResults.Ok(ToResponse(item));
    }

    private static async Task UpdateStreakAsync(GoalsApiServices services, User user, Guid habitId, bool done)
    {
        if (await services.Db.Habits.SingleOrDefaultAsync(h => h.Id == habitId && h.UserId == user.Id, services.CancellationToken) is { } habit)
        {
            services.Changes.OccurrenceFinished(habit, user, done);
        }
    }

    private static Task<EventItem?> FindAsync(GoalsApiServices services, User user, Guid id) =>
        services.Db.Events.SingleOrDefaultAsync(e => e.Id == id && e.UserId == user.Id, services.CancellationToken);

    private static async Task<ProblemHttpResult?> CheckLinksAsync(GoalsApiServices services, User user, Guid? goalId, Guid? habitId)
    {
        if (goalId is { } g && !await HabitsApi.OwnsGoalAsync(services, user, g))
        {
            return Problems.NotFound("Goal", g);
        }
        if (habitId is { } h && !await services.Db.Habits.AnyAsync(x => x.Id == h && x.UserId == user.Id, services.CancellationToken))
        {
            return Problems.NotFound("Habit", h);
        }
        return null;
    }

    private static void ValidateNotes(string? notes, Validation validation)
    {
        if (notes is { Length: > GoalsDbContext.TextMaxLength })
        {
            validation.Add("notes", $"'notes' must be at most {GoalsDbContext.TextMaxLength} characters.");
        }
    }

    private static void ValidateTimes(EventType type, DateTimeOffset? startsAt, DateTimeOffset? endsAt, Validation validation)
    {
        if (type == EventType.Event && startsAt is null)
        {
            validation.Add("startsAt", "An event needs 'startsAt'.");
        }
        if (endsAt is not null && startsAt is null)
        {
            validation.Add("endsAt", "'endsAt' needs 'startsAt'.");
        }
        if (endsAt < startsAt)
        {
            validation.Add("endsAt", "'endsAt' must not be before 'startsAt'.");
        }
        else if (endsAt - startsAt > MaxDuration)
        {
            validation.Add("endsAt", "An event may last at most 31 days.");
        }
    }

    private static List<EventStatus> ParseStatuses(string? status, Validation validation)
    {
        var statuses = new List<EventStatus>();
        foreach (var name in (status ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (WireName.TryParse<EventStatus>(name, out var parsed))
            {
                statuses.Add(parsed);
            }
            else
            {
                validation.Add("status", $"'{name}' is not a status; use {string.Join(", ", WireName.All<EventStatus>())}.");
            }
        }
        return statuses;
    }

    public static EventResponse ToResponse(EventItem e) => new(
        e.Id, e.Type, e.Title, e.Notes, e.Status, e.StartsAt, e.EndsAt, e.DueAt, e.AllDay,
        e.GoalId, e.HabitId, e.Source, e.SourceMessageId, e.Version, e.CreatedAt, e.UpdatedAt);
}
