using Aimi.AI;
using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Assistant.Local;
using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>What a tool returns, shaped like the Goals service's event JSON.</summary>
public sealed record ItemDto(Guid Id, string Type, string Title, string Status, string? StartsAt, string? DueAt, string? Cadence = null);

public sealed record ToolCall(string Tool, IReadOnlyDictionary<string, string?> Arguments);

/// <summary>
/// The <see cref="AssistantTools"/> contract as a Semantic Kernel plugin that records every call and keeps items in
/// memory, so tests see exactly what the model asked for and what it got back.
/// </summary>
public sealed class RecordingAssistantPlugin
{
    private readonly object _gate = new();
    private readonly List<ToolCall> _calls = [];
    private readonly Dictionary<Guid, ItemDto> _items = [];

    public IReadOnlyList<ToolCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>When set, create_event throws this message (to test error replies).</summary>
    public string? FailCreateWith { get; set; }

    public ItemDto Seed(string title, string status, DateTimeOffset startsAt)
    {
        var item = new ItemDto(Guid.NewGuid(), "event", title, status, Format(startsAt), null);
        lock (_gate)
        {
            _items[item.Id] = item;
        }

        return item;
    }

    [KernelFunction(AssistantTools.CreateEvent), Description(AssistantTools.Descriptions.CreateEvent)]
    public ItemDto CreateEvent(
        [Description(AssistantTools.Descriptions.Title)] string title,
        [Description(AssistantTools.Descriptions.Instant)] string startsAt,
        [Description(AssistantTools.Descriptions.Instant)] string? endsAt = null,
        string? notes = null)
    {
        Record(AssistantTools.CreateEvent, (AssistantTools.Parameters.Title, title), (AssistantTools.Parameters.StartsAt, startsAt),
            (AssistantTools.Parameters.EndsAt, endsAt), (AssistantTools.Parameters.Notes, notes));
        if (FailCreateWith is { } failure)
        {
            throw new InvalidOperationException(failure);
        }

        return Store(new ItemDto(Guid.NewGuid(), "event", title, "pending_confirmation", Format(Parse(startsAt)), null));
    }

    [KernelFunction(AssistantTools.CreateTask), Description(AssistantTools.Descriptions.CreateTask)]
    public ItemDto CreateTask(string title, [Description(AssistantTools.Descriptions.Instant)] string? dueAt = null, string? notes = null)
    {
        Record(AssistantTools.CreateTask, (AssistantTools.Parameters.Title, title), (AssistantTools.Parameters.DueAt, dueAt), (AssistantTools.Parameters.Notes, notes));
        return Store(new ItemDto(Guid.NewGuid(), "task", title, "pending_confirmation", null, dueAt is null ? null : Format(Parse(dueAt))));
    }

    [KernelFunction(AssistantTools.CreateGoal), Description(AssistantTools.Descriptions.CreateGoal)]
    public ItemDto CreateGoal(string title, string? description = null, [Description(AssistantTools.Descriptions.Date)] string? dueDate = null)
    {
        Record(AssistantTools.CreateGoal, (AssistantTools.Parameters.Title, title), (AssistantTools.Parameters.Description, description), (AssistantTools.Parameters.DueDate, dueDate));
        return new ItemDto(Guid.NewGuid(), "goal", title, "active", null, null);
    }

    [KernelFunction(AssistantTools.CreateHabit), Description(AssistantTools.Descriptions.CreateHabit)]
    public ItemDto CreateHabit(string title, [Description(AssistantTools.Descriptions.Cadence)] string cadence, string? goalId = null)
    {
        Record(AssistantTools.CreateHabit, (AssistantTools.Parameters.Title, title), (AssistantTools.Parameters.Cadence, cadence), (AssistantTools.Parameters.GoalId, goalId));
        return new ItemDto(Guid.NewGuid(), "habit", title, "active", null, null, cadence);
    }

    [KernelFunction(AssistantTools.ConfirmEvent), Description(AssistantTools.Descriptions.ConfirmEvent)]
    public ItemDto ConfirmEvent([Description(AssistantTools.Descriptions.EventId)] string eventId)
    {
        Record(AssistantTools.ConfirmEvent, (AssistantTools.Parameters.EventId, eventId));
        return Update(eventId, item => item with { Status = "planned" });
    }

    [KernelFunction(AssistantTools.CompleteTask), Description(AssistantTools.Descriptions.CompleteTask)]
    public ItemDto CompleteTask(string eventId)
    {
        Record(AssistantTools.CompleteTask, (AssistantTools.Parameters.EventId, eventId));
        return Update(eventId, item => item with { Status = "done" });
    }

    [KernelFunction(AssistantTools.RecordFeedback), Description(AssistantTools.Descriptions.RecordFeedback)]
    public ItemDto RecordFeedback(string eventId, string outcome, string? note = null)
    {
        Record(AssistantTools.RecordFeedback, (AssistantTools.Parameters.EventId, eventId), (AssistantTools.Parameters.Outcome, outcome), (AssistantTools.Parameters.Note, note));
        return Update(eventId, item => item with { Status = outcome });
    }

    [KernelFunction(AssistantTools.PostponeEvent), Description(AssistantTools.Descriptions.PostponeEvent)]
    public ItemDto PostponeEvent(string eventId, [Description(AssistantTools.Descriptions.Instant)] string? to = null, [Description(AssistantTools.Descriptions.By)] string? by = null)
    {
        Record(AssistantTools.PostponeEvent, (AssistantTools.Parameters.EventId, eventId), (AssistantTools.Parameters.To, to), (AssistantTools.Parameters.By, by));
        return Update(eventId, item => item with
        {
            Status = "planned",
            StartsAt = to is not null ? Format(Parse(to)) : Format(Parse(item.StartsAt!) + TimeSpan.Parse(by!, CultureInfo.InvariantCulture)),
        });
    }

    [KernelFunction(AssistantTools.CancelEvent), Description(AssistantTools.Descriptions.CancelEvent)]
    public ItemDto CancelEvent(string eventId, string? reason = null)
    {
        Record(AssistantTools.CancelEvent, (AssistantTools.Parameters.EventId, eventId), (AssistantTools.Parameters.Reason, reason));
        return Update(eventId, item => item with { Status = "cancelled" });
    }

    [KernelFunction(AssistantTools.ListAgenda), Description(AssistantTools.Descriptions.ListAgenda)]
    public IReadOnlyList<ItemDto> ListAgenda([Description(AssistantTools.Descriptions.Date)] string? date = null)
    {
        Record(AssistantTools.ListAgenda, (AssistantTools.Parameters.Date, date));
        lock (_gate)
        {
            return _items.Values.Where(i => date is null || (i.StartsAt ?? i.DueAt ?? "").StartsWith(date, StringComparison.Ordinal))
                .OrderBy(i => i.StartsAt, StringComparer.Ordinal).ToList();
        }
    }

    [KernelFunction(AssistantTools.EndSession), Description(AssistantTools.Descriptions.EndSession)]
    public string EndSession()
    {
        Record(AssistantTools.EndSession);
        return "session ended";
    }

    /// <summary>What search_memory finds (Memory's items as the real tool returns them: kind, content, said, role).</summary>
    public IReadOnlyList<object> Remembered { get; set; } = [];

    [KernelFunction(AssistantTools.SearchMemory), Description(AssistantTools.Descriptions.SearchMemory)]
    public object SearchMemory(string query, string? from = null, string? to = null)
    {
        Record(AssistantTools.SearchMemory, (AssistantTools.Parameters.Query, query), (AssistantTools.Parameters.From, from), (AssistantTools.Parameters.To, to));
        return new { items = Remembered };
    }

    [KernelFunction(AssistantTools.ForgetMemory), Description(AssistantTools.Descriptions.ForgetMemory)]
    public object ForgetMemory(string? query = null, string? memoryIds = null)
    {
        Record(AssistantTools.ForgetMemory, (AssistantTools.Parameters.Query, query), (AssistantTools.Parameters.MemoryIds, memoryIds));
        return new { forgotten = 1 };
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static string Format(DateTimeOffset at) => AssistantPrompt.FormatInstant(at);

    private void Record(string tool, params (string Name, string? Value)[] arguments)
    {
        lock (_gate)
        {
            _calls.Add(new ToolCall(tool, arguments.Where(a => a.Value is not null).ToDictionary(a => a.Name, a => a.Value)));
        }
    }

    private ItemDto Store(ItemDto item)
    {
        lock (_gate)
        {
            _items[item.Id] = item;
        }

        return item;
    }

    private ItemDto Update(string eventId, Func<ItemDto, ItemDto> change)
    {
        lock (_gate)
        {
            var id = Guid.Parse(eventId);
            var item = _items.TryGetValue(id, out var found) ? found : throw new KeyNotFoundException($"No item {eventId}.");
            return _items[id] = change(item);
        }
    }
}
