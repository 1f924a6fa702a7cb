namespace Aimi.Contracts.Memory;

/// <summary>The user's portrait (<c>user_state</c>) changed: after a session was summarised, an outcome recorded, or a forget-me.</summary>
public sealed record UserStateUpdated
{
    public required string UserId { get; init; }
    public string? LastSummary { get; init; }
    /// <summary>One of <see cref="Moods"/>, or null when nothing is known.</summary>
    public string? Mood { get; init; }
    public required IReadOnlyList<StateGoal> ActiveGoals { get; init; }
    public required IReadOnlyList<string> Preferences { get; init; }
    public required IReadOnlyList<StatePendingItem> PendingItems { get; init; }
    /// <summary>Why it changed: one of <see cref="UserStateReasons"/>.</summary>
    public required string Reason { get; init; }
    /// <summary>Grows with every change; a consumer ignores a version older than one it applied.</summary>
    public required int Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record StateGoal
{
    public required Guid GoalId { get; init; }
    public required string Title { get; init; }
    /// <summary>How often it comes up, decaying with time.</summary>
    public required double Weight { get; init; }
}

public sealed record StatePendingItem
{
    public required Guid EventId { get; init; }
    public required string Title { get; init; }
    public required string Status { get; init; }
}

/// <summary>Memory's reading of one chat message, for Chat to write into <c>chat_messages.metadata</c>.</summary>
public sealed record MessageClassified
{
    public required Guid MessageId { get; init; }
    public required Guid SessionId { get; init; }
    public required string UserId { get; init; }
    /// <summary>Topics from <see cref="Topics"/>.</summary>
    public required IReadOnlyList<string> Tags { get; init; }
    /// <summary>One of <see cref="Moods"/>, or null when the message carries none.</summary>
    public string? Mood { get; init; }
    /// <summary>The user's goal the message is about, when one matches.</summary>
    public Guid? GoalId { get; init; }
    /// <summary>The user's task or event the message is about, when one matches.</summary>
    public Guid? TaskId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public static class Moods
{
    public const string Positive = "positive";
    public const string Negative = "negative";
    public const string Stressed = "stressed";
    public const string Tired = "tired";
    public const string Neutral = "neutral";
}

public static class Topics
{
    public const string Work = "work";
    public const string Health = "health";
    public const string Family = "family";
    public const string Study = "study";
    public const string Finance = "finance";
    public const string Sport = "sport";
    public const string Home = "home";
    public const string Social = "social";
    public const string Plans = "plans";
}

public static class UserStateReasons
{
    public const string SessionSummarised = "session_summarised";
    public const string ConversationImported = "conversation_imported";
    public const string OutcomeRecorded = "outcome_recorded";
    public const string Forgotten = "forgotten";
}
