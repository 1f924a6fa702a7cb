using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Aimi.Chat.Api.Assistant;

/// <summary>An item awaiting the user's answer, as listed in the system prompt.</summary>
/// <param name="LocalTime">The item's start or due time in the user's timezone, if it has one.</param>
public sealed record PendingItem(Guid Id, string Title, string Status, DateTimeOffset? LocalTime);

/// <summary>
/// Machine-readable lines the orchestrator writes into the system prompt and the local model reads back, so models never
/// read the clock themselves and "it"/"that" can be resolved:
/// <code>
/// Current time: 2026-11-24T09:00:00+01:00 (Europe/Berlin)
/// Pending items:
/// - [0b8e…] Call mom (pending_confirmation, 2026-11-25T18:00:00+01:00)
/// </code>
/// </summary>
public static partial class AssistantPrompt
{
    public const string CurrentTimePrefix = "Current time: ";
    public const string PendingItemsHeader = "Pending items:";
    public const string RememberHeader = "Remember:";
    public const string RememberPrefix = "- remember: ";

    /// <summary><c>Current time: 2026-11-24T09:00:00+01:00 (Europe/Berlin)</c> — the instant shown in the user's timezone.</summary>
    public static string CurrentTimeLine(DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var local = TimeZoneInfo.ConvertTime(now, timeZone);
        return $"{CurrentTimePrefix}{FormatInstant(local)} ({timeZone.Id})";
    }

    /// <summary>Finds the current-time line anywhere in a prompt; <paramref name="now"/> carries the user's offset.</summary>
    public static bool TryParseCurrentTime(string? prompt, out DateTimeOffset now, out TimeZoneInfo timeZone)
    {
        now = default;
        timeZone = TimeZoneInfo.Utc;
        if (prompt is null)
        {
            return false;
        }

        var match = CurrentTimePattern().Match(prompt);
        if (!match.Success
            || !DateTimeOffset.TryParseExact(match.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            || !TimeZoneInfo.TryFindSystemTimeZoneById(match.Groups["zone"].Value, out var zone))
        {
            return false;
        }

        now = TimeZoneInfo.ConvertTime(at, zone);
        timeZone = zone;
        return true;
    }

    /// <summary>The <c>Pending items:</c> block (header and one line per item); empty when there are none.</summary>
    public static string PendingItemsBlock(IEnumerable<PendingItem> items, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = new StringBuilder();
        foreach (var item in items)
        {
            if (builder.Length == 0)
            {
                builder.Append(PendingItemsHeader).Append('\n');
            }

            // Titles are user text: keep each item on one line so the block stays parseable.
            var title = item.Title.ReplaceLineEndings(" ").Trim();
            builder.Append("- [").Append(item.Id.ToString("D")).Append("] ").Append(title).Append(" (").Append(item.Status);
            if (item.LocalTime is { } at)
            {
                builder.Append(", ").Append(FormatInstant(TimeZoneInfo.ConvertTime(at, timeZone)));
            }

            builder.Append(")\n");
        }

        return builder.ToString();
    }

    /// <summary>Reads every pending-item line of a prompt, in order.</summary>
    public static IReadOnlyList<PendingItem> ParsePendingItems(string? prompt)
    {
        if (prompt is null)
        {
            return [];
        }

        var headerAt = prompt.IndexOf(PendingItemsHeader, StringComparison.Ordinal);
        if (headerAt < 0)
        {
            return [];
        }

        var items = new List<PendingItem>();
        foreach (var line in prompt[(headerAt + PendingItemsHeader.Length)..].Split('\n').Skip(1))
        {
            var match = PendingItemPattern().Match(line.TrimEnd('\r'));
            if (!match.Success)
            {
                break;
            }

            DateTimeOffset? at = DateTimeOffset.TryParseExact(match.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : null;
            items.Add(new PendingItem(Guid.Parse(match.Groups["id"].Value), match.Groups["title"].Value, match.Groups["status"].Value, at));
        }

        return items;
    }

    /// <summary>The <c>Remember:</c> block: one <c>- remember: …</c> line per thing memory found (each once); empty when there are none.</summary>
    public static string RememberBlock(IEnumerable<string> remembered)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        var lines = remembered.Select(r => r.ReplaceLineEndings(" ").Trim()).Where(r => r.Length > 0).Distinct().ToList();
        return lines.Count == 0 ? "" : RememberHeader + "\n" + string.Concat(lines.Select(l => RememberPrefix + l + "\n"));
    }

    /// <summary>Reads the <c>Remember:</c> block of a prompt back, in order.</summary>
    public static IReadOnlyList<string> ParseRemembered(string? prompt)
    {
        var headerAt = prompt?.IndexOf(RememberHeader + "\n", StringComparison.Ordinal) ?? -1;
        if (headerAt < 0)
        {
            return [];
        }
        return prompt![(headerAt + RememberHeader.Length + 1)..].Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .TakeWhile(l => l.StartsWith(RememberPrefix, StringComparison.Ordinal))
            .Select(l => l[RememberPrefix.Length..])
            .ToList();
    }

    /// <summary>ISO-8601 with offset and whole seconds, the format of every instant in tool arguments and prompt lines.</summary>
    public static string FormatInstant(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Current time: (?<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}) \((?<zone>[^)\s]+)\)")]
    private static partial Regex CurrentTimePattern();

    [GeneratedRegex(@"^- \[(?<id>[0-9a-fA-F-]{36})\] (?<title>.*) \((?<status>[a-z_]+)(, (?<at>[0-9T:+-]+))?\)$")]
    private static partial Regex PendingItemPattern();

    /// <summary>The reply when the model is unreachable (<see cref="Aimi.AI.AiUnavailableException"/>), in the language (English or Russian) of the user's message.</summary>
    public static string UnavailableReply(string? userText) =>
        Local.LocalIntentRecognizer.DetectLanguage(userText ?? "") == Local.ReplyLanguage.Russian
            ? "Извините, я сейчас не могу связаться с моделью. Ваше сообщение сохранено — попробуйте ещё раз чуть позже."
            : "Sorry, I can't reach my language model right now. Your message is saved — please try again in a moment.";
}
