using System.Globalization;
using System.Text.RegularExpressions;
using Aimi.Memory.Api.Domain;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aimi.Memory.Api.Data;

/// <summary>How the vector half finds neighbours (<c>Memory:Search:VectorMode</c>).</summary>
public enum VectorSearchMode
{
    /// <summary>
    /// The user's memories are ranked by the Hamming distance of their sign bits (an index-only scan of 48 bytes a row), and the
    /// best <see cref="SearchOptions.RerankPool"/> are re-ranked by exact cosine. Recall against <see cref="Exact"/> is measured by the benchmark.
    /// </summary>
    Quantized,

    /// <summary>Every memory of the user is compared by cosine on the full vectors: recall 1, the reference.</summary>
    Exact,

    /// <summary>The HNSW index with pgvector 0.8 iterative scans, so the user filter still yields k rows.</summary>
    Hnsw,
}

public sealed class SearchOptions
{
    public VectorSearchMode VectorMode { get; set; } = VectorSearchMode.Quantized;
    /// <summary>Candidates each half contributes to the fusion.</summary>
    public int Candidates { get; set; } = 100;
    /// <summary>Rows the bit scan hands to the exact re-rank in <see cref="VectorSearchMode.Quantized"/> mode.</summary>
    public int RerankPool { get; set; } = 200;
    /// <summary><c>hnsw.ef_search</c> in <see cref="VectorSearchMode.Hnsw"/> mode.</summary>
    public int EfSearch { get; set; } = 100;
}

public sealed record SearchHit(MemoryItem Memory, double Score);

/// <summary>What a search asks for besides its words.</summary>
/// <param name="Period">Only memories of these days (said then, or about then): <c>from</c>/<c>to</c> of <c>GET /memory/search</c>.</param>
public sealed record SearchScope(MemoryKind? Kind = null, bool IncludeInactive = false, DateSpan? Period = null, Guid? ExcludeSession = null)
{
    public static readonly SearchScope Current = new();
}

/// <summary>A search whose two halves are running, each on a connection of its own (<see cref="MemorySearch.Begin"/>).</summary>
/// <param name="Words">The question's words, lower-cased, each once (what the text half looks for).</param>
/// <param name="Time">What the question itself says about time ("when did…", "last week", "in May").</param>
/// <param name="VectorWeight">How much the vector half counts beside the text half (less for a language the embedding model was not trained on).</param>
public sealed record PendingSearch(string UserId, IReadOnlyList<string> Words, SearchScope Scope, TimeQuery Time, double VectorWeight, Task<List<Candidate>> Text, Task<List<Candidate>> Vector);

/// <summary>A memory one half of the search found, with what the fusion ranks by (the row itself is read only if it wins).</summary>
/// <param name="FirstDay">The first day it is about: the day it names, or the day it was said.</param>
/// <param name="Cites">The messages it comes from: results that cite nothing new are left out.</param>
/// <param name="QuestionRest">For a line that ends with "?", how many characters it says besides its speaker and its closing questions
/// ("Exactly. Which one?": 9; "I went camping last week. Have you been?": 26); null for any other line.</param>
/// <param name="Length">Its content's length in characters (<see cref="MemorySearch.ShortLineWeight"/>).</param>
/// <param name="Replies">An episode whose line before (its context) is a question: a short reply to one is often the answer ("2,800 euros").</param>
/// <param name="Score">The half's own score: BM25 for the text half, cosine similarity (less a short text's penalty) for the vector half.</param>
public sealed record Candidate(Guid Id, DateTimeOffset ValidFrom, DateTimeOffset RecordedAt, Guid? GraphNodeId, bool Current, MemoryKind Kind, Guid? SessionId,
    string[] Cites, DateOnly FirstDay, DateOnly LastDay, bool NamesTime, string? Speaker, int? QuestionRest, int Length, bool Replies, double Score)
{
    /// <summary>The number of columns <see cref="Read"/> reads (<c>RankingColumns</c> and the half's score); a query's own columns follow.</summary>
    internal const int Columns = 16;

    internal static Candidate Read(System.Data.Common.DbDataReader r) =>
        new(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetGuid(3), r.GetBoolean(4),
            WireName.Parse<MemoryKind>(r.GetString(5)), r.IsDBNull(6) ? null : r.GetGuid(6), r.GetFieldValue<string[]>(7),
            r.GetFieldValue<DateOnly>(8), r.GetFieldValue<DateOnly>(9), r.GetBoolean(10), r.IsDBNull(11) ? null : r.GetString(11), r.IsDBNull(12) ? null : r.GetInt32(12), r.GetInt32(13), r.GetBoolean(14), r.GetDouble(15));

    /// <summary>It is a question (ends with "?"): what answers it is the line after it.</summary>
    public bool Asks => QuestionRest is not null;

    /// <summary>
    /// It asks and says little else: under <see cref="MemorySearch.OnlyAskingRest"/> characters besides its closing questions ("Exactly.
    /// Which one?", not "I went camping last week. Have you been?").
    /// </summary>
    public bool OnlyAsks => QuestionRest < MemorySearch.OnlyAskingRest;

    public bool IsIn(DateSpan period) => FirstDay <= period.To && LastDay >= period.From;

    public bool IsInMonth(int month) => FirstDay.Month == month || LastDay.Month == month || (LastDay.DayNumber - FirstDay.DayNumber > 31);
}

/// <summary>
/// Hybrid retrieval: pgvector cosine neighbours and BM25 over PostgreSQL full-text (English and Russian stems) find candidates,
/// their scores are added (each scaled within its list), what the question says about time and graph proximity to the active
/// goals add a little, and an episode shares in its neighbours' score (ADR 0010). Only active memories unless history is asked for. The two halves run side by side, beside what the caller reads; only the k winners are read whole.
/// </summary>
public sealed partial class MemorySearch(
    MemoryDbContext db, IEmbeddingGenerator<string, Embedding<float>> embedder, GraphStore graph, IOptions<SearchOptions> options, TimeProvider time)
{

    /// <summary>
    /// A session's summary repeats what was said then; once a fact said in it is superseded, the summary would present the
    /// old value as current, so it is left out of current results (it stays in history). <c>m</c> is the memory tested.
    /// </summary>
    private const string NotStaleSummary =
        """
        (m.kind <> 'summary' OR m.source_session_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM memories f WHERE f.user_id = m.user_id AND f.kind = 'fact' AND NOT f.is_active
            AND f.source_session_id = m.source_session_id AND strpos(m.content, f.content) > 0))
        """;

    /// <summary>
    /// An episode that states a fact since superseded ("I live in Berlin" after "I moved to Munich") would present the old value as current:
    /// it is left out of current results like a stale summary, and stays in history.
    /// </summary>
    private const string NotStaleEpisode =
        """
        (m.kind <> 'episode' OR NOT EXISTS (
            SELECT 1 FROM memories f WHERE f.user_id = m.user_id AND f.kind = 'fact' AND f.superseded_by IS NOT NULL
            AND f.source_message_ids && m.source_message_ids))
        """;

    /// <summary>The user's memories (current ones unless history is asked for, of one kind if asked), of the table or alias <paramref name="t"/>.</summary>
    private static string UserFilter(string t) => $"{t}.user_id = @user AND ({t}.is_active OR @history) AND (@kind::text IS NULL OR {t}.kind = @kind)";

    /// <summary>
    /// The scope's period and session, on memories <c>m</c>: a memory is in a period when the days it names, or else the day it was said,
    /// overlap it.
    /// </summary>
    private const string ScopeFilter = """
        (@from::date IS NULL OR (COALESCE(m.occurred_to, (m.valid_from AT TIME ZONE 'UTC')::date) >= @from::date
            AND COALESCE(m.occurred_from, (m.valid_from AT TIME ZONE 'UTC')::date) <= @to::date))
        AND (@exclude_session::uuid IS NULL OR m.source_session_id IS DISTINCT FROM @exclude_session::uuid)
        """;

    /// <summary>At most this many derived memories (summaries, facts, notes) of one session in a result: they must not crowd out the evidence.</summary>
    public const int DerivedPerSession = 2;

    public async Task<List<SearchHit>> SearchAsync(string userId, string query, int k, SearchScope scope, CancellationToken cancellationToken)
    {
        var pending = Begin(userId, query, scope, cancellationToken);
        // This connection is idle while the query is embedded: the graph neighbourhood is read meanwhile.
        var nearGoals = await graph.NeighbourhoodOfActiveGoalsAsync(userId, 2, cancellationToken);
        return await CompleteAsync(pending, k, nearGoals, cancellationToken);
    }

    /// <summary>
    /// Starts both halves, neither on the caller's connection: the full-text half, and the vector half (embedding the query on the
    /// thread pool, then its query). The caller reads what else it needs meanwhile (the context: state, goals, facts), then calls
    /// <see cref="CompleteAsync"/>.
    /// </summary>
    public PendingSearch Begin(string userId, string query, SearchScope scope, CancellationToken cancellationToken)
    {
        var words = Words(query);
        var text = words.Count == 0 ? Task.FromResult<List<Candidate>>([])
            : TextMatchesAsync(SecondConnection(), userId, words, scope, options.Value.Candidates, cancellationToken);
        var vector = EmbedThenVectorHalfAsync(SecondConnection(), userId, query, scope, cancellationToken);
        return new PendingSearch(userId, words, scope, TimeExpressions.ParseQuery(query, time.GetUtcNow()), VectorWeightFor(query), text, vector);
    }

    /// <summary>
    /// The local model (all-MiniLM-L6-v2) was trained on English: Russian sentences land close together whatever they say, so for a
    /// question written mostly in Cyrillic the vector half only breaks ties and the stems decide (<see cref="CyrillicVectorWeight"/>).
    /// </summary>
    public static double VectorWeightFor(string query)
    {
        var letters = query.Count(char.IsLetter);
        var cyrillic = query.Count(c => c is >= '\u0400' and <= '\u04FF');
        return letters > 0 && cyrillic * 2 > letters ? CyrillicVectorWeight : 1.0;
    }

    /// <summary>
    /// The vector half's weight for a question mostly in Cyrillic. Russian recall@10 at 0.5 / 0.3 / 0.15: tuned set 0.722 / 0.728 / 0.737,
    /// held-out set 0.585 / 0.671 / 0.676 (2026-12-04; chosen on the tuned set, then checked on the held-out one).
    /// </summary>
    public const double CyrillicVectorWeight = 0.15;

    /// <summary>
    /// A closed connection to the context's database for a half that runs beside the caller's queries, made here on the caller's thread
    /// (CloneWith keeps the password, which an opened connection's string no longer shows). The half opens it and disposes of it.
    /// </summary>
    private NpgsqlConnection SecondConnection()
    {
        var own = (NpgsqlConnection)db.Database.GetDbConnection();
        return own.CloneWith(own.ConnectionString);
    }

    /// <param name="nearGoals">The graph neighbourhood of the active goals when the caller has it already (the context does); read here otherwise.</param>
    public async Task<List<SearchHit>> CompleteAsync(PendingSearch search, int k, IReadOnlyList<GraphHit>? nearGoals, CancellationToken cancellationToken)
    {
        // Both awaited together, so neither's failure goes unobserved.
        await Task.WhenAll(search.Text, search.Vector);
        // A stale summary or episode leaves both lists (after each took its top candidates, as a filter on the fused result would).
        var byVector = search.Vector.Result.Where(c => c.Current).ToList();
        var byText = search.Text.Result.Where(c => c.Current).ToList();
        var candidates = byVector.Concat(byText).DistinctBy(c => c.Id).ToDictionary(c => c.Id);
        if (candidates.Count == 0)
        {
            return [];
        }

        // Each half's scores scaled to [0, 1] within its own list and added: a memory both halves rank high leads.
        var scores = new Dictionary<Guid, double>();
        AddScaled(scores, byText, 1);
        AddScaled(scores, byVector, search.VectorWeight);
        // Graph proximity and what the question says about time break ties among similar matches; they never add a candidate.
        var near = (nearGoals ?? await graph.NeighbourhoodOfActiveGoalsAsync(search.UserId, 2, cancellationToken)).ToDictionary(h => h.Node.Id);
        var named = NamedSpeaker(search.Words, candidates.Values.Select(c => c.Speaker).OfType<string>());
        foreach (var candidate in candidates.Values)
        {
            scores[candidate.Id] += Bonus(candidate, search.Time, near) + (named is not null && candidate.Speaker == named ? SpeakerBonus : 0);
        }

        // A reply is where the answer often is ("How much was it?" – "2,800 euros"): a message shares in the match of those a turn or two away.
        var neighbours = await NeighboursAsync(search.UserId, scores.OrderByDescending(s => s.Value).Take(NeighbourPool).Select(s => s.Key)
            .Where(id => candidates[id].Kind == MemoryKind.Episode).ToArray(), search.Scope, cancellationToken);
        foreach (var (_, _, neighbour) in neighbours)
        {
            candidates.TryAdd(neighbour.Id, neighbour);
            scores.TryAdd(neighbour.Id, 0);
        }
        var smoothed = scores.ToDictionary(s => s.Key, s => s.Value);
        // The line right after a match, when it asks about it ("Which one?"): the answer after it is as close to the match as a reply.
        var askedAbout = neighbours.Where(n => n.Distance == 1 && n.Neighbour.Asks).Select(n => n.Of).ToHashSet();
        foreach (var (of, distance, neighbour) in neighbours)
        {
            var share = distance == 2 && askedAbout.Contains(of) ? NeighbourShare : ShareAt(Math.Abs(distance));
            smoothed[neighbour.Id] = Math.Max(smoothed[neighbour.Id], scores[neighbour.Id] + share * scores[of]);
        }

        // How likely a line is to hold an answer at all, whatever it matched: one that only asks holds none of its own (what it matched
        // still passed to the reply after it, above), and one that says little seldom does.
        foreach (var id in smoothed.Keys.ToList())
        {
            smoothed[id] *= Prior(candidates[id]);
        }
        var ranked = smoothed.OrderByDescending(s => s.Value).ThenByDescending(s => candidates[s.Key].ValidFrom)
            .Select(s => (candidates[s.Key], s.Value)).ToList();
        var winners = Distinct(ranked).Take(k).ToList();
        var rows = await WinnersQuery(db, search.UserId, winners.Select(w => w.Candidate.Id).ToArray()).ToDictionaryAsync(m => m.Id, cancellationToken: cancellationToken);
        // Only the k winners are read whole; one deleted since the candidates were found is left out.
        return winners.Where(w => rows.ContainsKey(w.Candidate.Id)).Select(w => new SearchHit(rows[w.Candidate.Id], Math.Round(w.Score, 6))).ToList();
    }

    /// <summary>The winners' rows, compiled once: EF Core otherwise walks and hashes a LINQ query's expression on every run (issue 17).</summary>
    private static readonly Func<MemoryDbContext, string, Guid[], IAsyncEnumerable<MemoryItem>> WinnersQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId, Guid[] ids) => db.Memories.AsNoTracking().Where(m => m.UserId == userId && ids.Contains(m.Id)));

    /// <summary>
    /// What a memory said by the one speaker the question names gains: a question about someone is mostly answered by what they said
    /// themselves ("What did Tom research?" – "Tom: I started researching adoption agencies"), though the other may have said it
    /// ("Is he still with the vet?"), so it only tips near ties (0.659 → 0.672 → 0.685 on our set; 0.1 gave 0.680, 0.3 0.688).
    /// </summary>
    private const double SpeakerBonus = 0.2;

    /// <summary>
    /// The one speaker of <paramref name="speakers"/> the question's lower-cased <paramref name="words"/> name ("What did Tom…",
    /// "Кем работает муж Ольги?"), or null when they name none or several.
    /// </summary>
    internal static string? NamedSpeaker(IReadOnlyList<string> words, IEnumerable<string> speakers)
    {
        var named = speakers.Distinct(StringComparer.Ordinal).Where(speaker => words.Any(word => SameName(word, speaker.ToLowerInvariant()))).ToList();
        return named is [var one] ? one : null;
    }

    /// <summary>
    /// A word names a speaker when it is the name or an inflection of it (Ольга, Ольги, Ольгой, Ольгу: all but the name's last letter
    /// agree, at most two letters longer); a name of one word, as conversations give them.
    /// </summary>
    private static bool SameName(string word, string name)
    {
        if (word == name)
        {
            return true;
        }
        var stem = name.Length - 1;
        return stem >= 3 && word.Length >= stem && word.Length <= name.Length + 2 && string.CompareOrdinal(word, 0, name, 0, stem) == 0;
    }

    private static double Prior(Candidate candidate) =>
        (candidate.OnlyAsks ? OnlyAskingWeight : 1)
        * (candidate.Kind == MemoryKind.Episode && !candidate.Replies ? 1 - ShortLineWeight + (ShortLineWeight * Math.Min(1, candidate.Length / (double)FullLine)) : 1);

    /// <summary>
    /// How much of an episode's score depends on its length: a line of <see cref="FullLine"/> characters or more keeps it all, an empty
    /// one would keep half, in proportion between; a reply to a question (<see cref="Candidate.Replies"/>) keeps it all. On our set a
    /// line (not a question) under 40 characters is evidence for some question 6% of the time and one of 40–80 characters 13%, but 23%
    /// and 32% right after a question; one of 80–120 characters 41%, one longer 56%. "Haha", "Deal. Speak soon x" and "Any good?"
    /// match a question by a word or a name and answer nothing. BM25's length normalisation favours such lines, and the vector half's
    /// short-text penalty only tips them. 0.738 → 0.749 (single 0.841 → 0.865, across sessions 0.398 → 0.436, when 0.932 → 0.930,
    /// inference 0.520 → 0.493; Russian 0.688 → 0.728). Measured around it (replies not spared): 0.752; weight 0.2 / 0.4 / 0.6 at 100
    /// characters 0.741 / 0.751 / 0.750; 0.5 at 60 / 150 characters 0.733 / 0.748; 0.4 without the vector half's penalty 0.737.
    /// </summary>
    public const double ShortLineWeight = 0.5;

    /// <summary>The length (in characters, with the speaker's name) from which a line counts whole (<see cref="ShortLineWeight"/>).</summary>
    public const int FullLine = 100;

    /// <summary>
    /// What counts of the score of a line that only asks (<see cref="Candidate.OnlyAsks"/>: "Which one?", "Exactly. How's the new job?"):
    /// on our set 2% of the evidence lines are questions against 24% of all lines, and such a line matches a question about the same
    /// thing well while answering nothing. Our set went from 0.722 to 0.738 (0.743 when every line ending in "?" counts half, which would
    /// also halve a long turn that states something and then asks back; 0.3 and 0.5 measured alike, 0.7 and 0.85 a little less).
    /// </summary>
    public const double OnlyAskingWeight = 0.5;

    /// <summary>How much of its best neighbour's score a message gains (a neighbour's own match is kept when higher).</summary>
    public const double NeighbourShare = 0.5;

    /// <summary>
    /// How many messages on each side share in a match: an answer often comes a turn or two after the message that matched ("One agent
    /// asked for the whole manuscript" – "Which one?" – "Fiona Keir at Harrow &amp; Finch").
    /// </summary>
    private const int NeighbourWindow = 2;

    /// <summary>What a message two turns away gains: less than the next one, since the thread may have moved on.</summary>
    private const double FarShare = 0.4;

    private static double ShareAt(int distance) => distance == 1 ? NeighbourShare : FarShare;

    /// <summary>The best fused candidates whose neighbours are read: a reply to something far down the list would not make the top k.</summary>
    private const int NeighbourPool = 40;

    private static void AddScaled(Dictionary<Guid, double> scores, List<Candidate> list, double weight)
    {
        if (list.Count == 0)
        {
            return;
        }
        var top = list.Max(c => c.Score);
        var bottom = list.Min(c => c.Score);
        foreach (var candidate in list)
        {
            var scaled = top > bottom ? (candidate.Score - bottom) / (top - bottom) : 1;
            scores[candidate.Id] = scores.GetValueOrDefault(candidate.Id) + weight * scaled;
        }
    }

    /// <summary>
    /// What the question says about time: a period ("last week", "in May") favours memories of those days, "when did…" those that name
    /// a day; closeness to the active goals in the graph counts a little.
    /// </summary>
    private static double Bonus(Candidate candidate, TimeQuery time, Dictionary<Guid, GraphHit> near)
    {
        var bonus = 0.0;
        if ((time.Period is { } period && candidate.IsIn(period)) || (time.Period is null && time.Month is { } month && candidate.IsInMonth(month)))
        {
            bonus += 0.5;
        }
        if (time.AsksWhen && candidate.NamesTime)
        {
            bonus += 0.25;
        }
        if (candidate.GraphNodeId is { } node && near.TryGetValue(node, out var hit))
        {
            bonus += 0.1 / (1 + hit.Depth);
        }
        return bonus;
    }

    /// <summary>
    /// The <see cref="NeighbourWindow"/> episodes before and after each of <paramref name="ids"/> in its conversation, each with the id it
    /// neighbours and how many turns away it is: negative before it, positive after.
    /// </summary>
    private async Task<List<(Guid Of, int Distance, Candidate Neighbour)>> NeighboursAsync(string userId, Guid[] ids, SearchScope scope, CancellationToken cancellationToken)
    {
        if (ids.Length == 0)
        {
            return [];
        }
        var scoped = Scoped(scope) ? $"AND {ScopeFilter}" : "";
        var sql = $"""
            SELECT {RankingColumns}, 0::float8, c.id, m.distance
            FROM memories c
            CROSS JOIN LATERAL (
                (SELECT e.*, -row_number() OVER (ORDER BY e.valid_from DESC, e.id DESC) AS distance FROM memories e
                 WHERE e.user_id = c.user_id AND e.kind = 'episode' AND e.source_session_id = c.source_session_id
                 AND (e.valid_from, e.id) < (c.valid_from, c.id) ORDER BY e.valid_from DESC, e.id DESC LIMIT @window)
                UNION ALL
                (SELECT e.*, row_number() OVER (ORDER BY e.valid_from, e.id) AS distance FROM memories e
                 WHERE e.user_id = c.user_id AND e.kind = 'episode' AND e.source_session_id = c.source_session_id
                 AND (e.valid_from, e.id) > (c.valid_from, c.id) ORDER BY e.valid_from, e.id LIMIT @window)
            ) m
            WHERE c.user_id = @user AND c.id = ANY(@ids) AND (m.is_active OR @history) {scoped}
            """;
        var parameters = FilterParameters(userId, scope, 0);
        parameters["ids"] = ids;
        parameters["window"] = NeighbourWindow;
        var rows = await db.QueryAsync(sql, parameters, r => (Of: r.GetGuid(Candidate.Columns), Distance: (int)r.GetInt64(Candidate.Columns + 1), Neighbour: Candidate.Read(r)), cancellationToken);
        return rows.Where(r => r.Neighbour.Current).ToList();
    }

    /// <summary>
    /// The fused ranking without repeats: a memory that cites only messages a better one already cites adds nothing (a fact and the
    /// message it came from), and one session's summaries, facts and notes take at most <see cref="DerivedPerSession"/> places.
    /// </summary>
    private static IEnumerable<(Candidate Candidate, double Score)> Distinct(List<(Candidate Candidate, double Score)> ranked)
    {
        var cited = new HashSet<string>(StringComparer.Ordinal);
        var derived = new Dictionary<Guid, int>();
        foreach (var (candidate, score) in ranked)
        {
            if (candidate.Cites.Length > 0 && candidate.Cites.All(cited.Contains))
            {
                continue;
            }
            if (candidate.Kind != MemoryKind.Episode && candidate.SessionId is { } session)
            {
                var count = derived.GetValueOrDefault(session);
                if (count >= DerivedPerSession)
                {
                    continue;
                }
                derived[session] = count + 1;
            }
            cited.UnionWith(candidate.Cites);
            yield return (candidate, score);
        }
    }

    private async Task<List<Candidate>> EmbedThenVectorHalfAsync(NpgsqlConnection connection, string userId, string query, SearchScope scope,
        CancellationToken cancellationToken)
    {
        await using (connection)
        {
            // The model's CPU work on the thread pool: Begin returns at once.
            var vector = await Task.Run(async () => (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray(), cancellationToken);
            await connection.OpenAsync(cancellationToken);
            return await VectorCandidatesAsync(connection, userId, vector, scope, options.Value.Candidates, options.Value, cancellationToken);
        }
    }

    /// <summary>
    /// Full-text matches in English or Russian ranked by BM25, best first. Each query word is stemmed in its script's language (so English
    /// stop words do not match as Russian words), weighed by how rare it is among the user's memories (a speaker's name in every line counts
    /// little, a rare noun much) and normalised by length; the words are few and memories short, so a word counts once per memory. It reads
    /// the narrow <c>memory_texts</c> (about 260 bytes a row instead of 1.9 KB): a common word matches a thousand rows or more. The counts
    /// are cast to float8: bigint with a decimal literal is computed in numeric, a sixth of the statement's time. The words it looks for are
    /// <see cref="QueryTerms.Of"/>: the words under a category the question names ("What pets…": dog, cat, goldfish…) and the other forms
    /// of its irregular verbs ("buy": bought) too, each at its weight, unless common among the user's memories (<see cref="CommonAddedWord"/>).
    /// </summary>
    private static async Task<List<Candidate>> TextMatchesAsync(NpgsqlConnection connection, string userId, IReadOnlyList<string> words, SearchScope scope,
        int limit, CancellationToken cancellationToken)
    {
        var scoped = Scoped(scope) ? $"JOIN memories m ON m.id = t.memory_id AND {ScopeFilter}" : "";
        var text = $"""
            WITH terms AS (
                SELECT row_number() OVER () AS term, q.query, q.weight, q.added FROM (
                    SELECT plainto_tsquery(CASE WHEN w.word ~ '[а-яё]' THEN 'russian' ELSE 'english' END::regconfig, w.word) AS query,
                           max(w.weight) AS weight, bool_and(w.added) AS added
                    FROM unnest(@words::text[], @weights::float8[], @added::boolean[]) AS w(word, weight, added)
                    GROUP BY 1) q
                WHERE numnode(q.query) > 0
            ), matches AS (
                SELECT found.memory_id, terms.term, terms.weight, terms.added, found.len
                FROM terms CROSS JOIN LATERAL (
                    SELECT t.memory_id, length(t.search_vector)::float8 AS len
                    FROM memory_texts t {scoped}
                    WHERE t.search_vector @@ terms.query AND {UserFilter("t")}
                    LIMIT CASE WHEN terms.added THEN @common + 1 END) found
            ), hits AS (
                SELECT counted.memory_id, counted.weight, counted.len, counted.df
                FROM (SELECT matches.*, (count(*) OVER (PARTITION BY matches.term))::float8 AS df FROM matches) counted
                WHERE NOT counted.added OR counted.df <= @common
            ), corpus AS (
                SELECT (SELECT count(*) FROM memories WHERE {UserFilter("memories")})::float8 AS n, (SELECT avg(len) FROM hits) AS average
            )
            SELECT h.memory_id AS id,
                   sum(h.weight * ln(1 + (c.n - h.df + 0.5) / (h.df + 0.5)) * ({Bm25K1} + 1) / (1 + {Bm25K1} * (1 - {Bm25B} + {Bm25B} * h.len / c.average)))::float8 AS score
            FROM hits h CROSS JOIN corpus c
            GROUP BY h.memory_id
            ORDER BY score DESC, h.memory_id DESC LIMIT @limit
            """;
        await using (connection)
        {
            await connection.OpenAsync(cancellationToken);
            var parameters = FilterParameters(userId, scope, limit);
            var terms = QueryTerms.Of(words);
            parameters["words"] = terms.Select(t => t.Word).ToArray();
            parameters["weights"] = terms.Select(t => t.Weight).ToArray();
            parameters["added"] = terms.Select(t => t.Added).ToArray();
            parameters["common"] = CommonAddedWord;
            return await connection.QueryAsync(WithRankingColumns(text), parameters, Candidate.Read, null, cancellationToken);
        }
    }

    /// <summary>
    /// A word the question did not say (<see cref="QueryTerm.Added"/>: one under a category or another form of its verb; a stem the
    /// question said too counts as said) found in more of the user's memories than this is left out: so common, it says little about which memory answers, and reading its every match costs. Its
    /// matches are read only up to one more than this.
    /// </summary>
    private const int CommonAddedWord = 100;

    // Okapi BM25's usual constants (term-frequency saturation and length normalisation), written into the SQL as literals.
    private const string Bm25K1 = "1.2";
    private const string Bm25B = "0.75";

    /// <summary>The latest current summaries and notes, newest first: the context's situations before the user has said anything.</summary>
    public Task<List<MemoryItem>> RecentSituationsAsync(string userId, int k, CancellationToken cancellationToken) =>
        db.Memories.FromSqlRaw(
                $"""
                SELECT m.* FROM memories m
                WHERE m.user_id = @user AND m.is_active AND m.kind IN ('summary', 'note') AND {NotStaleSummary}
                ORDER BY m.valid_from DESC LIMIT @k
                """,
                new NpgsqlParameter("user", userId), new NpgsqlParameter("k", k))
            .AsNoTracking().ToListAsync(cancellationToken);

    /// <summary>The vector half alone (the benchmark compares the modes with it): the nearest memories by cosine distance, nearest first.</summary>
    public async Task<List<Guid>> VectorNeighboursAsync(string userId, float[] vector, SearchScope scope, int limit, SearchOptions settings,
        CancellationToken cancellationToken)
    {
        await using var connection = SecondConnection();
        await connection.OpenAsync(cancellationToken);
        return (await VectorCandidatesAsync(connection, userId, vector, scope, limit, settings, cancellationToken)).Select(c => c.Id).ToList();
    }

    /// <summary>HNSW's settings are per transaction (SET LOCAL); the other modes need none, so they run without one.</summary>
    internal static async Task<List<Candidate>> VectorCandidatesAsync(NpgsqlConnection connection, string userId, float[] vector, SearchScope scope,
        int limit, SearchOptions settings, CancellationToken cancellationToken)
    {
        var parameters = Parameters(userId, vector, scope, limit, settings);
        var sql = VectorSql(settings.VectorMode, Scoped(scope));
        if (settings.VectorMode != VectorSearchMode.Hnsw)
        {
            return await connection.QueryAsync(sql, parameters, Candidate.Read, null, cancellationToken);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var setup = connection.CreateCommand())
        {
            // Iterative scans keep walking the graph until enough rows pass the user filter (pgvector 0.8).
            setup.Transaction = transaction;
            setup.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {settings.EfSearch}");
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }
        var rows = await connection.QueryAsync(sql, parameters, Candidate.Read, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return rows;
    }

    /// <summary>Whether the scope filters on more than the user, the kind and activity (the plain search's index-only scan cannot).</summary>
    private static bool Scoped(SearchScope scope) => scope.Period is not null || scope.ExcludeSession is not null;

    /// <summary>
    /// The columns the fusion ranks by, of memories <c>m</c>; <c>current</c> is false for a stale summary unless history is asked for.
    /// <see cref="Candidate.Read"/> reads them in this order.
    /// </summary>
    private const string RankingColumns = $"""
        m.id, m.valid_from, m.recorded_at, m.graph_node_id, @history OR ({NotStaleSummary} AND {NotStaleEpisode}) AS current, m.kind, m.source_session_id, m.source_message_ids,
        COALESCE(m.occurred_from, (m.valid_from AT TIME ZONE 'UTC')::date), COALESCE(m.occurred_to, (m.valid_from AT TIME ZONE 'UTC')::date),
        m.occurred_from IS NOT NULL, m.speaker,
        CASE WHEN right(rtrim(m.content), 1) = '?' THEN length(regexp_replace(
            CASE WHEN starts_with(m.content, m.speaker || ':') THEN substr(m.content, length(m.speaker) + 2) ELSE m.content END,
            '([^.!?…]*[?]+[^ ]*[ ]*)+$', '')) END,
        length(m.content),
        right(rtrim(m.context), 1) IS NOT DISTINCT FROM '?'
        """;

    /// <summary>What a line may say besides its closing questions and still only ask: "Exactly.", "Oh no, really?" (<see cref="Candidate.OnlyAsks"/>).</summary>
    public const int OnlyAskingRest = 20;

    /// <summary>The text half's rows (<c>id</c>, <c>score</c>), best first, with what the fusion ranks by: only its top rows are read from memories.</summary>
    private static string WithRankingColumns(string half) => $"""
        SELECT {RankingColumns}, h.score
        FROM ({half}) h JOIN memories m ON m.id = h.id
        ORDER BY h.score DESC, h.id DESC
        """;

    /// <summary>
    /// What the vector half takes off the similarity of a text shorter than <see cref="ShortTextLength"/>. A line of a few words ("Tom: And?",
    /// "Tom: Deal. Speak soon x") is embedded as little more than its speaker's name, so it sits close to any question naming that speaker
    /// while saying nothing about it; the text half's BM25 weighs length on its own. Our set went from 0.696 to 0.714 (0.2: 0.710; under 40
    /// characters: 0.705, under 100: 0.704; taken off in proportion to the missing length instead: 0.700).
    /// </summary>
    private const string ShortTextPenalty = "0.1";

    /// <summary>A text of fewer characters than this (the speaker's name included) is short.</summary>
    private const string ShortTextLength = "60";

    /// <summary>
    /// The user's nearest memories, nearest first, with what the fusion ranks by (read from the rows the distance was computed on),
    /// as SQL on the parameters of <see cref="Parameters"/>.
    /// </summary>
    private static string VectorSql(VectorSearchMode mode, bool scoped) => $"""
        SELECT {RankingColumns}, 1 - m.distance - CASE WHEN length(m.content) < {ShortTextLength} THEN {ShortTextPenalty} ELSE 0 END FROM ({NearestSql(mode, scoped)}) m
        ORDER BY m.distance, m.id
        """;

    /// <summary>The nearest rows, with <c>distance</c> and the columns <see cref="RankingColumns"/> reads.</summary>
    private static string NearestSql(VectorSearchMode mode, bool scoped)
    {
        const string columns = """
            m.id, m.user_id, m.kind, m.content, m.source_session_id, m.source_message_ids, m.valid_from, m.recorded_at, m.graph_node_id,
            m.occurred_from, m.occurred_to, m.speaker, m.context, m.embedding <=> @q::vector AS distance
            """;
        var scope = scoped ? $"AND {ScopeFilter}" : "";
        return mode switch
        {
            // A scope (a period, a session left out) needs the rows themselves, so the bit scan is not index-only then.
            VectorSearchMode.Quantized => $"""
                SELECT {columns}
                FROM (SELECT m.id FROM memories m WHERE {UserFilter("m")} {scope} ORDER BY m.embedding_bits <~> @q_bits::varbit LIMIT @pool) coarse
                JOIN memories m ON m.id = coarse.id
                ORDER BY distance, m.id LIMIT @limit
                """,
            // "+ 0" hides the ordering from the HNSW index, so the planner compares every row of the user (their rows via the btree index).
            VectorSearchMode.Exact => $"""
                SELECT {columns} FROM memories m WHERE {UserFilter("m")} {scope}
                ORDER BY (m.embedding <=> @q::vector) + 0, m.id LIMIT @limit
                """,
            // relaxed_order may return neighbours slightly out of order; the outer ORDER BY puts them back.
            VectorSearchMode.Hnsw => $"""
                SELECT {columns} FROM memories m WHERE {UserFilter("m")} {scope}
                ORDER BY m.embedding <=> @q::vector LIMIT @limit
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
    }

    private static Dictionary<string, object?> Parameters(string userId, float[] vector, SearchScope scope, int limit, SearchOptions settings)
    {
        var parameters = FilterParameters(userId, scope, limit);
        parameters["q"] = Sql.Vector(vector);
        if (settings.VectorMode == VectorSearchMode.Quantized)
        {
            parameters["q_bits"] = Sql.SignBits(vector); // only the bit scan reads them
        }
        parameters["pool"] = Math.Max(settings.RerankPool, limit);
        return parameters;
    }

    /// <summary>The parameters of <see cref="UserFilter(string)"/>, <see cref="ScopeFilter"/> and the half's <c>@limit</c>.</summary>
    private static Dictionary<string, object?> FilterParameters(string userId, SearchScope scope, int limit) => new()
    {
        ["user"] = userId,
        ["history"] = scope.IncludeInactive,
        ["kind"] = scope.Kind is { } value ? WireName.Of(value) : null,
        ["limit"] = limit,
        ["from"] = scope.Period?.From,
        ["to"] = scope.Period?.To,
        ["exclude_session"] = scope.ExcludeSession,
    };

    /// <summary>A question's words, lower-cased, each once, at most 32.</summary>
    internal static IReadOnlyList<string> Words(string query) =>
        QueryWord().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Take(32).ToList();

    [GeneratedRegex(@"[\p{L}\p{N}]{2,}")]
    private static partial Regex QueryWord();
}
