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

/// <summary>A search whose two halves are running, each on a connection of its own (<see cref="MemorySearch.Begin"/>).</summary>
public sealed record PendingSearch(string UserId, Task<List<Candidate>> Text, Task<List<Candidate>> Vector);

/// <summary>A memory one half of the search found, with what the fusion ranks by (the row itself is read only if it wins).</summary>
public sealed record Candidate(Guid Id, DateTimeOffset ValidFrom, DateTimeOffset RecordedAt, Guid? GraphNodeId, bool Current)
{
    internal static Candidate Read(System.Data.Common.DbDataReader r) =>
        new(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetGuid(3), r.GetBoolean(4));
}

/// <summary>
/// Hybrid retrieval: pgvector cosine neighbours and PostgreSQL full-text (English and Russian stems) find candidates;
/// recency and graph proximity to the active goals rank them too; reciprocal rank fusion combines the four lists.
/// Only active memories unless history is asked for. The two halves run side by side, beside what the caller reads; only the k winners are read whole.
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

    public async Task<List<SearchHit>> SearchAsync(string userId, string query, int k, MemoryKind? kind, bool includeInactive, CancellationToken cancellationToken)
    {
        var pending = Begin(userId, query, kind, includeInactive, cancellationToken);
        // This connection is idle while the query is embedded: the graph neighbourhood is read meanwhile.
        var nearGoals = await graph.NeighbourhoodOfActiveGoalsAsync(userId, 2, cancellationToken);
        return await CompleteAsync(pending, k, nearGoals, cancellationToken);
    }

    /// <summary>
    /// Starts both halves, neither on the caller's connection: the full-text half, and the vector half (embedding the query on the
    /// thread pool, then its query). The caller reads what else it needs meanwhile (the context: state, goals, facts), then calls
    /// <see cref="CompleteAsync"/>.
    /// </summary>
    public PendingSearch Begin(string userId, string query, MemoryKind? kind, bool includeInactive, CancellationToken cancellationToken)
    {
        var words = QueryWord().Matches(query).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(32).ToList();
        var text = words.Count == 0 ? Task.FromResult<List<Candidate>>([])
            : TextMatchesAsync(SecondConnection(), userId, words, kind, includeInactive, options.Value.Candidates, cancellationToken);
        var vector = EmbedThenVectorHalfAsync(SecondConnection(), userId, query, kind, includeInactive, cancellationToken);
        return new PendingSearch(userId, text, vector);
    }

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
        // A stale summary leaves both lists (after each took its top candidates, as a filter on the fused result would).
        var byVector = search.Vector.Result.Where(c => c.Current).ToList();
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

    private async Task<List<Candidate>> EmbedThenVectorHalfAsync(NpgsqlConnection connection, string userId, string query, MemoryKind? kind, bool includeInactive,
        CancellationToken cancellationToken)
    {
        await using (connection)
        {
            // The model's CPU work on the thread pool: Begin returns at once.
            var vector = await Task.Run(async () => (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray(), cancellationToken);
            await connection.OpenAsync(cancellationToken);
            return await VectorCandidatesAsync(connection, userId, vector, kind, includeInactive, options.Value.Candidates, options.Value, cancellationToken);
        }
    }

    /// <summary>
    /// Full-text matches in English or Russian, best first. Any query word may match (OR), stems and stop words per language. It reads
    /// the narrow <c>memory_texts</c> (about 260 bytes a row instead of 1.9 KB): a query of common words ranks a thousand rows or more.
    /// </summary>
    private static async Task<List<Candidate>> TextMatchesAsync(NpgsqlConnection connection, string userId, List<string> words, MemoryKind? kind, bool includeInactive,
        int limit, CancellationToken cancellationToken)
    {
        const string text = $"""
            SELECT t.memory_id AS id, row_number() OVER (ORDER BY ts_rank(t.search_vector, q.query) DESC, t.recorded_at DESC) AS rank FROM memory_texts t
            CROSS JOIN (SELECT websearch_to_tsquery('english', @text) || websearch_to_tsquery('russian', @text) AS query) q
            WHERE t.{UserFilter} AND t.search_vector @@ q.query
            ORDER BY rank LIMIT @limit
            """;
        await using (connection)
        {
            await connection.OpenAsync(cancellationToken);
            var parameters = FilterParameters(userId, kind, includeInactive, limit);
            parameters["text"] = string.Join(" or ", words);
            return await connection.QueryAsync(WithRankingColumns(text), parameters, Candidate.Read, null, cancellationToken);
        }
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
        await using var connection = SecondConnection();
        await connection.OpenAsync(cancellationToken);
        return (await VectorCandidatesAsync(connection, userId, vector, kind, includeInactive, limit, settings, cancellationToken)).Select(c => c.Id).ToList();
    }

    /// <summary>HNSW's settings are per transaction (SET LOCAL); the other modes need none, so they run without one.</summary>
    private static async Task<List<Candidate>> VectorCandidatesAsync(NpgsqlConnection connection, string userId, float[] vector, MemoryKind? kind, bool includeInactive,
        int limit, SearchOptions settings, CancellationToken cancellationToken)
    {
        var parameters = Parameters(userId, vector, kind, includeInactive, limit, settings);
        var sql = VectorSql(settings.VectorMode);
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

    /// <summary>
    /// The columns the fusion ranks by, of memories <c>m</c>; <c>current</c> is false for a stale summary unless history is asked for.
    /// <see cref="Candidate.Read"/> reads them in this order.
    /// </summary>
    private const string RankingColumns = $"m.id, m.valid_from, m.recorded_at, m.graph_node_id, @history OR {NotStaleSummary} AS current";

    /// <summary>The text half's rows (<c>id</c>, <c>rank</c>), best first, with what the fusion ranks by: only its top rows are read from memories.</summary>
    private static string WithRankingColumns(string half) => $"""
        SELECT {RankingColumns}
        FROM ({half}) h JOIN memories m ON m.id = h.id
        ORDER BY h.rank
        """;

    /// <summary>
    /// The user's nearest memories, nearest first, with what the fusion ranks by (read from the rows the distance was computed on),
    /// as SQL on the parameters of <see cref="Parameters"/>.
    /// </summary>
    private static string VectorSql(VectorSearchMode mode) => $"""
        SELECT {RankingColumns} FROM ({NearestSql(mode)}) m
        ORDER BY m.distance, m.id
        """;

    /// <summary>The nearest rows, with <c>distance</c> and the columns <see cref="RankingColumns"/> reads.</summary>
    private static string NearestSql(VectorSearchMode mode)
    {
        const string columns = "m.id, m.user_id, m.kind, m.content, m.source_session_id, m.valid_from, m.recorded_at, m.graph_node_id, m.embedding <=> @q::vector AS distance";
        return mode switch
        {
            VectorSearchMode.Quantized => $"""
                SELECT {columns}
                FROM (SELECT id FROM memories WHERE {UserFilter} ORDER BY embedding_bits <~> binary_quantize(@q::vector) LIMIT @pool) coarse
                JOIN memories m ON m.id = coarse.id
                ORDER BY distance, m.id LIMIT @limit
                """,
            // "+ 0" hides the ordering from the HNSW index, so the planner compares every row of the user (their rows via the btree index).
            VectorSearchMode.Exact => $"""
                SELECT {columns} FROM memories m WHERE m.{UserFilter}
                ORDER BY (m.embedding <=> @q::vector) + 0, m.id LIMIT @limit
                """,
            // relaxed_order may return neighbours slightly out of order; the outer ORDER BY puts them back.
            VectorSearchMode.Hnsw => $"""
                SELECT {columns} FROM memories m WHERE m.{UserFilter}
                ORDER BY m.embedding <=> @q::vector LIMIT @limit
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
    }

    private static Dictionary<string, object?> Parameters(string userId, float[] vector, MemoryKind? kind, bool includeInactive, int limit, SearchOptions settings)
    {
        var parameters = FilterParameters(userId, kind, includeInactive, limit);
        parameters["q"] = Sql.VectorLiteral(vector);
        parameters["pool"] = Math.Max(settings.RerankPool, limit);
        return parameters;
    }

    /// <summary>The parameters of <see cref="UserFilter"/> and the half's <c>@limit</c>.</summary>
    private static Dictionary<string, object?> FilterParameters(string userId, MemoryKind? kind, bool includeInactive, int limit) => new()
    {
        ["user"] = userId,
        ["history"] = includeInactive,
        ["kind"] = kind is { } value ? WireName.Of(value) : null,
        ["limit"] = limit,
    };

    [GeneratedRegex(@"[\p{L}\p{N}]{2,}")]
    private static partial Regex QueryWord();
}
