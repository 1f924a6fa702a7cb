namespace Aimi.Contracts.Chat;

/// <summary>A conversation ended; carries the whole transcript so Memory can summarise it without calling back.</summary>
public sealed record ChatSessionEnded
{
    public required Guid SessionId { get; init; }
    public required string UserId { get; init; }
    /// <summary><c>goodbye</c>, <c>idle</c>, <c>message_limit</c>, <c>ended_by_user</c> or <c>system</c>.</summary>
    public required string Reason { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset EndedAt { get; init; }
    public required int MessageCount { get; init; }
    public required IReadOnlyList<TranscriptLine> Transcript { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record TranscriptLine
{
    public required Guid MessageId { get; init; }
    /// <summary><c>user</c> or <c>assistant</c> (in-app reminders are assistant lines tagged <c>reminder</c> in the metadata).</summary>
    public required string Role { get; init; }
    public required string Content { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>The message's metadata JSON (tool calls, linked event/goal ids).</summary>
    public string? Metadata { get; init; }
    /// <summary>false: Memory must not keep this message (a request to forget something, and the reply to it).</summary>
    public bool Remember { get; init; } = true;
}

/// <summary>The words of <see cref="ChatSessionEnded.Reason"/>.</summary>
public static class SessionEndReasons
{
    public const string Goodbye = "goodbye";
    public const string Idle = "idle";
    public const string MessageLimit = "message_limit";
    public const string EndedByUser = "ended_by_user";
    public const string System = "system";
}

/// <summary>The words of <see cref="TranscriptLine.Role"/>.</summary>
public static class TranscriptRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

/// <summary>
/// A chat message was stored (published through Chat's outbox for every user and assistant message). Memory classifies
/// it and answers with <see cref="Aimi.Contracts.Memory.MessageClassified"/>.
/// </summary>
public sealed record ChatMessageRecorded
{
    public required Guid MessageId { get; init; }
    public required Guid SessionId { get; init; }
    public required string UserId { get; init; }
    /// <summary><c>user</c> or <c>assistant</c>.</summary>
    public required string Role { get; init; }
    public required string Content { get; init; }
    public required DateTimeOffset At { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    /// <summary>false: Memory must not keep this message (a request to forget something, and the reply to it).</summary>
    public bool Remember { get; init; } = true;
}
