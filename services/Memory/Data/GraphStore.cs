using Aimi.Memory.Api.Domain;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Data;

/// <summary>A node reached by a traversal, with how far it is and how strongly it is connected along the way.</summary>
public sealed record GraphHit(GraphNode Node, int Depth, double Strength);

/// <summary>
/// The user's graph memory as a PostgreSQL graph schema (<c>graph_nodes</c>, <c>graph_edges</c>), traversed with
/// recursive CTEs. Every method is scoped by the user. It is the only graph backend today (no Neo4j here); its
/// methods are the seam a second backend would implement.
/// </summary>
public sealed class GraphStore(MemoryDbContext db)
{
    public static readonly string[] PendingStatuses = ["pending_confirmation", "planned", "scheduled", "awaiting_feedback", "postponed"];

    /// <summary>
    /// Mirrors a Goals record. Returns null when <paramref name="version"/> is older than the one already applied
    /// (messages can arrive out of order), so the caller changes nothing.
    /// </summary>
    public async Task<GraphNode?> MirrorAsync(string userId, NodeKind kind, Guid externalId, string label, string status, int version,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var node = await FindAsync(userId, kind, externalId.ToString(), cancellationToken);
        if (node is null)
        {
            node = NewNode(userId, kind, externalId.ToString(), label, now, externalId);
            db.Nodes.Add(node);
        }
        else if (version <= node.SourceVersion)
        {
            return null;
        }
        node.Label = label;
        node.Status = status;
        node.SourceVersion = version;
        return node;
    }

    /// <summary>The mirrored node of a Goals record, created as a placeholder when its own event has not arrived yet.</summary>
    public async Task<GraphNode> MirroredAsync(string userId, NodeKind kind, Guid externalId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var node = await FindAsync(userId, kind, externalId.ToString(), cancellationToken);
        if (node is null)
        {
            node = NewNode(userId, kind, externalId.ToString(), "", now, externalId);
            db.Nodes.Add(node);
        }
        return node;
    }

    /// <summary>A State, Context or Person node named <paramref name="key"/>, created on first mention.</summary>
    public async Task<GraphNode> EnsureAsync(string userId, NodeKind kind, string key, string label, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var normalised = key.Trim().ToLowerInvariant();
        var node = await FindAsync(userId, kind, normalised, cancellationToken);
        if (node is null)
        {
            node = NewNode(userId, kind, normalised, label, now, null);
            db.Nodes.Add(node);
        }
        return node;
    }

    /// <summary>Adds to the edge's weight (creating it), so links that keep coming up grow stronger.</summary>
    public async Task ConnectAsync(string userId, GraphNode from, GraphNode to, string label, DateTimeOffset now, CancellationToken cancellationToken, double by = 1)
    {
        if (from.Id == to.Id)
        {
            return;
        }
        var edge = db.Edges.Local.FirstOrDefault(e => e.UserId == userId && e.FromNodeId == from.Id && e.ToNodeId == to.Id && e.Label == label)
            ?? await db.Edges.SingleOrDefaultAsync(e => e.UserId == userId && e.FromNodeId == from.Id && e.ToNodeId == to.Id && e.Label == label, cancellationToken);
        if (edge is null)
        {
            db.Edges.Add(new GraphEdge
            {
                Id = Guid.CreateVersion7(now),
                UserId = userId,
                FromNodeId = from.Id,
                ToNodeId = to.Id,
                Label = label,
                Weight = by,
                LastSeenAt = now,
                DecayedAt = now,
                CreatedAt = now,
            });
            return;
        }
        edge.Weight += by;
        edge.LastSeenAt = now;
    }

    public ValueTask<List<GraphNode>> ActiveGoalsAsync(string userId, CancellationToken cancellationToken) =>
        ActiveGoalsQuery(db, userId).ToListAsync(cancellationToken);

    // Compiled once, as they run for every context, chat message or event: EF Core otherwise walks, hashes and looks up a LINQ
    // query's expression on each run, about 0.1 ms of CPU (issue 17).
    private static readonly Func<MemoryDbContext, string, IAsyncEnumerable<GraphNode>> ActiveGoalsQuery = EF.CompileAsyncQuery<MemoryDbContext, string, GraphNode>(
        (MemoryDbContext db, string userId) => db.Nodes.Where(n => n.UserId == userId && n.Kind == NodeKind.Goal && n.Status == "active")
            .OrderByDescending(n => n.Weight).ThenBy(n => n.CreatedAt));

    private static readonly Func<MemoryDbContext, string, Guid[], IAsyncEnumerable<GraphNode>> NodesQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId, Guid[] ids) => db.Nodes.AsNoTracking().Where(n => n.UserId == userId && ids.Contains(n.Id)));

    private static readonly Func<MemoryDbContext, string, NodeKind, string, CancellationToken, Task<GraphNode?>> NodeByKeyQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId, NodeKind kind, string key, CancellationToken _) =>
            db.Nodes.SingleOrDefault(n => n.UserId == userId && n.Kind == kind && n.Key == key));

    /// <summary>What leads into <paramref name="nodeId"/> ("what supports goal X", "what affects state Y"), up to <paramref name="maxDepth"/> hops.</summary>
    public Task<List<GraphHit>> IncomingAsync(string userId, Guid nodeId, string? label, int maxDepth, CancellationToken cancellationToken) =>
        WalkAsync(userId, [nodeId], label, maxDepth, bothWays: false, cancellationToken);

    /// <summary>Everything within <paramref name="maxDepth"/> hops of the active goals, either direction.</summary>
    public async Task<List<GraphHit>> NeighbourhoodOfActiveGoalsAsync(string userId, int maxDepth, CancellationToken cancellationToken)
    {
        var goals = await ActiveGoalsAsync(userId, cancellationToken);
        var around = await WalkAsync(userId, goals.Select(g => g.Id).ToArray(), null, maxDepth, bothWays: true, cancellationToken);
        return goals.Select(g => new GraphHit(g, 0, g.Weight)).Concat(around.Where(h => h.Depth > 0)).ToList();
    }

    private async Task<List<GraphHit>> WalkAsync(string userId, Guid[] start, string? label, int maxDepth, bool bothWays, CancellationToken cancellationToken)
    {
        if (start.Length == 0)
        {
            return [];
        }
        // Incoming edges only, or both directions; the path array stops cycles.
        var step = bothWays
            ? "JOIN graph_edges e ON e.user_id = @user AND (e.to_node_id = w.node_id OR e.from_node_id = w.node_id) AND (@label::text IS NULL OR e.label = @label) " +
              "CROSS JOIN LATERAL (SELECT CASE WHEN e.to_node_id = w.node_id THEN e.from_node_id ELSE e.to_node_id END AS next_id) n"
            : "JOIN graph_edges e ON e.user_id = @user AND e.to_node_id = w.node_id AND (@label::text IS NULL OR e.label = @label) " +
              "CROSS JOIN LATERAL (SELECT e.from_node_id AS next_id) n";
        var sql = $"""
            WITH RECURSIVE walk(node_id, depth, path, strength) AS (
                SELECT id, 0, ARRAY[id], 1.0::double precision FROM graph_nodes WHERE user_id = @user AND id = ANY(@start)
                UNION ALL
                SELECT n.next_id, w.depth + 1, w.path || n.next_id, w.strength * e.weight
                FROM walk w {step}
                WHERE w.depth < @max AND NOT n.next_id = ANY(w.path)
            )
            SELECT node_id, min(depth) AS depth, max(strength) AS strength FROM walk WHERE depth > 0 GROUP BY node_id
            """;
        var rows = await db.QueryAsync(sql, new Dictionary<string, object?> { ["user"] = userId, ["start"] = start, ["label"] = label, ["max"] = maxDepth },
            r => (Id: r.GetGuid(0), Depth: r.GetInt32(1), Strength: r.GetDouble(2)), cancellationToken);
        var nodes = await NodesQuery(db, userId, rows.Select(r => r.Id).ToArray()).ToDictionaryAsync(n => n.Id, cancellationToken: cancellationToken);
        return rows.Where(r => nodes.ContainsKey(r.Id))
            .Select(r => new GraphHit(nodes[r.Id], r.Depth, r.Strength))
            .OrderBy(h => h.Depth).ThenByDescending(h => h.Strength).ToList();
    }

    private async Task<GraphNode?> FindAsync(string userId, NodeKind kind, string key, CancellationToken cancellationToken) =>
        db.Nodes.Local.FirstOrDefault(n => n.UserId == userId && n.Kind == kind && n.Key == key)
        ?? await NodeByKeyQuery(db, userId, kind, key, cancellationToken);

    private static GraphNode NewNode(string userId, NodeKind kind, string key, string label, DateTimeOffset now, Guid? externalId) => new()
    {
        Id = Guid.CreateVersion7(now),
        UserId = userId,
        Kind = kind,
        Key = key,
        Label = label,
        ExternalId = externalId,
        Weight = 1,
        LastSeenAt = now,
        DecayedAt = now,
        CreatedAt = now,
    };
}
