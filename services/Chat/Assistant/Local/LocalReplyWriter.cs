using Aimi.Contracts.Goals;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>A tool call the model made this turn and what the tool answered.</summary>
public sealed record ToolOutcome(string Tool, IReadOnlyDictionary<string, object?> Arguments, JsonElement? Result, string? Error);

/// <summary>Writes the short reply that follows tool results, in the user's language, from what the tools returned.</summary>
public static class LocalReplyWriter
{
    private static readonly string[] MonthsEn = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    /// <summary>Russian month names in the genitive, as a date reads ("3 мая").</summary>
    internal static readonly string[] MonthsRu = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"];
    private static readonly string[] DaysEn = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    private static readonly string[] DaysRu = ["вс", "пн", "вт", "ср", "чт", "пт", "сб"];
    private static readonly string[] WeekdaysEn = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] WeekdaysRuPlural = ["воскресеньям", "понедельникам", "вторникам", "средам", "четвергам", "пятницам", "субботам"];

    public static string Write(IReadOnlyList<ToolOutcome> outcomes, ReplyLanguage language, ConversationState state)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(state);
        var ru = language == ReplyLanguage.Russian;
        var sentences = outcomes.Select(o => Sentence(o, ru, state)).Where(s => s.Length > 0).ToList();
        return sentences.Count == 0 ? (ru ? "Готово." : "Done.") : string.Join(' ', sentences);
    }

    private static string Sentence(ToolOutcome outcome, bool ru, ConversationState state)
    {
        if (outcome.Tool is AssistantTools.SearchMemory or AssistantTools.ForgetMemory)
        {
            return LocalMemory.AfterTool(outcome, ru ? ReplyLanguage.Russian : ReplyLanguage.English, state);
        }

        if (outcome.Error is { } error)
        {
            return ru ? $"Не получилось: {error}" : $"Sorry, that didn't work: {error}";
        }

        var result = outcome.Result;
        var title = Text(result, "title") ?? Arg(outcome, AssistantTools.Parameters.Title) ?? TitleFromPending(outcome, state)
            ?? (ru ? "это" : "it");
        var status = Text(result, "status");
        var when = Instant(result, "startsAt") ?? Instant(result, "dueAt")
            ?? ParseInstant(Arg(outcome, AssistantTools.Parameters.StartsAt)) ?? ParseInstant(Arg(outcome, AssistantTools.Parameters.DueAt));
        var whenText = when is { } w ? " " + When(w, ru, state) : "";

        switch (outcome.Tool)
        {
            case AssistantTools.CreateEvent:
                return status == EventStatuses.PendingConfirmation || status is null
                    ? ru ? $"Записано: «{title}»{whenText}. Подтверждаете?" : $"Got it: “{title}”{whenText}. Shall I confirm it?"
                    : ru ? $"Готово: «{title}»{whenText} в плане." : $"Done: “{title}”{whenText} is in your plan.";
            case AssistantTools.CreateTask:
                return ru ? $"Добавлена задача «{title}»{(when is null ? "" : ", срок —" + whenText)}." : $"Added the task “{title}”{(when is null ? "" : ", due" + whenText)}.";
            case AssistantTools.CreateGoal:
                var due = Text(result, "dueDate") ?? Arg(outcome, AssistantTools.Parameters.DueDate);
                var dueText = DateOnly.TryParseExact(due, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                    ? ru ? $" к {d.Day} {MonthsRu[d.Month - 1]}" : $" by {d.Day} {MonthsEn[d.Month - 1]}"
                    : "";
                return ru ? $"Новая цель: «{title}»{dueText}. Буду помогать не сбиться." : $"New goal: “{title}”{dueText}. I'll help you keep at it.";
            case AssistantTools.CreateHabit:
                var cadence = Text(result, "cadence") ?? Arg(outcome, AssistantTools.Parameters.Cadence);
                return ru ? $"Новая привычка: «{title}» — {DescribeCadence(cadence, true)}." : $"New habit: “{title}” — {DescribeCadence(cadence, false)}.";
            case AssistantTools.ConfirmEvent:
                return ru ? $"Подтверждено: «{title}»{whenText}." : $"Confirmed: “{title}”{whenText}.";
            case AssistantTools.CompleteTask:
                return ru ? $"Отлично! «{title}» — выполнено." : $"Well done! “{title}” is marked as done.";
            case AssistantTools.RecordFeedback:
                return Arg(outcome, AssistantTools.Parameters.Outcome) == AssistantTools.Outcomes.Missed
                    ? ru ? $"Понятно, «{title}» не получилось — отметила. Хотите, перенесу на другое время?" : $"Noted: “{title}” didn't happen. Would you like me to move it to another time?"
                    : ru ? $"Отлично! Записала: «{title}» — выполнено." : $"Great! I've noted that “{title}” went well.";
            case AssistantTools.PostponeEvent:
                return ru ? $"Перенесено: «{title}»{(when is null ? "" : " —" + whenText)}." : $"Moved “{title}”{(when is null ? "" : " to" + whenText)}.";
            case AssistantTools.CancelEvent:
                return ru ? $"Отменено: «{title}»." : $"Cancelled “{title}”.";
            case AssistantTools.ListAgenda:
                return Agenda(outcome, ru, state);
            case AssistantTools.EndSession:
                return ru ? "Пока! До связи." : "Bye! Talk to you soon.";
            default:
                return "";
        }
    }

    private static string Agenda(ToolOutcome outcome, bool ru, ConversationState state)
    {
        var items = outcome.Result switch
        {
            { ValueKind: JsonValueKind.Array } array => array,
            { ValueKind: JsonValueKind.Object } obj when Property(obj, "items") is { ValueKind: JsonValueKind.Array } a => a,
            { ValueKind: JsonValueKind.Object } obj when Property(obj, "events") is { ValueKind: JsonValueKind.Array } e => e,
            _ => (JsonElement?)null,
        };
        var day = DayName(Arg(outcome, AssistantTools.Parameters.Date), ru, state);
        if (items is null || items.Value.GetArrayLength() == 0)
        {
            return ru ? $"На {day} ничего не запланировано." : $"Nothing on your agenda for {day}.";
        }

        var builder = new StringBuilder(ru ? $"Ваши планы на {day}:" : $"Here's your agenda for {day}:");
        foreach (var item in items.Value.EnumerateArray())
        {
            var at = Instant(item, "startsAt") ?? Instant(item, "dueAt");
            var clock = at is { } a ? TimeZoneInfo.ConvertTime(a, state.TimeZone).ToString("HH:mm", CultureInfo.InvariantCulture) + " " : "";
            var status = Text(item, "status") is { } s ? $" ({StatusName(s, ru)})" : "";
            builder.Append("\n- ").Append(clock).Append(Text(item, "title") ?? "—").Append(status);
        }

        return builder.ToString();
    }

    private static string DayName(string? date, bool ru, ConversationState state)
    {
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return ru ? "сегодня" : "today";
        }

        var today = state.Now is { } now ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, state.TimeZone).DateTime) : (DateOnly?)null;
        return day == today ? (ru ? "сегодня" : "today")
            : day == today?.AddDays(1) ? (ru ? "завтра" : "tomorrow")
            : ru ? $"{day.Day} {MonthsRu[day.Month - 1]}" : $"{DaysEn[(int)day.DayOfWeek]} {day.Day} {MonthsEn[day.Month - 1]}";
    }

    /// <summary>"tomorrow at 18:00", "Fri 27 Nov at 09:00", "завтра в 18:00", "пт, 27 ноября в 09:00" — in the user's timezone.</summary>
    public static string When(DateTimeOffset at, bool ru, ConversationState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var local = TimeZoneInfo.ConvertTime(at, state.TimeZone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var clock = local.ToString("HH:mm", CultureInfo.InvariantCulture);
        var today = state.Now is { } now ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, state.TimeZone).DateTime) : (DateOnly?)null;
        var dayText = day == today ? (ru ? "сегодня" : "today")
            : day == today?.AddDays(1) ? (ru ? "завтра" : "tomorrow")
            : ru ? $"{DaysRu[(int)day.DayOfWeek]}, {day.Day} {MonthsRu[day.Month - 1]}" : $"{DaysEn[(int)day.DayOfWeek]} {day.Day} {MonthsEn[day.Month - 1]}";
        return ru ? $"{dayText} в {clock}" : $"{dayText} at {clock}";
    }

    /// <summary>Reads back the cron shapes the local model writes; anything else is shown as the expression.</summary>
    public static string DescribeCadence(string? cron, bool ru)
    {
        var parts = cron?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: 5 } || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var minute)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var hour) || parts[2] != "*" || parts[3] != "*")
        {
            return cron ?? "";
        }

        var clock = $"{hour:00}:{minute:00}";
        return parts[4] switch
        {
            "*" => ru ? $"каждый день в {clock}" : $"every day at {clock}",
            "1-5" => ru ? $"по будням в {clock}" : $"every weekday at {clock}",
            "0,6" or "6,0" => ru ? $"по выходным в {clock}" : $"every weekend at {clock}",
            var dow when int.TryParse(dow, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 7
                => ru ? $"по {WeekdaysRuPlural[n % 7]} в {clock}" : $"every {WeekdaysEn[n % 7]} at {clock}",
            _ => cron!,
        };
    }

    private static string StatusName(string status, bool ru) => (status, ru) switch
    {
        (EventStatuses.PendingConfirmation, false) => "not confirmed yet",
        (EventStatuses.PendingConfirmation, true) => "ещё не подтверждено",
        (EventStatuses.Planned, true) or (EventStatuses.Scheduled, true) => "в плане",
        (EventStatuses.AwaitingFeedback, false) => "how did it go?",
        (EventStatuses.AwaitingFeedback, true) => "как прошло?",
        (EventStatuses.Done, true) => "выполнено",
        (EventStatuses.Missed, true) => "пропущено",
        (EventStatuses.Postponed, true) => "перенесено",
        (EventStatuses.Cancelled, true) => "отменено",
        _ => status.Replace('_', ' '),
    };

    private static string? TitleFromPending(ToolOutcome outcome, ConversationState state)
    {
        var id = Arg(outcome, AssistantTools.Parameters.EventId);
        if (Guid.TryParse(id, out var guid))
        {
            return state.PendingItems.FirstOrDefault(p => p.Id == guid)?.Title
                ?? (state.LastMentioned?.Id == guid ? state.LastMentioned.Title : null);
        }

        return null;
    }

    private static string? Arg(ToolOutcome outcome, string name) =>
        outcome.Arguments.TryGetValue(name, out var value) ? value switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        } : null;

    internal static JsonElement? Property(JsonElement? element, string name)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj)
        {
            return null;
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    internal static string? Text(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static DateTimeOffset? Instant(JsonElement? element, string name) => ParseInstant(Text(element, name));

    private static DateTimeOffset? ParseInstant(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;
}
