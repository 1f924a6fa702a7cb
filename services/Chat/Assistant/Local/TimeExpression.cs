using Aimi.AI.Local;

namespace Aimi.Chat.Api.Assistant.Local;

/// <summary>What <see cref="TimeExpressionParser"/> found in a message, resolved against the user's "now" and timezone.</summary>
public sealed record TimeExpression
{
    /// <summary>A fully resolved instant in the user's offset (a date with a clock time, a bare clock time, or "in 2 hours").</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>The calendar date in the user's timezone, when one was named or implied (also set whenever <see cref="At"/> is).</summary>
    public DateOnly? Date { get; init; }

    /// <summary>False when <see cref="Date"/> was only implied by a bare clock time ("at 7" = its next occurrence).</summary>
    public bool DateIsExplicit { get; init; }

    /// <summary>The wall-clock time named (or implied by "in the evening"), if any.</summary>
    public TimeOnly? TimeOfDay { get; init; }

    /// <summary>A duration to move something by ("by an hour", "на 2 часа").</summary>
    public TimeSpan? Shift { get; init; }

    /// <summary>A recurrence as a five-field cron in the user's timezone ("every weekday at 7" → <c>0 7 * * 1-5</c>).</summary>
    public string? Cadence { get; init; }

    /// <summary>The message with every recognised expression removed (used for titles).</summary>
    public string Remainder { get; init; } = "";

    public bool IsEmpty => At is null && Date is null && TimeOfDay is null && Shift is null && Cadence is null;
}
