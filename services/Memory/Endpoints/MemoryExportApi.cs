using System.Data;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.ServiceDefaults.Export;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Endpoints;

/// <summary>One memory with its provenance: the session and messages it came from, when it was true, and what replaced it.</summary>
public sealed record MemoryExport(
    Guid Id, MemoryKind Kind, string Content, bool IsActive, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo, DateTimeOffset RecordedAt,
    DateTimeOffset LastSeenAt, Guid? SupersededBy, Guid? SourceSessionId, IReadOnlyList<string> SourceMessageIds, int ReinforcementCount,
    string? Subject, string? Predicate, string? Value, Guid? GraphNodeId, string? Role, string? Context, string? Speaker, DateOnly? OccurredFrom,
    DateOnly? OccurredTo);

public sealed record SummaryExport(
    Guid Id, Guid SessionId, string Narrative, IReadOnlyList<string> Facts, IReadOnlyList<string> Intents, string? Mood, IReadOnlyList<string> Topics,
    DateTimeOffset StartedAt, DateTimeOffset EndedAt, DateTimeOffset CreatedAt);

public sealed record NodeExport(
    Guid Id, NodeKind Kind, string Key, string Label, Guid? ExternalId, string? Status, int SourceVersion, bool FeedbackRequested, double Weight,
    int Mentions, DateTimeOffset LastSeenAt, DateTimeOffset CreatedAt);

public sealed record EdgeExport(Guid Id, Guid From, Guid To, string Label, double Weight, DateTimeOffset LastSeenAt, DateTimeOffset CreatedAt);

public sealed record UserStateExport(
    string? LastSummary, Guid? LastSessionId, IReadOnlyList<string> MoodTrend, IReadOnlyList<StateGoalView> ActiveGoals, IReadOnlyList<string> Preferences,
    IReadOnlyList<PendingItemView> PendingItems, int Version, DateTimeOffset UpdatedAt);

/// <summary>An imported conversation: what came in and what became of it; <c>transcript</c> only while it waits (it is dropped once processed).</summary>
public sealed record ImportExport(
    Guid Id, string ConversationId, ImportStatus Status, int TranscriptBytes, int MessageCount, int Attempts, string? Error, DateTimeOffset CreatedAt,
    DateTimeOffset? ProcessedAt, RawJson? Transcript);

public sealed record ForgottenMessageExport(string MessageId, DateTimeOffset ForgottenAt);

/// <summary>
/// <c>GET /memory/export</c>: every memory of the caller (episodes, facts with their history, summaries, notes) with provenance,
/// the session summaries, the graph, the portrait, the statistics, the imports and the messages the user had Memory forget (ids
/// only), as one streamed document.
/// </summary>
public static class MemoryExportApi
{
    public static readonly IReadOnlyList<string> Omitted =
    [
        "Embeddings: 384 numbers per memory computed from its content by the embedding model; the content is exported.",
        "Full-text rows (memory_texts): the stems of each memory's content, kept by the database for search.",
        "Outbox rows: events sent to other services, deleted after sending.",
    ];

    public static IEndpointRouteBuilder MapMemoryExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/memory/export", Export).WithName("ExportMemory").WithTags("Memory").Produces(StatusCodes.Status200OK, contentType: "application/json");
        return app;
    }

    public static JsonExport Export([AsParameters] MemoryApiServices services)
    {
        var (db, userId) = (services.Db, services.UserId);
        return new JsonExport("memory", userId, Omitted, async export =>
        {
            var cancellationToken = export.CancellationToken;
            await using var snapshot = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

            var state = await db.States.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken);
            await export.ValueAsync("userState", state is null ? null : new UserStateExport(
                state.LastSummary, state.LastSessionId, state.MoodTrend, state.ActiveGoals, state.Preferences, state.PendingItems, state.Version, state.UpdatedAt));
            var stats = await db.Stats.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken);
            await export.ValueAsync("stats", stats is null ? null : new StatsResponse(
                stats.ActiveMemories, stats.InactiveMemories, stats.Summaries, stats.Nodes, stats.Edges, stats.Goals, stats.ReminderResponseRate, stats.ComputedAt));

            // The projection leaves the embedding (1.5 KB a row) in the database.
            var memories = db.Memories.AsNoTracking().Where(m => m.UserId == userId).OrderBy(m => m.RecordedAt).ThenBy(m => m.Id)
                .Select(m => new MemoryExport(
                    m.Id, m.Kind, m.Content, m.IsActive, m.ValidFrom, m.ValidTo, m.RecordedAt, m.LastSeenAt, m.SupersededBy, m.SourceSessionId,
                    m.SourceMessageIds, m.ReinforcementCount, m.Subject, m.Predicate, m.Value, m.GraphNodeId, m.Role, m.Context, m.Speaker,
                    m.OccurredFrom, m.OccurredTo));
            await export.ArrayAsync("memories", memories.AsAsyncEnumerable(), m => m);
            await export.ArrayAsync("summaries",
                db.Summaries.AsNoTracking().Where(s => s.UserId == userId).OrderBy(s => s.EndedAt).ThenBy(s => s.Id).AsAsyncEnumerable(),
                s => new SummaryExport(s.Id, s.SessionId, s.Narrative, s.Facts, s.Intents, s.Mood, s.Topics, s.StartedAt, s.EndedAt, s.CreatedAt));
            await export.ArrayAsync("graphNodes",
                db.Nodes.AsNoTracking().Where(n => n.UserId == userId).OrderBy(n => n.CreatedAt).ThenBy(n => n.Id).AsAsyncEnumerable(),
                n => new NodeExport(n.Id, n.Kind, n.Key, n.Label, n.ExternalId, n.Status, n.SourceVersion, n.FeedbackRequested, n.Weight, n.Mentions,
                    n.LastSeenAt, n.CreatedAt));
            await export.ArrayAsync("graphEdges",
                db.Edges.AsNoTracking().Where(e => e.UserId == userId).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).AsAsyncEnumerable(),
                e => new EdgeExport(e.Id, e.FromNodeId, e.ToNodeId, e.Label, e.Weight, e.LastSeenAt, e.CreatedAt));
            await export.ArrayAsync("imports",
                db.Imports.AsNoTracking().Where(i => i.UserId == userId).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).AsAsyncEnumerable(),
                i => new ImportExport(i.Id, i.ConversationId, i.Status, i.TranscriptBytes, i.MessageCount, i.Attempts, i.Error, i.CreatedAt, i.ProcessedAt,
                    RawJson.Of(i.Transcript)));
            await export.ArrayAsync("forgottenMessages",
                db.ForgottenMessages.AsNoTracking().Where(f => f.UserId == userId).OrderBy(f => f.ForgottenAt).ThenBy(f => f.MessageId).AsAsyncEnumerable(),
                f => new ForgottenMessageExport(f.MessageId, f.ForgottenAt));
        });
    }
}
