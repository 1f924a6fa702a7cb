using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Npgsql;

namespace Aimi.Memory.Api.Data;

/// <summary>
/// The Summary &amp; Embedding pipeline for one conversation (a chat session or an import): extract, embed in one batch,
/// write the summary and memories, supersede or reinforce facts, grow the graph, rebuild <c>user_state</c>. Runs inside
/// the caller's transaction, so all of it (and the announcement) commits together or not at all.
/// </summary>
public sealed class MemoryWriter(
    MemoryDbContext db, IConversationExtractor extractor, IEmbeddingGenerator<string, Embedding<float>> embedder, GraphStore graph, UserStates states)
{
    /// <summary>Cosine similarity above which a fact with the same predicate is the same fact said differently.</summary>
    public const double NearDuplicateSimilarity = 0.9;

    /// <summary>Returns false when the session was already remembered (a republished end), changing nothing.</summary>
    public async Task<bool> RememberConversationAsync(string userId, Guid sessionId, IReadOnlyList<ConversationLine> lines, string reason,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await db.Summaries.AnyAsync(s => s.UserId == userId && s.SessionId == sessionId, cancellationToken))
        {
            return false;
        }
        // A chat session's lines were stored one by one as they were said (ChatMessageRecorded); any that were not are stored now.
        // Everything below reads only the lines kept: a forgotten line yields no fact, summary sentence, note or graph link either.
        var (kept, added) = await KeepAndAddEpisodesAsync(userId, sessionId, lines, now, cancellationToken);
        await WriteAndReleaseAsync(added, cancellationToken);

        var extraction = kept.Any(l => l.IsUser) ? await extractor.ExtractAsync(kept, cancellationToken) : Extraction.Empty;
        var facts = extraction.Facts.OrderBy(f => f.ValidFrom).ToList();
        var intents = extraction.Intents.ToList();
        var texts = new List<string> { extraction.Narrative };
        texts.AddRange(facts.Select(f => f.Content));
        texts.AddRange(intents);
        var vectors = (await embedder.GenerateAsync(texts, cancellationToken: cancellationToken)).Select(e => e.Vector.ToArray()).ToList();

        var userLineIds = kept.Where(l => l.IsUser).Select(l => l.Id).ToList();
        var firstSaid = kept.Count > 0 ? kept.Min(l => l.At) : now;
        // Resolved on the first line's own calendar; stored as UTC.
        var narrative = Truncate(TimeExpressions.Annotate(extraction.Narrative, firstSaid));
        var startedAt = firstSaid.ToUniversalTime();
        var endedAt = (kept.Count > 0 ? kept.Max(l => l.At) : now).ToUniversalTime();
        db.Summaries.Add(new Summary
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            SessionId = sessionId,
            Narrative = narrative,
            Facts = facts.Select(f => f.Content).ToList(),
            Intents = intents,
            Mood = extraction.Mood,
            Topics = extraction.Topics.ToList(),
            StartedAt = startedAt,
            EndedAt = endedAt,
            CreatedAt = now,
        });
        if (extraction.Narrative.Length > 0)
        {
            // The summary cites the lines its sentences come from, not the whole session: provenance says where the answer is.
            var cited = extraction.NarrativeSourceIds.Count > 0 ? extraction.NarrativeSourceIds : userLineIds;
            db.Memories.Add(MemoryItem.Create(userId, MemoryKind.Summary, narrative, vectors[0], startedAt, now, sessionId, cited));
        }

        var mentioned = new List<GraphNode>();
        for (var i = 0; i < facts.Count; i++)
        {
            var memory = await ApplyFactAsync(userId, facts[i], vectors[1 + i], sessionId, now, cancellationToken);
            if (await NodeForAsync(userId, facts[i], now, cancellationToken) is { } node)
            {
                memory.GraphNodeId = node.Id;
                node.Mention(now);
                mentioned.Add(node);
            }
        }
        for (var i = 0; i < intents.Count; i++)
        {
            await AddOrReinforceNoteAsync(userId, intents[i], vectors[1 + facts.Count + i], sessionId, userLineIds, startedAt, now, cancellationToken);
        }

        await LinkAsync(userId, kept, mentioned, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await states.RefreshAsync(userId, reason, now, cancellationToken);
        return true;
    }

    /// <summary>
    /// Stores each line as an episode: its words with the dates its relative times resolve to, who said it, when, the line before it as
    /// context, and that line as provenance; embedded in batches. Lines already stored for the session (a redelivery) are skipped, and
    /// so are lines not to be remembered and lines the user had forgotten (<see cref="Tombstones"/>, read once for the batch). The episodes
    /// are added to the context, not saved: the caller's <c>SaveChanges</c> writes them with the rest of its work, in one round trip
    /// (many, an import's, are written at once: <see cref="WriteAndReleaseAsync"/>).
    /// </summary>
    /// <returns>The lines kept (stored now or before): what may be derived from.</returns>
    public async Task<IReadOnlyList<ConversationLine>> AddEpisodesAsync(string userId, Guid sessionId, IReadOnlyList<ConversationLine> lines, DateTimeOffset now,
        CancellationToken cancellationToken) => (await KeepAndAddEpisodesAsync(userId, sessionId, lines, now, cancellationToken)).Kept;

    /// <summary><see cref="AddEpisodesAsync"/>, with the episodes added now.</summary>
    private async Task<(IReadOnlyList<ConversationLine> Kept, List<MemoryItem> Added)> KeepAndAddEpisodesAsync(string userId, Guid sessionId,
        IReadOnlyList<ConversationLine> lines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var said = lines.Where(l => l.Remember).ToList();
        var forgotten = await db.ForgottenAmongAsync(userId, said.Select(l => l.Id).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
        var kept = said.Where(l => !forgotten.Contains(l.Id)).ToList();
        return (kept, await StoreEpisodesAsync(userId, sessionId, kept, now, cancellationToken));
    }

    /// <summary>From how many episodes a conversation writes them at once and lets them go (<see cref="WriteAndReleaseAsync"/>).</summary>
    public const int ReleaseEpisodesFrom = 32;

    /// <summary>
    /// An import's episodes (a thousand lines) left tracked until the end would be scanned by every change detection that follows: each
    /// fact's and note's save, each graph lookup among the nodes added (<c>DbSet.Local</c>), once per fact; with 2,000 lines that was a
    /// third of an import's CPU. From <see cref="ReleaseEpisodesFrom"/> on they are written now, in the caller's transaction like the
    /// rest, and the context lets go of them: nothing below changes an episode. A chat session's end adds none or a few (its lines were
    /// stored as they were said) and keeps its one save.
    /// </summary>
    private async Task WriteAndReleaseAsync(List<MemoryItem> added, CancellationToken cancellationToken)
    {
        if (added.Count < ReleaseEpisodesFrom)
        {
            return;
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var episode in added)
        {
            db.Entry(episode).State = EntityState.Detached;
        }
    }

    /// <summary>
    /// For chat messages of one session that arrived together (a message and its reply, in one batch of the consumer; or one alone):
    /// their admission (<see cref="Forgetting.AdmitAmongAsync{T}"/>), and what the session has stored already with the line before them
    /// (<see cref="StoredAndBeforeRead"/>), in one round trip; then the lines stored as episodes, embedded in one call, except those not
    /// to be remembered and those the user had forgotten. The admission is that of the first line's time: a session's lines belong to
    /// one account, so an erasure covers all of them or none.
    /// </summary>
    /// <returns>The ids of the lines kept (stored now or before); none when the write is not admitted (an account erased, or memory
    /// forgotten, after they were said).</returns>
    public async Task<IReadOnlySet<string>> AdmitAndAddEpisodesAsync(string userId, Guid sessionId, IReadOnlyList<ConversationLine> lines, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var remembered = InOrderSaid(lines.Where(l => l.Remember));
        if (remembered.Count == 0)
        {
            return new HashSet<string>(); // nothing of them is written, so nothing to admit
        }
        // A blank line is kept, as before, but not stored.
        var worded = Storable(remembered);
        var read = StoredAndBeforeRead(sessionId, worded.Count > 0 ? worded : remembered);
        if (await db.AdmitAmongAsync(userId, remembered[0].At, remembered.Select(l => l.Id).ToList(), read, cancellationToken) is not { } admission)
        {
            return new HashSet<string>();
        }
        var kept = remembered.Where(l => !admission.Forgotten.Contains(l.Id)).ToList();
        // A line the user had forgotten is not stored, nor the context of the line after it: its words are what they wanted gone.
        var stored = worded.Where(l => !admission.Forgotten.Contains(l.Id)).ToList();
        if (stored.Count > 0)
        {
            var before = stored[0] == worded[0] ? admission.Then.Before : null;
            await StoreFreshAsync(userId, sessionId, stored, admission.Then.Stored, before, now, cancellationToken);
        }
        return kept.Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
    }

    private async Task<List<MemoryItem>> StoreEpisodesAsync(string userId, Guid sessionId, List<ConversationLine> lines, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ordered = Storable(lines);
        if (ordered.Count == 0)
        {
            return [];
        }
        var read = StoredAndBeforeRead(sessionId, ordered);
        var (stored, before) = await db.ReadAsync(read.Sql, [new NpgsqlParameter("user", userId), .. read.Parameters], read.Read, cancellationToken);
        return await StoreFreshAsync(userId, sessionId, ordered, stored, before, now, cancellationToken);
    }

    /// <summary>Each line once (by id), in the order said.</summary>
    private static List<ConversationLine> InOrderSaid(IEnumerable<ConversationLine> lines) => lines.DistinctBy(l => l.Id).OrderBy(l => l.At).ToList();

    /// <summary>The lines that become episodes, in the order said: a blank line would be an episode with nothing to find.</summary>
    private static List<ConversationLine> Storable(IEnumerable<ConversationLine> lines) => InOrderSaid(lines.Where(l => !string.IsNullOrWhiteSpace(l.Content)));

    /// <summary>
    /// Stores as episodes the lines of <paramref name="ordered"/> (non-empty, distinct, in the order said) not in <paramref name="stored"/>;
    /// returns the episodes added to the context.
    /// </summary>
    private async Task<List<MemoryItem>> StoreFreshAsync(string userId, Guid sessionId, List<ConversationLine> ordered, IReadOnlyCollection<string> stored,
        string? before, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var fresh = ordered.ExceptBy(stored, l => l.Id).ToList();
        if (fresh.Count == 0)
        {
            return [];
        }
        var position = ordered.Select((line, index) => (line.Id, index)).ToDictionary(p => p.Id, p => p.index, StringComparer.Ordinal);
        // The session's line before the first one is the first fresh line's context only when that line is fresh; a later fresh line's
        // predecessor is in the batch.
        if (position[fresh[0].Id] > 0)
        {
            before = null;
        }
        // Each line read once: a fresh line's text is also the context of the line after it.
        var texts = new Dictionary<string, (string Content, DateSpan? Occurred)>(StringComparer.Ordinal);
        (string Content, DateSpan? Occurred) TextOf(ConversationLine line) =>
            texts.TryGetValue(line.Id, out var text) ? text : texts[line.Id] = EpisodeText(line);
        var episodes = fresh.Select(line =>
        {
            var (content, occurred) = TextOf(line);
            var index = position[line.Id];
            var context = index > 0 ? TextOf(ordered[index - 1]).Content : before;
            return (Line: line, Content: content, Context: context is null ? null : Truncate(context), Occurred: occurred);
        }).ToList();
        // The embedding is of the message alone (with its context it matched worse; the full-text row has both, through the trigger),
        // as it was said: see EmbeddedText.
        var vectors = await embedder.GenerateAsync(episodes.Select(e => EmbeddedText(e.Line)), cancellationToken: cancellationToken);
        var added = new List<MemoryItem>(episodes.Count);
        for (var i = 0; i < episodes.Count; i++)
        {
            var e = episodes[i];
            added.Add(MemoryItem.Episode(userId, e.Line, sessionId, e.Content, e.Context, vectors[i].Vector.ToArray(), e.Occurred, now, i));
        }
        db.Memories.AddRange(added);
        return added;
    }

    /// <summary>
    /// The session's episode lock (<see cref="EpisodeLockSpace"/>), then which of <paramref name="ordered"/> the session has stored as
    /// episodes already (a redelivery), and the text of the session's latest episode said at or before the first of them (its context,
    /// a chat message arriving one at a time): statements for one round trip, on its own or after a message's admission. <c>@user</c>
    /// is the caller's.
    /// </summary>
    private static AdmittedRead<(List<string> Stored, string? Before)> StoredAndBeforeRead(Guid sessionId, List<ConversationLine> ordered)
    {
        const string sql = """
            SELECT pg_advisory_xact_lock(@episode_space, hashtext(@session::text));
            SELECT ARRAY(
                       SELECT s.value FROM memories m CROSS JOIN LATERAL unnest(m.source_message_ids) AS s(value)
                       WHERE m.user_id = @user AND m.kind = 'episode' AND m.source_session_id = @session AND m.source_message_ids && @lines),
                   (SELECT m.content FROM memories m
                    WHERE m.user_id = @user AND m.kind = 'episode' AND m.source_session_id = @session AND m.valid_from <= @first
                    ORDER BY m.valid_from DESC, m.recorded_at DESC LIMIT 1)
            """;
        NpgsqlParameter[] parameters =
        [
            new("episode_space", EpisodeLockSpace),
            new("session", sessionId),
            new("lines", ordered.Select(l => l.Id).ToArray()),
            new("first", ordered[0].At.ToUniversalTime()),
        ];
        return new(sql, parameters, async (reader, ct) =>
        {
            await reader.NextResultAsync(ct); // the lock's row: the read below is a statement of its own, so it sees what committed while it waited
            await reader.ReadAsync(ct);
            return (reader.GetFieldValue<string[]>(0).ToList(), await reader.IsDBNullAsync(1, ct) ? null : reader.GetString(1));
        });
    }

    /// <summary>
    /// The advisory lock space of a session's episodes, held until the writer's transaction ends. Writers share the user's lock
    /// (<see cref="Forgetting"/>), so a chat message's consumer and the session's end (which stores any line still missing) could both
    /// find a line missing and both insert it: the second insert broke the unique index, and its whole transaction (for a session's end
    /// its extraction and embeddings) went back to be retried. Seen under the chat benchmark whenever sessions reached their 30 messages
    /// while their last messages were being stored (41 times in 30 s at 24 turns a second). With the lock the second writer waits for
    /// the first to commit, then finds the line stored.
    /// </summary>
    public const int EpisodeLockSpace = 0x65706973;

    /// <summary>How an episode reads: "Anna: I went to the meeting yesterday (7 May 2023)", and the days it talks about.</summary>
    public static (string Content, DateSpan? Occurred) EpisodeText(ConversationLine line)
    {
        var (said, mentions) = TimeExpressions.Resolve(line.Content, line.At);
        return (Spoken(line, said), FirstSpan(mentions));
    }

    /// <summary>
    /// What an episode's vector is computed from: the line as it was said, with its speaker, without the dates <see cref="EpisodeText"/>
    /// adds. A chat message then reads exactly as the turn's memory search embedded it moments before (Chat asks with the message), so
    /// Memory's cache of recent embeddings answers and a message costs one embedding, not two (issue 17). Recall@10 without the dates
    /// in the vector: 0.754 → 0.751 on our set, 0.772 → 0.772 held out; the dates stay in the stored text and its full-text row.
    /// </summary>
    public static string EmbeddedText(ConversationLine line) => Spoken(line, line.Content);

    // "Anna: …" when the line has a speaker (an imported conversation's), the words alone when not (a chat message).
    private static string Spoken(ConversationLine line, string words) =>
        Truncate(string.IsNullOrWhiteSpace(line.Speaker) ? words : $"{line.Speaker.Trim()}: {words}");

    private static DateSpan? FirstSpan(IReadOnlyList<TimeMention> mentions) => mentions is [var first, ..] ? first.Span : null;

    /// <summary>
    /// Stores a fact so that no two values of a single-valued predicate are ever current together: the newer one
    /// supersedes (or, when it is older than the current one, is stored already superseded); a repeat reinforces.
    /// </summary>
    public async Task<MemoryItem> ApplyFactAsync(string userId, Fact fact, float[] vector, Guid? sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var opposite = Predicates.OppositeOf(fact.Predicate);
        var current = await db.Memories
            .Where(m => m.UserId == userId && m.IsActive && m.Kind == MemoryKind.Fact && m.Subject == fact.Subject
                && (m.Predicate == fact.Predicate || (opposite != null && m.Predicate == opposite)))
            .ToListAsync(cancellationToken);

        var singleValued = Predicates.SingleValued.Contains(fact.Predicate);
        var paraphrased = !singleValued && !Predicates.ComparedByValue.Contains(fact.Predicate);
        var same = current.FirstOrDefault(m => m.Predicate == fact.Predicate
            && (SameObject(m.Value, fact.Value) || (paraphrased && Cosine(m.Embedding.ToArray(), vector) >= NearDuplicateSimilarity)));
        if (same is not null)
        {
            same.Reinforce(fact.SourceMessageIds, now);
            await db.SaveChangesAsync(cancellationToken);
            return same;
        }

        var (statement, mentions) = TimeExpressions.Resolve(fact.Content, fact.ValidFrom);
        var memory = MemoryItem.Create(userId, MemoryKind.Fact, Truncate(statement), vector, fact.ValidFrom, now, sessionId, fact.SourceMessageIds, fact);
        memory.Occurs(FirstSpan(mentions));
        db.Memories.Add(memory);
        var replaced = current.Where(m => singleValued ? m.Predicate == fact.Predicate : m.Predicate == opposite && SameObject(m.Value, fact.Value)).ToList();
        var newer = replaced.Where(m => m.ValidFrom > fact.ValidFrom).OrderByDescending(m => m.ValidFrom).FirstOrDefault();
        if (newer is not null)
        {
            // An old statement arriving late (an import of past chats): true once, never current.
            memory.SupersedeBy(newer, newer.ValidFrom);
        }
        else
        {
            foreach (var old in replaced)
            {
                old.SupersedeBy(memory, fact.ValidFrom);
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return memory;
    }

    /// <summary>An outcome or intent: a near-identical active note is reinforced instead of repeated.</summary>
    public async Task<MemoryItem> AddOrReinforceNoteAsync(string userId, string content, float[] vector, Guid? sessionId, IEnumerable<string> sourceIds,
        DateTimeOffset validFrom, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nearest = await db.QueryAsync(
            "SELECT id, 1 - (embedding <=> @q::vector) FROM memories WHERE user_id = @user AND kind = 'note' AND is_active ORDER BY embedding <=> @q::vector LIMIT 1",
            new Dictionary<string, object?> { ["user"] = userId, ["q"] = Sql.Vector(vector) }, r => (Id: r.GetGuid(0), Similarity: r.GetDouble(1)), cancellationToken);
        if (nearest is [var hit] && hit.Similarity >= 0.97 && await db.Memories.FindAsync([hit.Id], cancellationToken) is { } existing)
        {
            existing.Reinforce(sourceIds, now);
            return existing;
        }
        var note = MemoryItem.Create(userId, MemoryKind.Note, Truncate(content), vector, validFrom, now, sessionId, sourceIds);
        db.Memories.Add(note);
        await db.SaveChangesAsync(cancellationToken);
        return note;
    }

    private async Task<GraphNode?> NodeForAsync(string userId, Fact fact, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (fact.Subject != Fact.TheUser)
        {
            // A fact about another person ("Anna lives in Paris", or Anna saying it) is about that person of the user's world.
            return await graph.EnsureAsync(userId, NodeKind.Person, fact.Subject, fact.Subject, now, cancellationToken);
        }
        switch (fact.Predicate)
        {
            case Predicates.Feels:
                return await graph.EnsureAsync(userId, NodeKind.State, fact.Value, fact.Value, now, cancellationToken);
            case Predicates.HasRelative:
                var parts = fact.Value.Split(' ', 2);
                var name = parts.Length == 2 ? parts[1] : fact.Value;
                return await graph.EnsureAsync(userId, NodeKind.Person, name, parts.Length == 2 ? $"{name} ({parts[0]})" : name, now, cancellationToken);
            case Predicates.LivesIn or Predicates.WorksAt or Predicates.StudiesAt or Predicates.Studies or Predicates.PreparingFor or Predicates.WorksAs:
                return await graph.EnsureAsync(userId, NodeKind.Context, fact.Value, fact.Value, now, cancellationToken);
            default:
                return null;
        }
    }

    // Things said in one conversation are linked: a state to the goals it came up with, a context to the state, a person to a goal.
    private async Task LinkAsync(string userId, IReadOnlyList<ConversationLine> lines, List<GraphNode> mentioned, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var said = string.Join('\n', lines.Where(l => l.IsUser).Select(l => l.Content));
        var goals = (await graph.ActiveGoalsAsync(userId, cancellationToken)).Where(g => GoalMatcher.Mentions(said, g.Label)).ToList();
        foreach (var goal in goals)
        {
            goal.Mention(now);
        }
        var distinct = mentioned.DistinctBy(n => n.Id).ToList();
        foreach (var node in distinct)
        {
            foreach (var goal in goals)
            {
                if (node.Kind is NodeKind.State)
                {
                    await graph.ConnectAsync(userId, node, goal, EdgeLabels.Affects, now, cancellationToken);
                }
                else if (node.Kind is NodeKind.Person or NodeKind.Context)
                {
                    await graph.ConnectAsync(userId, node, goal, EdgeLabels.Supports, now, cancellationToken);
                }
            }
            if (node.Kind is NodeKind.Context)
            {
                foreach (var state in distinct.Where(n => n.Kind is NodeKind.State))
                {
                    await graph.ConnectAsync(userId, node, state, EdgeLabels.Affects, now, cancellationToken);
                }
            }
        }
    }

    private static bool SameObject(string? a, string b) =>
        a is not null && string.Equals(Normalise(a), Normalise(b), StringComparison.Ordinal);

    private static string Normalise(string value)
    {
        var text = value.Trim().ToLowerInvariant();
        foreach (var article in new[] { "a ", "an ", "the ", "my " })
        {
            if (text.StartsWith(article, StringComparison.Ordinal))
            {
                return text[article.Length..];
            }
        }
        return text;
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length && i < b.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    private static string Truncate(string text) => text.Length > MemoryDbContext.ContentMaxLength ? text[..MemoryDbContext.ContentMaxLength] : text;
}

/// <summary>Whether a text talks about a goal: its significant title words appear (by their first five letters, for Russian endings).</summary>
public static class GoalMatcher
{
    public static bool Mentions(string text, string title) => Score(text, title) >= 0.5;

    public static double Score(string text, string title)
    {
        var significant = Lexicon.Words(title).Where(w => w.Length > 3).Select(Stem).Distinct().ToList();
        if (significant.Count == 0)
        {
            return 0;
        }
        var words = Lexicon.Words(text).Select(Stem).ToHashSet(StringComparer.Ordinal);
        return significant.Count(words.Contains) / (double)significant.Count;
    }

    private static string Stem(string word) => word.Length > 5 ? word[..5] : word;
}
