using NpgsqlTypes;
using Pgvector;

namespace Aimi.Memory.Api.Domain;

public enum MemoryKind
{
    Summary,
    Fact,
    Note,
    /// <summary>One message exactly as it was said (the source every other kind is derived from); never expires.</summary>
    Episode,
}

/// <summary>
/// One remembered thing (the seed's <c>memory_vectors</c>). A fact is true from <see cref="ValidFrom"/> until a newer fact
/// supersedes it (<see cref="ValidTo"/>, <see cref="SupersededBy"/>, no longer active); history stays queryable.
/// </summary>
public sealed class MemoryItem
{
    public Guid Id { get; private set; }
    public required string UserId { get; init; }
    public MemoryKind Kind { get; init; }
    public required string Content { get; set; }
    public required Vector Embedding { get; set; }
    public bool IsActive { get; private set; } = true;
    public DateTimeOffset ValidFrom { get; init; }
    public DateTimeOffset? ValidTo { get; private set; }
    public DateTimeOffset RecordedAt { get; init; }
    public DateTimeOffset LastSeenAt { get; private set; }
    public Guid? SupersededBy { get; private set; }
    public Guid? SourceSessionId { get; init; }
    /// <summary>Chat message ids, or an imported conversation's own message ids.</summary>
    public List<string> SourceMessageIds { get; private set; } = [];
    public int ReinforcementCount { get; private set; }

    // Facts only: subject–predicate–object, so a newer value of a single-valued predicate can find the one it replaces.
    public string? Subject { get; init; }
    public string? Predicate { get; init; }
    public string? Value { get; init; }

    /// <summary>The graph node the memory is about (a state, a person, a context), for graph-proximity ranking.</summary>
    public Guid? GraphNodeId { get; set; }

    /// <summary>Episodes: <c>user</c> or <c>assistant</c>.</summary>
    public string? Role { get; private set; }

    /// <summary>
    /// Episodes: the message before it in its conversation ("Tom: How much was it?" before "2,800 euros."). A reply means little alone,
    /// so it is embedded and found with what it answers; it is not part of what the memory says.
    /// </summary>
    public string? Context { get; private set; }

    /// <summary>Episodes of a conversation between people: who said it.</summary>
    public string? Speaker { get; private set; }

    /// <summary>The days the memory talks about, when it names them ("yesterday" said on 8 May → 7 May); null when it names none.</summary>
    public DateOnly? OccurredFrom { get; private set; }
    public DateOnly? OccurredTo { get; private set; }

    public static MemoryItem Create(string userId, MemoryKind kind, string content, float[] embedding, DateTimeOffset validFrom, DateTimeOffset now,
        Guid? sessionId, IEnumerable<string> sourceMessageIds, Fact? fact = null) => new()
    {
        Id = Guid.CreateVersion7(now),
        UserId = userId,
        Kind = kind,
        Content = content,
        Embedding = new Vector(embedding),
        // PostgreSQL stores instants: a line's own offset matters only for resolving its relative times, done before this.
        ValidFrom = validFrom.ToUniversalTime(),
        RecordedAt = now,
        LastSeenAt = now,
        SourceSessionId = sessionId,
        SourceMessageIds = sourceMessageIds.Distinct(StringComparer.Ordinal).ToList(),
        Subject = fact?.Subject,
        Predicate = fact?.Predicate,
        Value = fact?.Value,
    };

    /// <summary>
    /// One message as a memory: its words (with the dates its relative times resolve to, so "yesterday" is found by "7 May 2023"),
    /// who said it, when, and exactly that message as provenance.
    /// </summary>
    /// <param name="position">The line's place in what was stored at once: ids follow it, so lines said at the same moment (an import
    /// that gives a whole session one time) keep their order for the neighbours of a search (ordered by time, then id).</param>
    public static MemoryItem Episode(string userId, ConversationLine line, Guid? sessionId, string content, string? context, float[] embedding,
        DateSpan? occurred, DateTimeOffset now, int position)
    {
        var episode = Create(userId, MemoryKind.Episode, content, embedding, line.At, now, sessionId, [line.Id]);
        episode.Id = Guid.CreateVersion7(now.AddMilliseconds(position));
        episode.Context = context;
        episode.Role = line.Role;
        episode.Speaker = line.Speaker;
        episode.Occurs(occurred);
        return episode;
    }

    /// <summary>The days the memory talks about (see <see cref="OccurredFrom"/>).</summary>
    public void Occurs(DateSpan? span)
    {
        OccurredFrom = span?.From;
        OccurredTo = span?.To;
    }

    /// <summary>A newer memory replaces this one from <paramref name="from"/> on.</summary>
    public void SupersedeBy(MemoryItem newer, DateTimeOffset from)
    {
        IsActive = false;
        ValidTo = from < ValidFrom ? ValidFrom : from.ToUniversalTime();
        SupersededBy = newer.Id;
    }

    /// <summary>The same thing was said again: count it instead of storing it twice.</summary>
    public void Reinforce(IEnumerable<string> sourceMessageIds, DateTimeOffset now)
    {
        ReinforcementCount++;
        LastSeenAt = now;
        SourceMessageIds = SourceMessageIds.Union(sourceMessageIds, StringComparer.Ordinal).ToList();
    }

    /// <summary>Too old to be current (the cleanup worker); kept for history.</summary>
    public void Expire(DateTimeOffset now)
    {
        IsActive = false;
        ValidTo ??= now;
    }
}

/// <summary>
/// A memory's full-text row: the English and Russian stems of its content with the columns the full-text half filters on, in a
/// narrow table of its own (a <c>memories</c> row carries a 1.5 KB embedding; reading those pages made full-text the slowest part of a
/// search). Only the database writes it: a trigger on <c>memories</c> keeps it in step on every insert and update (raw SQL included),
/// and deleting the memory deletes it (ADR 0007).
/// </summary>
public sealed class MemoryText
{
    public Guid MemoryId { get; private init; }
    public string UserId { get; private init; } = "";
    public MemoryKind Kind { get; private init; }
    public bool IsActive { get; private init; }
    public DateTimeOffset RecordedAt { get; private init; }
    public NpgsqlTsVector SearchVector { get; private init; } = null!;
}

/// <summary>
/// A message the user had Memory forget (a tombstone): no writer stores it or derives from it again, however often a session
/// end or an import carries it. Kept until forget-me.
/// </summary>
public sealed class ForgottenMessage
{
    public required string UserId { get; init; }
    /// <summary>A chat message id, or an imported conversation's own message id.</summary>
    public required string MessageId { get; init; }
    public DateTimeOffset ForgottenAt { get; init; }
}

/// <summary>What one session (or imported conversation) was about.</summary>
public sealed class Summary
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    /// <summary>The chat session id, or the id Memory gave an imported conversation.</summary>
    public Guid SessionId { get; init; }
    public required string Narrative { get; init; }
    public List<string> Facts { get; init; } = [];
    public List<string> Intents { get; init; } = [];
    public string? Mood { get; init; }
    public List<string> Topics { get; init; } = [];
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset EndedAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

public enum NodeKind
{
    Goal,
    Habit,
    Task,
    State,
    Context,
    Person,
}

/// <summary>
/// A node of the user's graph. Goal/Habit/Task mirror the Goals service (<see cref="ExternalId"/>, <see cref="SourceVersion"/>);
/// State/Context/Person come from facts (<see cref="Key"/> is the normalised name).
/// </summary>
public sealed class GraphNode
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    public NodeKind Kind { get; init; }
    /// <summary>Unique per user and kind: the Goals record id, or the normalised name.</summary>
    public required string Key { get; init; }
    public required string Label { get; set; }
    public Guid? ExternalId { get; init; }
    public string? Status { get; set; }
    public int SourceVersion { get; set; }
    /// <summary>Tasks and events: the event once waited for feedback after a reminder (for the response-rate statistic).</summary>
    public bool FeedbackRequested { get; set; }
    public double Weight { get; set; } = 1;
    public int Mentions { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    /// <summary>Weights decay from this moment on (the cleanup worker moves it).</summary>
    public DateTimeOffset DecayedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Came up in a conversation: heavier, and fresh.</summary>
    public void Mention(DateTimeOffset now, double by = 1)
    {
        Mentions++;
        Weight += by;
        LastSeenAt = now;
    }
}

public sealed class GraphEdge
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    public Guid FromNodeId { get; init; }
    public Guid ToNodeId { get; init; }
    /// <summary><c>supports</c> (habit→goal, task→goal, person→goal), <c>affects</c> (state→goal, context→state).</summary>
    public required string Label { get; init; }
    public double Weight { get; set; } = 1;
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset DecayedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

public static class EdgeLabels
{
    public const string Supports = "supports";
    public const string Affects = "affects";
}

/// <summary>The compact portrait every new conversation starts from.</summary>
public sealed class UserState
{
    public required string UserId { get; init; }
    public string? LastSummary { get; set; }
    public Guid? LastSessionId { get; set; }
    /// <summary>Latest moods, newest first (at most <see cref="MoodTrendLength"/>).</summary>
    public List<string> MoodTrend { get; set; } = [];
    public List<StateGoalView> ActiveGoals { get; set; } = [];
    public List<string> Preferences { get; set; } = [];
    public List<PendingItemView> PendingItems { get; set; } = [];
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public const int MoodTrendLength = 5;
}

public sealed record StateGoalView(Guid GoalId, string Title, double Weight);

public sealed record PendingItemView(Guid EventId, string Title, string Status);

public enum ImportStatus
{
    Queued,
    Processed,
    Failed,
}

/// <summary>
/// A transcript a user brought from elsewhere, processed by the import worker like a chat session. The raw transcript is
/// kept only until the import ends (processed, or failed for good): what it said lives on as episodes and derived memories.
/// </summary>
public sealed class ConversationImport
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    /// <summary>The client's id, unique per user: importing it again returns the first import.</summary>
    public required string ConversationId { get; init; }
    public ImportStatus Status { get; private set; }
    /// <summary>The lines as JSON while the import is queued; null once it has ended.</summary>
    public string? Transcript { get; private set; }
    /// <summary>UTF-8 bytes of the messages' content: what counts against the user's daily import volume, kept after the transcript goes.</summary>
    public int TranscriptBytes { get; init; }
    public int MessageCount { get; init; }
    public string? Error { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ProcessedAt { get; private set; }

    public static ConversationImport Queue(Guid id, string userId, string conversationId, string transcript, int transcriptBytes, int messageCount,
        DateTimeOffset now) => new()
        {
            Id = id, UserId = userId, ConversationId = conversationId, Status = ImportStatus.Queued, Transcript = transcript,
            TranscriptBytes = transcriptBytes, MessageCount = messageCount, CreatedAt = now,
        };

    public void MarkProcessed(DateTimeOffset now) => End(ImportStatus.Processed, now);

    /// <summary>Counts a failed attempt; the last allowed one fails the import for good, keeping the error.</summary>
    public void RecordFailure(string error, int maxAttempts, DateTimeOffset now)
    {
        Attempts++;
        Error = error;
        if (Attempts >= maxAttempts)
        {
            End(ImportStatus.Failed, now);
        }
    }

    private void End(ImportStatus status, DateTimeOffset now)
    {
        Status = status;
        ProcessedAt = now;
        Transcript = null;
    }
}

/// <summary>Per-user figures the cleanup worker recomputes.</summary>
public sealed class MemoryStats
{
    public required string UserId { get; init; }
    public int ActiveMemories { get; set; }
    public int InactiveMemories { get; set; }
    public int Summaries { get; set; }
    public int Nodes { get; set; }
    public int Edges { get; set; }
    public List<GoalSuccess> Goals { get; set; } = [];
    /// <summary>Events that asked for feedback and got an answer (done or missed), over all that asked; null without any.</summary>
    public double? ReminderResponseRate { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}

public sealed record GoalSuccess(Guid GoalId, string Title, int Done, int Missed, double? SuccessRate);
