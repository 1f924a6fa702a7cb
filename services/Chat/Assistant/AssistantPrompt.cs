using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Aimi.Chat.Api.Assistant;

/// <summary>An item awaiting the user's answer, as listed in the system prompt.</summary>
/// <param name="LocalTime">The item's start or due time in the user's timezone, if it has one.</param>
public sealed record PendingItem(Guid Id, string Title, string Status, DateTimeOffset? LocalTime);

/// <summary>Something memory holds, as the <c>Remember:</c> block shows it.</summary>
/// <param name="Content">The user's own words (or a fact in them); "I" is the user.</param>
/// <param name="Kind">Memory's kind: <c>fact</c>, <c>episode</c> (something said), <c>note</c>, <c>summary</c>.</param>
/// <param name="Said">The day it was said or learnt, in the user's calendar.</param>
/// <param name="Predicate">For a fact, what it is about (<c>lives_in</c>, <c>works_as</c>, …).</param>
public sealed record RememberedItem(string Content, string Kind, DateOnly? Said = null, string? Predicate = null)
{
    /// <summary>Memory's kind names as the block writes them.</summary>
    public static class Kinds
    {
        public const string Fact = "fact";
        public const string Episode = "episode";
        public const string Note = "note";
    }
}

/// <summary>A memory a <c>forget_memory</c> call found, waiting for the user to confirm.</summary>
public sealed record ForgetCandidate(Guid Id, string Content);

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
    public const string RememberPrefix = "- remember ";
    public const string ForgetCandidatesHeader = "Confirm forgetting:";
    public const string ActiveGoalsHeader = "Active goals:";

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
    public static IReadOnlyList<PendingItem> ParsePendingItems(string? prompt) =>
        BlockLines(prompt, PendingItemsHeader, PendingItemPattern())
            .Select(match => new PendingItem(
                Guid.Parse(match.Groups["id"].Value),
                match.Groups["title"].Value,
                match.Groups["status"].Value,
                DateTimeOffset.TryParseExact(match.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                    ? at
                    : null))
            .ToList();

    /// <summary>
    /// The <c>Remember:</c> block: one <c>- remember [fact:lives_in, 2026-05-03]: I live in Munich</c> line per thing memory found
    /// (each once, in the user's own words, "I" being the user); empty when there are none.
    /// </summary>
    public static string RememberBlock(IEnumerable<RememberedItem> remembered)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        var lines = remembered
            .Select(r => r with { Content = r.Content.ReplaceLineEndings(" ").Trim() })
            .Where(r => r.Content.Length > 0)
            .DistinctBy(r => r.Content)
            .Select(RememberLine)
            .ToList();
        return lines.Count == 0 ? "" : RememberHeader + "\n" + string.Concat(lines.Select(l => l + "\n"));
    }

    /// <summary>Reads the <c>Remember:</c> block of a prompt back, in order.</summary>
    public static IReadOnlyList<RememberedItem> ParseRemembered(string? prompt) =>
        BlockLines(prompt, RememberHeader, RememberPattern())
            .Select(match => new RememberedItem(
                match.Groups["text"].Value,
                match.Groups["kind"].Value,
                DateOnly.TryParseExact(match.Groups["said"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var said) ? said : null,
                match.Groups["about"].Success ? match.Groups["about"].Value : null))
            .ToList();

    private static string RememberLine(RememberedItem item)
    {
        var tag = item.Predicate is null ? item.Kind : $"{item.Kind}:{item.Predicate}";
        var said = item.Said is { } day ? ", " + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "";
        return $"{RememberPrefix}[{tag}{said}]: {item.Content}";
    }

    /// <summary>
    /// The <c>Confirm forgetting:</c> block: memories a <c>forget_memory</c> call found in the previous turn, waiting for the
    /// user's yes (forget them all, <c>memoryIds</c>) or no; empty when nothing waits.
    /// </summary>
    public static string ForgetCandidatesBlock(IEnumerable<ForgetCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var lines = candidates.Select(c => $"- [{c.Id:D}] {c.Content.ReplaceLineEndings(" ").Trim()}\n").ToList();
        return lines.Count == 0 ? "" : ForgetCandidatesHeader + "\n" + string.Concat(lines);
    }

    /// <summary>Reads the <c>Confirm forgetting:</c> block of a prompt back.</summary>
    public static IReadOnlyList<ForgetCandidate> ParseForgetCandidates(string? prompt) =>
        BlockLines(prompt, ForgetCandidatesHeader, IdLinePattern()).Select(m => new ForgetCandidate(Guid.Parse(m.Groups["id"].Value), m.Groups["text"].Value)).ToList();

    /// <summary>The <c>Active goals:</c> block: <c>- [id] title (importance 3, due 2026-12-31)</c> per goal; empty when there are none.</summary>
    public static string ActiveGoalsBlock(IEnumerable<(Guid Id, string Title, int Importance, DateOnly? Due)> goals)
    {
        ArgumentNullException.ThrowIfNull(goals);
        var lines = goals.Select(g => string.Create(CultureInfo.InvariantCulture,
            $"- [{g.Id:D}] {g.Title.ReplaceLineEndings(" ").Trim()} (importance {g.Importance}{(g.Due is { } d ? $", due {d:yyyy-MM-dd}" : "")})\n")).ToList();
        return lines.Count == 0 ? "" : ActiveGoalsHeader + "\n" + string.Concat(lines);
    }

    /// <summary>The titles of the <c>Active goals:</c> block, in order (most important first, as written).</summary>
    public static IReadOnlyList<string> ParseActiveGoals(string? prompt) =>
        BlockLines(prompt, ActiveGoalsHeader, IdLinePattern()).Select(m => GoalDetailsPattern().Replace(m.Groups["text"].Value, "")).ToList();

    // A block is its header on a line of its own and the lines after it, up to the first that is not one of the block's lines.
    private static IEnumerable<Match> BlockLines(string? prompt, string header, Regex line)
    {
        var lines = prompt?.Split('\n') ?? [];
        var start = Array.FindIndex(lines, l => l.TrimEnd('\r') == header);
        if (start < 0)
        {
            yield break;
        }
        foreach (var text in lines.Skip(start + 1))
        {
            var match = line.Match(text.TrimEnd('\r'));
            if (!match.Success)
            {
                yield break;
            }
            yield return match;
        }
    }

    /// <summary>ISO-8601 with offset and whole seconds, the format of every instant in tool arguments and prompt lines.</summary>
    public static string FormatInstant(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Current time: (?<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}) \((?<zone>[^)\s]+)\)")]
    private static partial Regex CurrentTimePattern();

    [GeneratedRegex(@"^- \[(?<id>[0-9a-fA-F-]{36})\] (?<title>.*) \((?<status>[a-z_]+)(, (?<at>[0-9T:+-]+))?\)$")]
    private static partial Regex PendingItemPattern();

    [GeneratedRegex(@"^- remember \[(?<kind>[a-z]+)(?::(?<about>[a-z_]+))?(?:, (?<said>\d{4}-\d{2}-\d{2}))?\]: (?<text>.*)$")]
    private static partial Regex RememberPattern();

    [GeneratedRegex(@"^- \[(?<id>[0-9a-fA-F-]{36})\] (?<text>.*)$")]
    private static partial Regex IdLinePattern();

    [GeneratedRegex(@" \(importance \d+(?:, due [0-9-]+)?\)$")]
    private static partial Regex GoalDetailsPattern();

    /// <summary>The reply when the model is unreachable (<see cref="Aimi.AI.AiUnavailableException"/>), in the language (English or Russian) of the user's message.</summary>
    public static string UnavailableReply(string? userText) =>
        Local.LocalIntentRecognizer.DetectLanguage(userText ?? "") == Local.ReplyLanguage.Russian
            ? "Извините, я сейчас не могу связаться с моделью. Ваше сообщение сохранено — попробуйте ещё раз чуть позже."
            : "Sorry, I can't reach my language model right now. Your message is saved — please try again in a moment.";
}
