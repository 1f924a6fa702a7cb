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
    public int RerankPool { get; set; } = 400;
    /// <summary><c>hnsw.ef_search</c> in <see cref="VectorSearchMode.Hnsw"/> mode.</summary>
    public int EfSearch { get; set; } = 100;
}

public sealed record SearchHit(MemoryItem Memory, double Score);

/// <summary>
/// Hybrid retrieval: pgvector cosine neighbours and PostgreSQL full-text (English and Russian stems) find candidates;
/// recency and graph proximity to the active goals rank them too; reciprocal rank fusion combines the four lists.
/// Only active memories unless history is asked for. One statement finds and ranks the candidates, a second reads the k winners.
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

    private sealed record Candidate(Guid Id, long? VectorRank, long? TextRank, DateTimeOffset ValidFrom, DateTimeOffset RecordedAt, Guid? GraphNodeId);

    /// <param name="nearGoals">The graph neighbourhood of the active goals when the caller has it already (the context does); read here otherwise.</param>
    public async Task<List<SearchHit>> SearchAsync(string userId, string query, int k, MemoryKind? kind, bool includeInactive,
        IReadOnlyList<GraphHit>? nearGoals, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var vector = (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray();
        var words = QueryWord().Matches(query).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(32).ToList();
        var sql = $"""
            WITH by_vector AS ({VectorSql(settings.VectorMode)}),
            by_text AS (
                SELECT m.id, row_number() OVER (ORDER BY ts_rank(m.search_vector, q.query) DESC, m.recorded_at DESC) AS rank
                FROM memories m, (SELECT websearch_to_tsquery('english', @text) || websearch_to_tsquery('russian', @text) AS query) q
                WHERE m.{UserFilter} AND m.search_vector @@ q.query
                ORDER BY rank LIMIT @limit
            )
            SELECT m.id, v.rank, t.rank, m.valid_from, m.recorded_at, m.graph_node_id
            FROM by_vector v FULL JOIN by_text t ON t.id = v.id
            JOIN memories m ON m.id = coalesce(v.id, t.id)
            WHERE @history OR {NotStaleSummary}
            """;
        // Any query word may match (OR), stems and stop words per language; no words, no text matches.
        var parameters = Parameters(userId, vector, kind, includeInactive, settings.Candidates, settings);
        parameters["text"] = words.Count == 0 ? null : string.Join(" or ", words);
        var candidates = await WithVectorSettingsAsync(settings, () => db.QueryAsync(sql, parameters,
            r => new Candidate(r.GetGuid(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2),
                r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetGuid(5)), cancellationToken), cancellationToken);
        if (candidates.Count == 0)
        {
            return [];
        }

        var byVector = candidates.Where(c => c.VectorRank is not null).OrderBy(c => c.VectorRank).Select(c => c.Id).ToList();
        var byText = candidates.Where(c => c.TextRank is not null).OrderBy(c => c.TextRank).Select(c => c.Id).ToList();
        var byRecency = candidates.OrderByDescending(c => c.ValidFrom).ThenByDescending(c => c.RecordedAt).Select(c => c.Id).ToList();
        var near = (nearGoals ?? await graph.NeighbourhoodOfActiveGoalsAsync(userId, 2, cancellationToken)).ToDictionary(h => h.Node.Id);
        var byGraph = candidates.Where(c => c.GraphNodeId is { } node && near.ContainsKey(node))
            .OrderBy(c => near[c.GraphNodeId!.Value].Depth).ThenByDescending(c => near[c.GraphNodeId!.Value].Strength).Select(c => c.Id).ToList();

        var scores = new Dictionary<Guid, double>();
        // What the query matched leads; recency and graph proximity break ties among similar matches at half weight.
        foreach (var (list, weight) in new[] { (byVector, 1.0), (byText, 1.0), (byRecency, 0.5), (byGraph, 0.5) })
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                scores[list[rank]] = scores.GetValueOrDefault(list[rank]) + weight / (RrfK + rank + 1);
            }
        }
        // Recency and graph only reorder what the query found: every candidate came from the vector or the text list.
        var validFrom = candidates.ToDictionary(c => c.Id, c => c.ValidFrom);
        var winners = scores.OrderByDescending(s => s.Value).ThenByDescending(s => validFrom[s.Key]).Take(k).ToList();
        var ids = winners.Select(w => w.Key).ToList();
        var rows = await db.Memories.AsNoTracking().Where(m => m.UserId == userId && ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, cancellationToken);
        // A row deleted between the two statements is simply not returned.
        return winners.Where(w => rows.ContainsKey(w.Key)).Select(w => new SearchHit(rows[w.Key], Math.Round(w.Value, 6))).ToList();
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
        CancellationToken cancellationToken)
    {
        var parameters = Parameters(userId, vector, kind, includeInactive, limit, settings);
        return await WithVectorSettingsAsync(settings, () => db.QueryAsync($"SELECT id FROM ({VectorSql(settings.VectorMode)}) v ORDER BY rank", parameters,
            r => r.GetGuid(0), cancellationToken), cancellationToken);
    }

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
