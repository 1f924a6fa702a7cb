using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Consumers;

/// <summary>
/// Every chat message becomes an episode (searchable seconds after it was said, not only once the session ends).
/// Classifier/Context: tags the message (topics, mood, the goal and task it is about) and answers
/// <see cref="MessageClassified"/> through the outbox when the reading found anything; a goal the user talks about gains weight. A message not to be
/// remembered (a request to forget something, or the reply) or forgotten already is left alone: no episode, and no reading
/// of it either, since its tags and the goal it names would be remembered words about what the user wants gone.
/// <para>
/// Only the user's own lines are read. The assistant's reply is remembered as an episode like any line, but its topics and
/// mood are the assistant's wording, not the user's, and what it is about is already in its metadata (the items its tool
/// calls touched): a reading of it would be a message, a relay and a Chat transaction a turn that nothing reads (issue 17).
/// </para>
/// <para>
/// Messages that have queued up are handled together (<see cref="IdempotentBatchConsumer{TMessage, TDbContext}"/>): a user's message
/// and the reply said a moment after it usually arrive within the batch's wait, and then take one transaction, one admission and one
/// write for both instead of one each (issue 17). A message waits at most <see cref="BatchingConsumerDefinition{TConsumer}.TimeLimit"/>
/// for others, well within the seconds a message may take to become searchable.
/// </para>
/// </summary>
public sealed class ChatMessageRecordedConsumer(MemoryDbContext db, MemoryWriter writer, TimeProvider time, ILogger<ChatMessageRecordedConsumer> logger)
    : IdempotentBatchConsumer<ChatMessageRecorded, MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-chat-message-recorded";

    protected override string PartitionOf(ChatMessageRecorded message) => message.UserId;

    /// <summary>
    /// The readings' reads are each of their own rows (the user's goals and tasks, which a mention changes on the tracked node) and the
    /// episodes were written before them: the batch's changes are saved at once.
    /// </summary>
    protected override bool SavesTogether => true;

    /// <summary>What a mention adds to a goal's weight (a session's facts add 1).</summary>
    public const double MentionWeight = 0.5;

    /// <summary>The goals and tasks a message may be about, compiled once as it runs for every message (issue 17).</summary>
    private static readonly Func<MemoryDbContext, string, IAsyncEnumerable<GraphNode>> CandidatesQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId) => db.Nodes.Where(n => n.UserId == userId && ((n.Kind == NodeKind.Goal && n.Status == "active")
            || (n.Kind == NodeKind.Task && n.Status != null && GraphStore.PendingStatuses.Contains(n.Status)))));

    /// <summary>
    /// The user's own lines of this attempt that were kept (stored as episodes now or before), by <see cref="PrepareAsync"/>: the ones
    /// read. A line not kept was erased or forgotten after it was said, or is not to be remembered; the assistant's is remembered, not read.
    /// </summary>
    private readonly HashSet<string> _toRead = new(StringComparer.Ordinal);

    /// <summary>
    /// Each session's lines of the batch are admitted and stored together: one round trip for the per-user lock, whether the account
    /// was erased and which lines were forgotten, the session's lock and what it has stored already; then one embedding call and one
    /// insert. Sessions are taken in the order of their user, then their id, so two batches lock them in the same order.
    /// </summary>
    protected override async Task PrepareAsync(IReadOnlyList<ChatMessageRecorded> messages, CancellationToken cancellationToken)
    {
        _toRead.Clear(); // a batch that failed is handled again message by message, each prepared anew
        var now = Time.GetUtcNow();
        var sessions = messages.GroupBy(m => (m.UserId, m.SessionId))
            .OrderBy(s => s.Key.UserId, StringComparer.Ordinal).ThenBy(s => s.Key.SessionId);
        foreach (var session in sessions)
        {
            var lines = session.Select(m => new ConversationLine(m.MessageId.ToString(), m.Role, null, m.Content, m.At) { Remember = m.Remember }).ToList();
            var kept = await writer.AdmitAndAddEpisodesAsync(session.Key.UserId, session.Key.SessionId, lines, now, cancellationToken);
            _toRead.UnionWith(lines.Where(l => l.IsUser).Select(l => l.Id).Where(kept.Contains));
        }
    }

    protected override async Task HandleAsync(ChatMessageRecorded message, ConsumeContext<ChatMessageRecorded> context, CancellationToken cancellationToken)
    {
        if (!_toRead.Contains(message.MessageId.ToString()))
        {
            return; // not kept, or the assistant's (see the summary)
        }
        var now = Time.GetUtcNow();
        var candidates = await CandidatesQuery(Db, message.UserId).ToListAsync(cancellationToken);
        var goal = Best(candidates.Where(n => n.Kind == NodeKind.Goal), message.Content);
        var task = Best(candidates.Where(n => n.Kind == NodeKind.Task), message.Content);
        if (goal is not null)
        {
            goal.Mention(now, MentionWeight);
        }

        var reading = new MessageClassified
        {
            MessageId = message.MessageId,
            SessionId = message.SessionId,
            UserId = message.UserId,
            Tags = Lexicon.TopicsOf([message.Content]),
            Mood = Lexicon.MoodOf([message.Content]),
            GoalId = goal?.ExternalId,
            TaskId = task?.ExternalId,
            OccurredAt = now,
        };
        if (SaysSomething(reading))
        {
            Db.AddOutboxMessage(reading, now);
        }
    }

    /// <summary>
    /// A reading that found no topic, mood, goal or task would change nothing in Chat ("thanks", "hello", most short replies): it is not
    /// sent, which spares a message, a relay and a consumer's transaction for each such line (issue 17).
    /// </summary>
    internal static bool SaysSomething(MessageClassified reading) =>
        reading.Tags.Count > 0 || reading.Mood is not null || reading.GoalId is not null || reading.TaskId is not null;

    private static GraphNode? Best(IEnumerable<GraphNode> nodes, string text) => nodes
        .Select(n => (Node: n, Score: GoalMatcher.Score(text, n.Label)))
        .Where(p => p.Score >= 0.5)
        .OrderByDescending(p => p.Score).ThenByDescending(p => p.Node.Weight)
        .Select(p => p.Node).FirstOrDefault();
}

public sealed class ChatMessageRecordedConsumerDefinition : BatchingConsumerDefinition<ChatMessageRecordedConsumer>;
