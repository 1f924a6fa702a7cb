using System.Globalization;
using System.Net;

namespace Aimi.Notifications.Api.Domain;

/// <summary>A reminder's words in the user's language (English or Russian) with times in the user's zone.</summary>
public sealed record ReminderText(string Subject, string Text, string Html)
{
    public static ReminderText For(Reminder reminder, UserProfile profile)
    {
        var russian = profile.Locale.StartsWith("ru", StringComparison.OrdinalIgnoreCase);
        var culture = CultureInfo.GetCultureInfo(russian ? "ru-RU" : "en-GB");
        var title = reminder.Title;
        var when = reminder.EventStartsAt is { } start
            ? TimeZoneInfo.ConvertTime(start, TimeZones.FindInfo(profile.TimeZone)).ToString(russian ? "d MMMM, HH:mm" : "dddd d MMMM, HH:mm", culture)
            : null;
        var (subject, text) = (reminder.Kind, russian) switch
        {
            (ReminderKind.FollowUp, false) => ($"How did \"{title}\" go?", $"How did \"{title}\" go? Tell me in the chat: done, missed, or partly."),
            (ReminderKind.FollowUp, true) => ($"Как прошло «{title}»?", $"Как прошло «{title}»? Расскажите в чате: сделано, пропущено или частично."),
            (ReminderKind.Test, false) => ("Aimi test notification", "This is a test notification from Aimi: this channel works."),
            (ReminderKind.Test, true) => ("Тестовое уведомление Aimi", "Это тестовое уведомление от Aimi: канал работает."),
            (ReminderKind.Habit, false) => ($"Time for {title}", $"Time for your habit: {title}."),
            (ReminderKind.Habit, true) => ($"Время: {title}", $"Пора: {title}."),
            (_, false) => ($"Reminder: {title} {Lead(reminder.Offset, false)}", $"{title} {Lead(reminder.Offset, false)}{(when is null ? "" : $" ({when})")}."),
            (_, true) => ($"Напоминание: {title} {Lead(reminder.Offset, true)}", $"{title} {Lead(reminder.Offset, true)}{(when is null ? "" : $" ({when})")}."),
        };
        var html = $"<!DOCTYPE html><html lang=\"{(russian ? "ru" : "en")}\"><body><p>{WebUtility.HtmlEncode(text)}</p></body></html>";
        return new ReminderText(subject, text, html);
    }

    private static string Lead(TimeSpan offset, bool russian) => (offset.TotalMinutes, russian) switch
    {
        (>= 1440, false) => offset.TotalDays == 1 ? "tomorrow" : $"in {offset.TotalDays:0} days",
        (>= 1440, true) => offset.TotalDays == 1 ? "завтра" : $"через {offset.TotalDays:0} дн.",
        (>= 60, false) => offset.TotalHours == 1 ? "in 1 hour" : $"in {offset.TotalHours:0.#} hours",
        (>= 60, true) => $"через {offset.TotalHours:0.#} ч",
        (> 0, false) => $"in {offset.TotalMinutes:0} minutes",
        (> 0, true) => $"через {offset.TotalMinutes:0} мин",
        (_, false) => "now",
        (_, true) => "сейчас",
    };
}
