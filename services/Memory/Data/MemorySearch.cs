using System.Globalization;
using System.Text.RegularExpressions;
using Aimi.Memory.Api.Domain;
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
    /// <summary>Candidates each ranked list contributes to the fusion.</summary>
    public int Candidates { get; set; } = 50;
    /// <summary>Rows the bit scan hands to the exact re-rank in <see cref="VectorSearchMode.Quantized"/> mode.</summary>
    public int RerankPool { get; set; } = 200;
    /// <summary><c>hnsw.ef_search</c> in <see cref="VectorSearchMode.Hnsw"/> mode.</summary>
    public int EfSearch { get; set; } = 100;
}

public sealed record SearchHit(MemoryItem Memory, double Score);

/// <summary>A search whose full-text half and query embedding are running (<see cref="MemorySearch.Begin"/>).</summary>
public sealed record PendingSearch(string UserId, MemoryKind? Kind, bool IncludeInactive, Task<List<Candidate>> Text, Task<float[]> Vector);

/// <summary>A memory one half of the search found, with what the fusion ranks by (the row itself is read only if it wins).</summary>
public sealed record Candidate(Guid Id, DateTimeOffset ValidFrom, DateTimeOffset RecordedAt, Guid? GraphNodeId, bool Current)
{
    internal static Candidate Read(System.Data.Common.DbDataReader r) =>
        new(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetGuid(3), r.GetBoolean(4));
}

/// <summary>
/// Hybrid retrieval: pgvector cosine neighbours and PostgreSQL full-text (English and Russian stems) find candidates;
/// recency and graph proximity to the active goals rank them too; reciprocal rank fusion combines the four lists.
/// Only active memories unless history is asked for. The text half runs beside the embedding and the vector half; only the k winners are read whole.
/// </summary>
public sealed partial class MemorySearch(MemoryDbContext db, IEmbeddingGenerator<string, Embedding<float>> embedder, GraphStore graph, IOptions<SearchOptions> options)
{
    /// <summary>The usual RRF constant: a list's top ranks matter, no single list dominates.</summary>
    public const int RrfK = 60;

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

    private const string UserFilter = "user_id = @user AND (is_active OR @history) AND (@kind::text IS NULL OR kind = @kind)";

    public Task<List<SearchHit>> SearchAsync(string userId, string query, int k, MemoryKind? kind, bool includeInactive, CancellationToken cancellationToken) =>
        CompleteAsync(Begin(userId, query, kind, includeInactive, cancellationToken), k, null, cancellationToken);

    /// <summary>
    /// Starts what needs neither the caller's connection nor the other half: the full-text half (on a connection of its own) and
    /// embedding the query (CPU, on the thread pool). The context reads the user's state meanwhile, then calls <see cref="CompleteAsync"/>.
    /// </summary>
    public PendingSearch Begin(string userId, string query, MemoryKind? kind, bool includeInactive, CancellationToken cancellationToken)
    {
        var words = QueryWord().Matches(query).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(32).ToList();
        var text = TextMatchesAsync(userId, words, kind, includeInactive, options.Value.Candidates, cancellationToken);
        var vector = Task.Run(async () => (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray(), cancellationToken);
        return new PendingSearch(userId, kind, includeInactive, text, vector);
    }

    /// <param name="nearGoals">The graph neighbourhood of the active goals when the caller has it already (the context does); read here otherwise.</param>
    public async Task<List<SearchHit>> CompleteAsync(PendingSearch search, int k, IReadOnlyList<GraphHit>? nearGoals, CancellationToken cancellationToken)
    {
        var vectorHalf = VectorHalfAsync(search, cancellationToken);
        // Both awaited together: the text half keeps running while the vector half queries, and neither's failure goes unobserved.
        await Task.WhenAll(search.Text, vectorHalf);
        // A stale summary leaves both lists (after each took its top candidates, as a filter on the fused result would).
        var byVector = vectorHalf.Result.Where(c => c.Current).ToList();
        var byText = search.Text.Result.Where(c => c.Current).ToList();
        var candidates = byVector.Concat(byText).DistinctBy(c => c.Id).ToDictionary(c => c.Id);
        if (candidates.Count == 0)
        {
            return [];
        }
        var byRecency = candidates.Values.OrderByDescending(c => c.ValidFrom).ThenByDescending(c => c.RecordedAt).ToList();
        var near = (nearGoals ?? await graph.NeighbourhoodOfActiveGoalsAsync(search.UserId, 2, cancellationToken)).ToDictionary(h => h.Node.Id);
        var byGraph = candidates.Values.Where(c => c.GraphNodeId is { } node && near.ContainsKey(node))
            .OrderBy(c => near[c.GraphNodeId!.Value].Depth).ThenByDescending(c => near[c.GraphNodeId!.Value].Strength).ToList();

        var scores = new Dictionary<Guid, double>();
        // What the query matched leads; recency and graph proximity break ties among similar matches at half weight.
        foreach (var (list, weight) in new[] { (byVector, 1.0), (byText, 1.0), (byRecency, 0.5), (byGraph, 0.5) })
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                scores[list[rank].Id] = scores.GetValueOrDefault(list[rank].Id) + weight / (RrfK + rank + 1);
            }
        }
        // Recency and graph only reorder what the query found: every candidate came from the vector or the text list.
        var winners = scores.OrderByDescending(s => s.Value).ThenByDescending(s => candidates[s.Key].ValidFrom).Take(k).ToList();
        var ids = winners.Select(w => w.Key).ToList();
        var rows = await db.Memories.AsNoTracking().Where(m => m.UserId == search.UserId && ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, cancellationToken);
        // Only the k winners are read whole; one deleted since the candidates were found is left out.
        return winners.Where(w => rows.ContainsKey(w.Key)).Select(w => new SearchHit(rows[w.Key], Math.Round(w.Value, 6))).ToList();
    }

    private async Task<List<Candidate>> VectorHalfAsync(PendingSearch search, CancellationToken cancellationToken) =>
        await VectorCandidatesAsync(search.UserId, await search.Vector, search.Kind, search.IncludeInactive, options.Value.Candidates, options.Value, cancellationToken);

    /// <summary>Full-text matches in English or Russian, best first. Any query word may match (OR), stems and stop words per language.</summary>
    private async Task<List<Candidate>> TextMatchesAsync(string userId, List<string> words, MemoryKind? kind, bool includeInactive, int limit,
        CancellationToken cancellationToken)
    {
        if (words.Count == 0)
        {
            return [];
        }
        // CloneWith keeps the password, which an opened connection's string no longer shows.
        var own = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var connection = own.CloneWith(own.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var text = $"""
            SELECT m.id, row_number() OVER (ORDER BY ts_rank(m.search_vector, q.query) DESC, m.recorded_at DESC) AS rank FROM memories m
            CROSS JOIN (SELECT websearch_to_tsquery('english', @text) || websearch_to_tsquery('russian', @text) AS query) q
            WHERE m.{UserFilter} AND m.search_vector @@ q.query
            ORDER BY rank LIMIT @limit
            """;
        return await connection.QueryAsync(WithRankingColumns(text),
            new Dictionary<string, object?>
            {
                ["text"] = string.Join(" or ", words), ["user"] = userId, ["history"] = includeInactive, ["kind"] = kind is { } value ? WireName.Of(value) : null, ["limit"] = limit,
            },
            Candidate.Read, null, cancellationToken);
    }

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
    public async Task<List<Guid>> VectorNeighboursAsync(string userId, float[] vector, MemoryKind? kind, bool includeInactive, int limit, SearchOptions settings,
        CancellationToken cancellationToken) =>
        (await VectorCandidatesAsync(userId, vector, kind, includeInactive, limit, settings, cancellationToken)).Select(c => c.Id).ToList();

    private async Task<List<Candidate>> VectorCandidatesAsync(string userId, float[] vector, MemoryKind? kind, bool includeInactive, int limit, SearchOptions settings,
        CancellationToken cancellationToken)
    {
        var parameters = Parameters(userId, vector, kind, includeInactive, limit, settings);
        return await WithVectorSettingsAsync(settings, () => db.QueryAsync(WithRankingColumns(VectorSql(settings.VectorMode)), parameters, Candidate.Read, cancellationToken),
            cancellationToken);
    }

    /// <summary>
    /// A half's rows (<c>id</c>, <c>rank</c>), best first, with what the fusion ranks by; <c>current</c> is false for a stale summary
    /// unless history is asked for. Only the half's top rows are read here, their pages already in memory from the half itself.
    /// </summary>
    private static string WithRankingColumns(string half) => $"""
        SELECT m.id, m.valid_from, m.recorded_at, m.graph_node_id, @history OR {NotStaleSummary} AS current
        FROM ({half}) h JOIN memories m ON m.id = h.id
        ORDER BY h.rank
        """;

    /// <summary>The user's nearest memories with their rank (1 = nearest), as SQL on the parameters of <see cref="Parameters"/>.</summary>
    private static string VectorSql(VectorSearchMode mode) => mode switch
    {
        VectorSearchMode.Quantized => $"""
            SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
                SELECT m.id, m.embedding <=> @q::vector AS distance
                FROM (SELECT id FROM memories WHERE {UserFilter} ORDER BY embedding_bits <~> binary_quantize(@q::vector) LIMIT @pool) coarse
                JOIN memories m ON m.id = coarse.id
                ORDER BY distance LIMIT @limit) nearest
            """,
        // "+ 0" hides the ordering from the HNSW index, so the planner compares every row of the user (their rows via the btree index).
        VectorSearchMode.Exact => $"""
            SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
                SELECT id, embedding <=> @q::vector AS distance FROM memories WHERE {UserFilter}
                ORDER BY (embedding <=> @q::vector) + 0 LIMIT @limit) nearest
            """,
        // relaxed_order may return neighbours slightly out of order; the rank puts them back.
        VectorSearchMode.Hnsw => $"""
            SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
                SELECT id, embedding <=> @q::vector AS distance FROM memories WHERE {UserFilter}
                ORDER BY embedding <=> @q::vector LIMIT @limit) nearest
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    private static Dictionary<string, object?> Parameters(string userId, float[] vector, MemoryKind? kind, bool includeInactive, int limit, SearchOptions settings) => new()
    {
        ["q"] = Sql.VectorLiteral(vector),
        ["user"] = userId,
        ["history"] = includeInactive,
        ["kind"] = kind is { } value ? WireName.Of(value) : null,
        ["limit"] = limit,
        ["pool"] = Math.Max(settings.RerankPool, limit),
    };

    /// <summary>HNSW's settings are per transaction (SET LOCAL); the other modes need none, so they run without one.</summary>
    private async Task<T> WithVectorSettingsAsync<T>(SearchOptions settings, Func<Task<T>> query, CancellationToken cancellationToken)
    {
        if (settings.VectorMode != VectorSearchMode.Hnsw)
        {
            return await query();
        }
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        // Iterative scans keep walking the graph until enough rows pass the user filter (pgvector 0.8).
        var setup = string.Create(CultureInfo.InvariantCulture, $"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {settings.EfSearch}");
        await db.Database.ExecuteSqlRawAsync(setup, cancellationToken);
        var result = await query();
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return result;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]{2,}")]
    private static partial Regex QueryWord();
}
