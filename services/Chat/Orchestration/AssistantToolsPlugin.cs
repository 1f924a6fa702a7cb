using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Clients;
using Microsoft.SemanticKernel;

namespace Aimi.Chat.Api.Orchestration;

/// <summary>One tool call of a turn, as recorded in the message metadata; <paramref name="Item"/> is the event it left behind.</summary>
/// <param name="ForgetCandidates">What a <c>forget_memory</c> call found and waits on the user's yes for (the next turn's prompt shows it).</param>
public sealed record ToolCallRecord(
    string Name, IReadOnlyDictionary<string, string?> Arguments, bool Succeeded, string? Error, Guid? EventId, Guid? GoalId, Guid? HabitId, ItemState? Item = null,
    IReadOnlyList<ForgetCandidate>? ForgetCandidates = null);

/// <summary>An event's title, status and time after a tool touched it, so later turns know what is still pending.</summary>
public sealed record ItemState(Guid Id, string Title, string Status, DateTimeOffset? When);

/// <summary>
/// The assistant's tools: each creates or moves the user's plan through the Goals API with the user's own token. New items
/// start as <c>pending_confirmation</c> until the user agrees. Every call is recorded for the message metadata; a failure is
/// thrown with the Goals service's own words so the model can tell the user. The memory tools are in
/// <c>AssistantToolsPlugin.Memory.cs</c>.
/// <para>
/// The plugin is built once per process (<see cref="Plugin"/>): Semantic Kernel reflects over the methods and builds each
/// parameter's JSON schema as it builds a plugin, which took 8% of Chat's CPU under the chat benchmark when it was done every turn
/// (issue 17). What belongs to a turn (the user's token, the clients, the calls made) is its <see cref="ToolTurn"/>, in the turn's
/// kernel: each tool takes the <see cref="Kernel"/> that Semantic Kernel passes to a function it invokes (a parameter the model never sees).
/// </para>
/// </summary>
public sealed partial class AssistantToolsPlugin
{
    /// <summary>The tools as one plugin, shared by every turn's kernel.</summary>
    public static KernelPlugin Plugin { get; } = KernelPluginFactory.CreateFromObject(new AssistantToolsPlugin(), "aimi");

    private AssistantToolsPlugin()
    {
    }

    [KernelFunction(AssistantTools.CreateEvent), Description(AssistantTools.Descriptions.CreateEvent)]
    public Task<string> CreateEventAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.Title)] string title,
        [Description(AssistantTools.Descriptions.Instant)] string startsAt,
        [Description(AssistantTools.Descriptions.Instant)] string? endsAt = null,
        string? notes = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordAsync(AssistantTools.CreateEvent, new() { ["title"] = title, ["startsAt"] = startsAt, ["endsAt"] = endsAt, ["notes"] = notes }, async t =>
        {
            var key = t.NextWriteKey();
            var created = await t.Goals.CreateEventAsync(t.Turn.Token, key, new
            {
                type = "event", title, notes, startsAt = Instant(startsAt, "startsAt"), endsAt = OptionalInstant(endsAt, "endsAt"),
                source = "chat", sourceMessageId = key, confirmed = false,
            }, cancellationToken);
            return (Serialize(created), created.Id, created.GoalId, null, StateOf(created));
        });

    [KernelFunction(AssistantTools.CreateTask), Description(AssistantTools.Descriptions.CreateTask)]
    public Task<string> CreateTaskAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.Title)] string title,
        [Description(AssistantTools.Descriptions.Instant)] string? dueAt = null,
        string? notes = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordAsync(AssistantTools.CreateTask, new() { ["title"] = title, ["dueAt"] = dueAt, ["notes"] = notes }, async t =>
        {
            var key = t.NextWriteKey();
            var created = await t.Goals.CreateEventAsync(t.Turn.Token, key, new
            {
                type = "task", title, notes, dueAt = OptionalInstant(dueAt, "dueAt"), source = "chat", sourceMessageId = key, confirmed = false,
            }, cancellationToken);
            return (Serialize(created), created.Id, created.GoalId, null, StateOf(created));
        });

    [KernelFunction(AssistantTools.CreateGoal), Description(AssistantTools.Descriptions.CreateGoal)]
    public Task<string> CreateGoalAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.Title)] string title,
        string? description = null,
        [Description(AssistantTools.Descriptions.Date)] string? dueDate = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordAsync(AssistantTools.CreateGoal, new() { ["title"] = title, ["description"] = description, ["dueDate"] = dueDate }, async t =>
        {
            var goal = await t.Goals.CreateGoalAsync(t.Turn.Token, t.NextWriteKey(), new { title, description, dueDate = OptionalDate(dueDate) }, cancellationToken);
            return (Serialize(goal), null, goal.Id, null, null);
        });

    [KernelFunction(AssistantTools.CreateHabit), Description(AssistantTools.Descriptions.CreateHabit)]
    public Task<string> CreateHabitAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.Title)] string title,
        [Description(AssistantTools.Descriptions.Cadence)] string cadence,
        string? goalId = null,
        CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordAsync(AssistantTools.CreateHabit, new() { ["title"] = title, ["cadence"] = cadence, ["goalId"] = goalId }, async t =>
        {
            var habit = await t.Goals.CreateHabitAsync(t.Turn.Token, t.NextWriteKey(), new { title, cadence, goalId = OptionalId(goalId) }, cancellationToken);
            return (Serialize(habit), null, habit.GoalId, habit.Id, null);
        });

    [KernelFunction(AssistantTools.ConfirmEvent), Description(AssistantTools.Descriptions.ConfirmEvent)]
    public Task<string> ConfirmEventAsync(Kernel kernel, [Description(AssistantTools.Descriptions.EventId)] string eventId, CancellationToken cancellationToken = default) =>
        ActAsync(kernel, AssistantTools.ConfirmEvent, eventId, "confirm", null, new() { ["eventId"] = eventId }, cancellationToken);

    [KernelFunction(AssistantTools.CompleteTask), Description(AssistantTools.Descriptions.CompleteTask)]
    public Task<string> CompleteTaskAsync(Kernel kernel, [Description(AssistantTools.Descriptions.EventId)] string eventId, CancellationToken cancellationToken = default) =>
        ActAsync(kernel, AssistantTools.CompleteTask, eventId, "complete", null, new() { ["eventId"] = eventId }, cancellationToken);

    [KernelFunction(AssistantTools.RecordFeedback), Description(AssistantTools.Descriptions.RecordFeedback)]
    public Task<string> RecordFeedbackAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.EventId)] string eventId,
        [Description(AssistantTools.Descriptions.Outcome)] string outcome,
        [Description(AssistantTools.Descriptions.Note)] string? note = null,
        CancellationToken cancellationToken = default) =>
        ActAsync(kernel, AssistantTools.RecordFeedback, eventId, "feedback", () => new { outcome = Outcome(outcome), note },
            new() { ["eventId"] = eventId, ["outcome"] = outcome, ["note"] = note }, cancellationToken);

    [KernelFunction(AssistantTools.PostponeEvent), Description(AssistantTools.Descriptions.PostponeEvent)]
    public Task<string> PostponeEventAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.EventId)] string eventId,
        [Description(AssistantTools.Descriptions.Instant)] string? to = null,
        [Description(AssistantTools.Descriptions.By)] string? by = null,
        CancellationToken cancellationToken = default) =>
        ActAsync(kernel, AssistantTools.PostponeEvent, eventId, "postpone",
            () => new { to = OptionalInstant(to, "to"), by = OptionalDuration(by) },
            new() { ["eventId"] = eventId, ["to"] = to, ["by"] = by }, cancellationToken);

    [KernelFunction(AssistantTools.CancelEvent), Description(AssistantTools.Descriptions.CancelEvent)]
    public Task<string> CancelEventAsync(
        Kernel kernel,
        [Description(AssistantTools.Descriptions.EventId)] string eventId, string? reason = null, CancellationToken cancellationToken = default) =>
        ActAsync(kernel, AssistantTools.CancelEvent, eventId, "cancel", () => new { reason }, new() { ["eventId"] = eventId, ["reason"] = reason }, cancellationToken);

    [KernelFunction(AssistantTools.ListAgenda), Description(AssistantTools.Descriptions.ListAgenda)]
    public Task<string> ListAgendaAsync(Kernel kernel, [Description(AssistantTools.Descriptions.Date)] string? date = null, CancellationToken cancellationToken = default) =>
        ToolTurn.Of(kernel).RecordAsync(AssistantTools.ListAgenda, new() { ["date"] = date }, async t =>
        {
            var agenda = await t.Goals.GetAgendaAsync(t.Turn.Token, OptionalDate(date), cancellationToken);
            return (Serialize(agenda), null, null, null, null);
        });

    [KernelFunction(AssistantTools.EndSession), Description(AssistantTools.Descriptions.EndSession)]
    public string EndSession(Kernel kernel)
    {
        ToolTurn.Of(kernel).RequestEnd();
        return """{"ended":true}""";
    }

    private static Task<string> ActAsync(Kernel kernel, string tool, string eventId, string action, Func<object>? body, Dictionary<string, string?> arguments,
        CancellationToken cancellationToken) =>
        ToolTurn.Of(kernel).RecordAsync(tool, arguments, async t =>
        {
            var key = t.NextWriteKey();
            var id = Guid.TryParse(eventId, out var parsed) ? parsed : throw new ToolArgumentException($"'{eventId}' is not an event id.");
            var changed = await t.Goals.ActAsync(t.Turn.Token, key, id, action, body?.Invoke(), cancellationToken);
            return (Serialize(changed), changed.Id, changed.GoalId, null, StateOf(changed));
        });

    private static ItemState StateOf(EventView e) => new(e.Id, e.Title, e.Status, e.StartsAt ?? e.DueAt);

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);

    private static DateTimeOffset Instant(string value, string name) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at
            : throw new ToolArgumentException($"'{name}' must be an ISO-8601 date and time, got '{value}'.");

    private static DateTimeOffset? OptionalInstant(string? value, string name) => string.IsNullOrWhiteSpace(value) ? null : Instant(value, name);

    private static string Outcome(string value) => value.Trim().ToLowerInvariant() switch
    {
        AssistantTools.Outcomes.Done => AssistantTools.Outcomes.Done,
        AssistantTools.Outcomes.Missed => AssistantTools.Outcomes.Missed,
        _ => throw new ToolArgumentException($"'outcome' must be '{AssistantTools.Outcomes.Done}' or '{AssistantTools.Outcomes.Missed}', got '{value}'."),
    };

    private static DateOnly? OptionalDate(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw new ToolArgumentException($"'{value}' is not a date (yyyy-MM-dd).");

    private static TimeSpan? OptionalDuration(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var duration) ? duration
        : throw new ToolArgumentException($"'{value}' is not a duration (hh:mm:ss).");

    private static Guid? OptionalId(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : Guid.TryParse(value, out var id) ? id : throw new ToolArgumentException($"'{value}' is not an id.");
}

public sealed class ToolArgumentException(string message) : Exception(message);
