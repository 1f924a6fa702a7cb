using System.Text.RegularExpressions;
using Aimi.Memory.Api.Domain;
using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Aimi.Memory.Api.Data;

/// <summary>How the vector half finds neighbours (<c>Memory:Search:VectorMode</c>).</summary>
public enum VectorSearchMode
{
    /// <summary>Every memory of the user is compared (a user holds thousands at most): recall 1.</summary>
    Exact,

    /// <summary>The HNSW index with pgvector 0.8 iterative scans, so the user filter still yields k rows.</summary>
    Hnsw,
}

public sealed class SearchOptions
{
    public VectorSearchMode VectorMode { get; set; } = VectorSearchMode.Exact;
    /// <summary>Candidates each ranked list contributes to the fusion.</summary>
    public int Candidates { get; set; } = 50;
    /// <summary><c>hnsw.ef_search</c> in <see cref="VectorSearchMode.Hnsw"/> mode.</summary>
    public int EfSearch { get; set; } = 100;
}

public sealed record SearchHit(MemoryItem Memory, double Score);

/// <summary>
/// Hybrid retrieval: pgvector cosine neighbours and PostgreSQL full-text (English and Russian stems) find candidates;
/// recency and graph proximity to the active goals rank them too; reciprocal rank fusion combines the four lists.
/// Only active memories unless history is asked for.
/// </summary>
public sealed partial class MemorySearch(MemoryDbContext db, IEmbeddingGenerator<string, Embedding<float>> embedder, GraphStore graph, IOptions<SearchOptions> options)
{
    /// <summary>The usual RRF constant: a list's top ranks matter, no single list dominates.</summary>
    public const int RrfK = 60;

    public async Task<List<SearchHit>> SearchAsync(string userId, string query, int k, MemoryKind? kind, bool includeInactive, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var vector = (await embedder.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray();
        var kindName = kind is { } value ? WireName.Of(value) : null;

        var byVector = await VectorNeighboursAsync(userId, vector, kindName, includeInactive, settings.Candidates, settings, cancellationToken);
        var byText = await TextMatchesAsync(userId, query, kindName, includeInactive, settings.Candidates, cancellationToken);

        var candidateIds = byVector.Concat(byText).Distinct().ToList();
        if (candidateIds.Count == 0)
        {
            return [];
        }
        var found = await db.Memories.AsNoTracking().Where(m => m.UserId == userId && candidateIds.Contains(m.Id)).ToListAsync(cancellationToken);
        var memories = (includeInactive ? found : await WithoutStaleSummariesAsync(userId, found, cancellationToken)).ToDictionary(m => m.Id);
        byVector = byVector.Where(memories.ContainsKey).ToList();
        byText = byText.Where(memories.ContainsKey).ToList();
        var byRecency = memories.Values.OrderByDescending(m => m.ValidFrom).ThenByDescending(m => m.RecordedAt).Select(m => m.Id).ToList();
        var near = (await graph.NeighbourhoodOfActiveGoalsAsync(userId, 2, cancellationToken)).ToDictionary(h => h.Node.Id);
        var byGraph = memories.Values.Where(m => m.GraphNodeId is { } node && near.ContainsKey(node))
            .OrderBy(m => near[m.GraphNodeId!.Value].Depth).ThenByDescending(m => near[m.GraphNodeId!.Value].Strength).Select(m => m.Id).ToList();

        var scores = new Dictionary<Guid, double>();
        // What the query matched leads; recency and graph proximity break ties among similar matches at half weight.
        foreach (var (list, weight) in new[] { (byVector, 1.0), (byText, 1.0), (byRecency, 0.5), (byGraph, 0.5) })
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                scores[list[rank]] = scores.GetValueOrDefault(list[rank]) + weight / (RrfK + rank + 1);
            }
        }
        // Recency and graph only reorder what the query found; a memory neither list matched is not an answer.
        return scores.Where(s => memories.ContainsKey(s.Key))
            .OrderByDescending(s => s.Value).ThenByDescending(s => memories[s.Key].ValidFrom)
            .Take(k).Select(s => new SearchHit(memories[s.Key], Math.Round(s.Value, 6))).ToList();
    }

    /// <summary>
    /// A session's summary repeats what was said then; once a fact said in it is superseded, the summary would present the
    /// old value as current, so it is left out of current results (it stays in history).
    /// </summary>
    public async Task<List<MemoryItem>> WithoutStaleSummariesAsync(string userId, List<MemoryItem> memories, CancellationToken cancellationToken)
    {
        var sessions = memories.Where(m => m.Kind == MemoryKind.Summary && m.SourceSessionId != null).Select(m => m.SourceSessionId!.Value).Distinct().ToList();
        if (sessions.Count == 0)
        {
            return memories;
        }
        var superseded = await db.Memories.AsNoTracking()
            .Where(m => m.UserId == userId && m.Kind == MemoryKind.Fact && !m.IsActive && m.SourceSessionId != null && sessions.Contains(m.SourceSessionId.Value))
            .Select(m => new { m.SourceSessionId, m.Content })
            .ToListAsync(cancellationToken);
        return memories.Where(m => m.Kind != MemoryKind.Summary
            || !superseded.Any(f => f.SourceSessionId == m.SourceSessionId && m.Content.Contains(f.Content, StringComparison.Ordinal))).ToList();
    }

    /// <summary>The nearest memories by cosine distance, nearest first.</summary>
    public async Task<List<Guid>> VectorNeighboursAsync(string userId, float[] vector, string? kind, bool includeInactive, int limit, SearchOptions settings,
        CancellationToken cancellationToken)
    {
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        // Exact: no index scan at all, so the planner takes the user's rows (bitmap scan) and sorts them by distance.
        // HNSW: iterative scans keep walking the graph until enough rows pass the user filter (pgvector 0.8).
        var setup = settings.VectorMode == VectorSearchMode.Exact
            ? "SET LOCAL enable_indexscan = off"
            : $"SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {settings.EfSearch}";
        await db.Database.ExecuteSqlRawAsync(setup, cancellationToken);
        var rows = await db.QueryAsync(
            """
            SELECT id, embedding <=> @q::vector AS distance FROM memories
            WHERE user_id = @user AND (is_active OR @history) AND (@kind::text IS NULL OR kind = @kind)
            ORDER BY embedding <=> @q::vector LIMIT @limit
            """,
            new Dictionary<string, object?> { ["q"] = Sql.VectorLiteral(vector), ["user"] = userId, ["history"] = includeInactive, ["kind"] = kind, ["limit"] = limit },
            r => (Id: r.GetGuid(0), Distance: r.GetDouble(1)), cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        // relaxed_order may return neighbours slightly out of order.
        return rows.OrderBy(r => r.Distance).Select(r => r.Id).ToList();
    }

    /// <summary>Full-text matches in English or Russian, best first. Any query word may match (OR), stems and stop words per language.</summary>
    public async Task<List<Guid>> TextMatchesAsync(string userId, string query, string? kind, bool includeInactive, int limit, CancellationToken cancellationToken)
    {
        var words = QueryWord().Matches(query).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(32).ToList();
        if (words.Count == 0)
        {
            return [];
        }
        var orQuery = string.Join(" or ", words);
        var rows = await db.QueryAsync(
            """
            SELECT m.id FROM memories m
            CROSS JOIN (SELECT websearch_to_tsquery('english', @text) || websearch_to_tsquery('russian', @text) AS query) q
            WHERE m.user_id = @user AND (m.is_active OR @history) AND (@kind::text IS NULL OR m.kind = @kind) AND m.search_vector @@ q.query
            ORDER BY ts_rank(m.search_vector, q.query) DESC, m.recorded_at DESC LIMIT @limit
            """,
            new Dictionary<string, object?> { ["text"] = orQuery, ["user"] = userId, ["history"] = includeInactive, ["kind"] = kind, ["limit"] = limit },
            r => r.GetGuid(0), cancellationToken);
        return rows;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]{2,}")]
    private static partial Regex QueryWord();
}
