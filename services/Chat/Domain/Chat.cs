namespace Aimi.Chat.Api.Domain;

public enum SessionStatus
{
    Active,
    Ended,
}

/// <summary>Why a session ended; travels in <c>ChatSessionEnded</c>.</summary>
public enum EndReason
{
    /// <summary>The user said goodbye.</summary>
    Goodbye,
    /// <summary>Ten minutes without a message.</summary>
    Idle,
    /// <summary>The session reached its 30 messages.</summary>
    MessageLimit,
    /// <summary><c>POST /chat/end</c>.</summary>
    EndedByUser,
    /// <summary>The system closed it (shutdown, account removal).</summary>
    System,
}

public enum MessageRole
{
    User,
    /// <summary>The assistant's replies, and in-app reminders (tagged <c>reminder</c> in their metadata).</summary>
    Assistant,
}

public sealed class ChatSession
{
    public const int MessageLimit = 30;
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    public Guid Id { get; init; }
    /// <summary>The token subject.</summary>
    public required string UserId { get; init; }
    public SessionStatus Status { get; set; } = SessionStatus.Active;
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset LastActivityAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public EndReason? EndReason { get; set; }
    public int MessageCount { get; set; }
    /// <summary>The starting context assembled when the session began (JSON), kept so a lost cache is rebuilt the same.</summary>
    public string StartingContext { get; set; } = "{}";
}

public sealed class ChatMessage
{
    public const int MaxContentLength = 4000;

    public Guid Id { get; init; }
    /// <summary>Database-assigned write order; timestamps of quick successive messages can tie.</summary>
    public long Sequence { get; init; }
    public Guid SessionId { get; init; }
    public required string UserId { get; init; }
    public MessageRole Role { get; init; }
    public required string Content { get; init; }
    /// <summary>The client's id for a sent message: a resend with the same id is the same message.</summary>
    public string? ClientMessageId { get; init; }
    /// <summary>For an assistant reply, the user message it answers (one reply per message).</summary>
    public Guid? ReplyToId { get; init; }
    /// <summary>JSON: tags, tool calls, linked event/goal ids, mood.</summary>
    public string Metadata { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; init; }
}
