using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Endpoints;

public sealed record MemoryItemResponse(
    Guid Id, string Kind, string Content, double? Score, IReadOnlyList<string> SourceMessageIds, Guid? SessionId,
    DateTimeOffset ValidFrom, DateTimeOffset? ValidTo, bool IsActive, Guid? SupersededBy, int ReinforcementCount,
    string? Subject, string? Predicate, string? Value, string? Role, string? Speaker, DateOnly? OccurredFrom, DateOnly? OccurredTo);

public sealed record StateResponse(
    string? LastSummary, Guid? LastSessionId, string? Mood, IReadOnlyList<string> MoodTrend, IReadOnlyList<StateGoalView> ActiveGoals,
    IReadOnlyList<string> Preferences, IReadOnlyList<PendingItemView> PendingItems, int Version, DateTimeOffset? UpdatedAt);

public sealed record NodeResponse(Guid Id, string Kind, string Label, Guid? ExternalId, string? Status, double Weight, int Mentions, DateTimeOffset LastSeenAt, int? Depth);

public sealed record EdgeResponse(Guid Id, Guid From, Guid To, string Label, double Weight, DateTimeOffset LastSeenAt);

public sealed record GraphResponse(IReadOnlyList<NodeResponse> Nodes, IReadOnlyList<EdgeResponse> Edges);

/// <summary>
/// The starting context. <c>summary</c>, <c>mood</c>, <c>facts</c> and <c>similarSituations</c> are what Chat's prompt shows
/// today; <c>state</c>, <c>goals</c>, <c>memories</c> and <c>factItems</c> (the facts of <c>facts</c>, in its order) carry the
/// same with ids, times and scores.
/// </summary>
public sealed record ContextResponse(
    string? Summary, string? Mood, IReadOnlyList<string> Facts, IReadOnlyList<string> SimilarSituations,
    StateResponse State, IReadOnlyList<NodeResponse> Goals, IReadOnlyList<MemoryItemResponse> Memories, IReadOnlyList<MemoryItemResponse> FactItems);

public sealed record StatsResponse(
    int ActiveMemories, int InactiveMemories, int Summaries, int Nodes, int Edges, IReadOnlyList<GoalSuccess> Goals, double? ReminderResponseRate, DateTimeOffset ComputedAt);

/// <param name="ForgottenMessages">The messages Memory had been told to forget: with everything else gone, the list goes too.</param>
public sealed record ForgetResponse(int Memories, int Summaries, int Nodes, int Imports, int ForgottenMessages);

/// <summary>The body of <c>POST /memory/context</c>: the query string's fields, so the user's message stays out of URLs and traces.</summary>
public sealed record ContextQuery(string? Q, int? K, Guid? SessionId);

/// <summary>The body of <c>POST /memory/search</c>: the query string's fields of <c>GET</c>.</summary>
public sealed record SearchQuery(string? Q, int? K, string? Kind, bool? IncludeInactive, string? From, string? To);

public static class MemoryApi
{
    public const int MaxQueryLength = 1000;
    public const int DefaultK = 8;
    public const int MaxK = 50;
    public const int ContextFacts = 12;

    public static IEndpointRouteBuilder MapMemoryEndpoints(this IEndpointRouteBuilder app)
    {
        var memory = app.MapGroup("/memory").WithTags("Memory");
        memory.MapGet("/context", GetContext).WithName("GetMemoryContext");
        memory.MapPost("/context", PostContext).WithName("PostMemoryContext");
        memory.MapGet("/search", Search).WithName("SearchMemory");
        memory.MapPost("/search", PostSearch).WithName("PostSearchMemory");
        memory.MapGet("/state", GetState).WithName("GetUserState");
        memory.MapGet("/graph", GetGraph).WithName("GetGraph");
        memory.MapGet("/graph/nodes/{id:guid}/incoming", GetIncoming).WithName("GetIncomingNodes");
        memory.MapGet("/facts", GetFacts).WithName("GetFacts");
        memory.MapGet("/stats", GetStats).WithName("GetMemoryStats");
        memory.MapDelete("/items/{id:guid}", DeleteItem).WithName("DeleteMemoryItem");
        memory.MapDelete("/messages/{messageId}", ForgetMessage).WithName("ForgetMessage");
        memory.MapDelete("/", ForgetMe).WithName("ForgetMe");
        return app;
    }

    /// <param name="sessionId">The conversation asking: its own messages are in its prompt already, so none of its memories are returned.</param>
    public static async Task<Results<Ok<ContextResponse>, ValidationProblem>> GetContext(string? q, int? k, Guid? sessionId, [AsParameters] MemoryApiServices services)
    {
        if (Validate(q, k, queryRequired: false) is { } problem)
        {
            return problem;
        }
        var userId = services.UserId;
        // With a message, its full-text matches and its embedding are under way while the state, goals and facts are read.
        var pending = string.IsNullOrWhiteSpace(q) ? null
            : services.Search.Begin(userId, q, SearchScope.Current with { ExcludeSession = sessionId }, services.CancellationToken);
        var state = await StateOf(services);
        var neighbourhood = await services.Graph.NeighbourhoodOfActiveGoalsAsync(userId, 2, services.CancellationToken);
        var facts = await ContextFactsQuery(services.Db, userId).ToListAsync(services.CancellationToken);

        List<MemoryItemResponse> memories;
        List<string> similar;
        if (pending is null)
        {
            // No message yet: the latest situations stand in for similar ones.
            var recent = await services.Search.RecentSituationsAsync(userId, k ?? DefaultK, services.CancellationToken);
            memories = recent.Select(m => ToResponse(m, null)).ToList();
            similar = recent.Where(m => m.Kind == MemoryKind.Summary && m.Content != state.LastSummary).Take(3).Select(m => m.Content).ToList();
        }
        else
        {
            var hits = await services.Search.CompleteAsync(pending, k ?? DefaultK, neighbourhood, services.CancellationToken);
            memories = hits.Select(h => ToResponse(h.Memory, h.Score)).ToList();
            similar = hits.Where(h => h.Memory.Kind is MemoryKind.Summary or MemoryKind.Note).Select(h => h.Memory.Content).ToList();
        }

        return TypedResults.Ok(new ContextResponse(
            state.LastSummary,
            state.Mood,
            facts.Select(f => f.Content).ToList(),
            similar,
            state,
            neighbourhood.Select(h => ToResponse(h.Node, h.Depth)).ToList(),
            memories,
            facts.Select(f => ToResponse(f, null)).ToList()));
    }

    /// <summary>The context as <see cref="GetContext"/> answers it, asked in a body: what Chat sends, as the query is the user's message.</summary>
    public static Task<Results<Ok<ContextResponse>, ValidationProblem>> PostContext(ContextQuery query, [AsParameters] MemoryApiServices services) =>
        GetContext(query.Q, query.K, query.SessionId, services);

    /// <summary>The search as <see cref="Search"/> answers it, asked in a body.</summary>
    public static Task<Results<Ok<List<MemoryItemResponse>>, ValidationProblem>> PostSearch(SearchQuery query, [AsParameters] MemoryApiServices services) =>
        Search(query.Q, query.K, query.Kind, query.IncludeInactive, query.From, query.To, services);

    /// <param name="from">With <paramref name="to"/>: only memories of these days (said then, or naming a day then), dates as <c>2023-05-07</c>.</param>
    public static async Task<Results<Ok<List<MemoryItemResponse>>, ValidationProblem>> Search(
        string? q, int? k, string? kind, bool? includeInactive, string? from, string? to, [AsParameters] MemoryApiServices services)
    {
        if (Validate(q, k, queryRequired: true) is { } problem)
        {
            return problem;
        }
        MemoryKind? filter = null;
        if (kind is not null)
        {
            if (!WireName.TryParse<MemoryKind>(kind, out var parsed))
            {
                return Problems.Invalid("kind", $"Must be one of: {string.Join(", ", WireName.All<MemoryKind>())}.");
            }
            filter = parsed;
        }
        var (period, invalid) = PeriodOf(from, to);
        if (invalid is not null)
        {
            return invalid;
        }
        var scope = new SearchScope(filter, includeInactive ?? false, period);
        var hits = await services.Search.SearchAsync(services.UserId, q!, k ?? DefaultK, scope, services.CancellationToken);
        return TypedResults.Ok(hits.Select(h => ToResponse(h.Memory, h.Score)).ToList());
    }

    public static async Task<Ok<StateResponse>> GetState([AsParameters] MemoryApiServices services) => TypedResults.Ok(await StateOf(services));

    public static async Task<Ok<GraphResponse>> GetGraph([AsParameters] MemoryApiServices services)
    {
        var userId = services.UserId;
        var nodes = await services.Db.Nodes.AsNoTracking().Where(n => n.UserId == userId)
            .OrderBy(n => n.Kind).ThenByDescending(n => n.Weight).ToListAsync(services.CancellationToken);
        var edges = await services.Db.Edges.AsNoTracking().Where(e => e.UserId == userId)
            .OrderByDescending(e => e.Weight).ToListAsync(services.CancellationToken);
        return TypedResults.Ok(new GraphResponse(
            nodes.Select(n => ToResponse(n, null)).ToList(),
            edges.Select(e => new EdgeResponse(e.Id, e.FromNodeId, e.ToNodeId, e.Label, Math.Round(e.Weight, 4), e.LastSeenAt)).ToList()));
    }

    /// <summary>"What supports goal X" (<c>label=supports</c>), "what affects state Y" (<c>label=affects</c>), up to <c>depth</c> hops.</summary>
    public static async Task<Results<Ok<List<NodeResponse>>, ValidationProblem, ProblemHttpResult>> GetIncoming(
        Guid id, string? label, int? depth, [AsParameters] MemoryApiServices services)
    {
        if (label is not null && label is not (EdgeLabels.Supports or EdgeLabels.Affects))
        {
            return Problems.Invalid("label", $"Must be {EdgeLabels.Supports} or {EdgeLabels.Affects}.");
        }
        if (depth is < 1 or > 4)
        {
            return Problems.Invalid("depth", "Must be between 1 and 4.");
        }
        var userId = services.UserId;
        if (!await services.Db.Nodes.AnyAsync(n => n.Id == id && n.UserId == userId, services.CancellationToken))
        {
            return Problems.NotFound("Node", id);
        }
        var hits = await services.Graph.IncomingAsync(userId, id, label, depth ?? 3, services.CancellationToken);
        return TypedResults.Ok(hits.Select(h => ToResponse(h.Node, h.Depth)).ToList());
    }

    public static async Task<Ok<List<MemoryItemResponse>>> GetFacts(bool? includeInactive, [AsParameters] MemoryApiServices services)
    {
        var userId = services.UserId;
        var history = includeInactive ?? false;
        var facts = await services.Db.Memories.AsNoTracking()
            .Where(m => m.UserId == userId && m.Kind == MemoryKind.Fact && (history || m.IsActive))
            .OrderBy(m => m.Subject).ThenBy(m => m.Predicate).ThenByDescending(m => m.ValidFrom)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(facts.Select(m => ToResponse(m, null)).ToList());
    }

    public static async Task<Ok<StatsResponse>> GetStats([AsParameters] MemoryApiServices services)
    {
        var userId = services.UserId;
        // Figures from the cleanup worker's last pass; a user it has not reached yet gets them computed now.
        var stats = await services.Db.Stats.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId, services.CancellationToken)
            ?? await services.Stats.ComputeAsync(userId, services.Time.GetUtcNow(), services.CancellationToken);
        return TypedResults.Ok(new StatsResponse(stats.ActiveMemories, stats.InactiveMemories, stats.Summaries, stats.Nodes, stats.Edges, stats.Goals,
            stats.ReminderResponseRate, stats.ComputedAt));
    }

    /// <summary>
    /// "Forget this": the memory is deleted (not deactivated), and the facts it had replaced stay history. An episode's or a fact's
    /// messages are forgotten with it, so a session end or an import carrying them again neither stores nor re-extracts them.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteItem(Guid id, [AsParameters] MemoryApiServices services)
    {
        var userId = services.UserId;
        var db = services.Db;
        var ct = services.CancellationToken;
        var now = services.Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.LockForForgettingAsync(userId, ct);
        if (await db.DeleteMemoryAsync(userId, id, ct) is not { } deleted)
        {
            return Problems.NotFound("Memory", id);
        }
        if (deleted.Kind is MemoryKind.Episode or MemoryKind.Fact)
        {
            await db.ForgetMessagesAsync(userId, deleted.SourceMessageIds, now, ct);
        }
        else if (deleted.Kind == MemoryKind.Summary && deleted.SourceSessionId is { } session)
        {
            // The session's narrative is what the portrait (lastSummary) shows: it goes with the summary. The row stays, emptied,
            // as the mark that the session was remembered (a republished end must not summarise it again).
            await db.Summaries.Where(s => s.UserId == userId && s.SessionId == session)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Narrative, "").SetProperty(x => x.Facts, new List<string>()), ct);
        }
        await db.Memories.Where(m => m.UserId == userId && m.SupersededBy == id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SupersededBy, (Guid?)null), ct);
        await services.States.RefreshAsync(userId, UserStateReasons.Forgotten, now, ct, announceOnlyIfChanged: true);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// "Forget what I said there": the message's episodes are deleted and the message is recorded as forgotten, so it is never
    /// stored or derived from, also when it was not stored yet (a chat message is stored seconds after it was said). 204 either way.
    /// </summary>
    /// <param name="messageId">A chat message id, or an imported conversation's own message id.</param>
    public static async Task<Results<NoContent, ValidationProblem>> ForgetMessage(string messageId, [AsParameters] MemoryApiServices services)
    {
        // Routing leaves an escaped slash escaped ("chat%2F17"); an imported id was stored as the client sent it.
        messageId = Uri.UnescapeDataString(messageId);
        if (string.IsNullOrWhiteSpace(messageId) || messageId.Length > MemoryDbContext.MessageIdMaxLength)
        {
            return Problems.Invalid("messageId", $"Required, at most {MemoryDbContext.MessageIdMaxLength} characters.");
        }
        var userId = services.UserId;
        var db = services.Db;
        var ct = services.CancellationToken;
        var now = services.Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.LockForForgettingAsync(userId, ct);
        var deleted = await db.DeleteEpisodesOfAsync(userId, messageId, ct);
        await db.ForgetMessagesAsync(userId, [messageId], now, ct);
        if (deleted > 0)
        {
            await services.States.RefreshAsync(userId, UserStateReasons.Forgotten, now, ct, announceOnlyIfChanged: true);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Forget me: every memory, summary, graph node and edge, import, figure and forgotten message of the user; the state is emptied.
    /// Race-free: it waits for writes in flight to commit and deletes them too, and it leaves a mark dated now, so a write that was
    /// waiting (or a message that occurred before it and arrives later) adds nothing back.
    /// </summary>
    public static async Task<Ok<ForgetResponse>> ForgetMe([AsParameters] MemoryApiServices services)
    {
        var userId = services.UserId;
        var db = services.Db;
        var ct = services.CancellationToken;
        var now = services.Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.LockForForgettingAsync(userId, ct);
        var deleted = await db.DeleteEverythingOfAsync(userId, ct);
        await services.States.ClearAsync(userId, now, ct);
        await db.RecordErasedAsync(userId, Guid.Empty, now, now, release: now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(new ForgetResponse(deleted.Memories, deleted.Summaries, deleted.Nodes, deleted.Imports, deleted.ForgottenMessages));
    }

    internal static MemoryItemResponse ToResponse(MemoryItem m, double? score) => new(
        m.Id, WireName.Of(m.Kind), m.Content, score, m.SourceMessageIds, m.SourceSessionId, m.ValidFrom, m.ValidTo, m.IsActive, m.SupersededBy,
        m.ReinforcementCount, m.Subject, m.Predicate, m.Value, m.Role, m.Speaker, m.OccurredFrom, m.OccurredTo);

    private static NodeResponse ToResponse(GraphNode n, int? depth) =>
        new(n.Id, WireName.Of(n.Kind), n.Label, n.ExternalId, n.Status, Math.Round(n.Weight, 4), n.Mentions, n.LastSeenAt, depth);

    // The context's reads, compiled once as Chat asks for a context every turn: EF Core otherwise walks and hashes a LINQ query's
    // expression on every run (issue 17).
    private static readonly Func<MemoryDbContext, string, IAsyncEnumerable<MemoryItem>> ContextFactsQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId) => db.Memories.AsNoTracking().Where(m => m.UserId == userId && m.IsActive && m.Kind == MemoryKind.Fact)
            .OrderByDescending(m => m.ReinforcementCount).ThenByDescending(m => m.ValidFrom).Take(ContextFacts));

    private static readonly Func<MemoryDbContext, string, CancellationToken, Task<UserState?>> StateQuery = EF.CompileAsyncQuery(
        (MemoryDbContext db, string userId, CancellationToken _) => db.States.AsNoTracking().SingleOrDefault(s => s.UserId == userId));

    private static async Task<StateResponse> StateOf(MemoryApiServices services)
    {
        var userId = services.UserId;
        var state = await StateQuery(services.Db, userId, services.CancellationToken);
        return state is null
            ? new StateResponse(null, null, null, [], [], [], [], 0, null)
            : new StateResponse(state.LastSummary, state.LastSessionId, state.MoodTrend.FirstOrDefault(), state.MoodTrend, state.ActiveGoals,
                state.Preferences, state.PendingItems, state.Version, state.UpdatedAt);
    }

    /// <summary><c>from</c>/<c>to</c> as a period: either may be left out (open), but not made of something other than a date, nor reversed.</summary>
    private static (DateSpan? Period, ValidationProblem? Problem) PeriodOf(string? from, string? to)
    {
        var errors = new Dictionary<string, string[]>();
        var start = DateOf(from, "from", errors);
        var end = DateOf(to, "to", errors);
        if (errors.Count > 0)
        {
            return (null, Problems.Invalid(errors));
        }
        if (start is null && end is null)
        {
            return (null, null);
        }
        var first = start ?? DateOnly.MinValue;
        var last = end ?? DateOnly.MaxValue;
        return last < first
            ? (null, Problems.Invalid("to", "Must not be before from."))
            : (new DateSpan(first, last, $"{first:yyyy-MM-dd}..{last:yyyy-MM-dd}"), null);
    }

    private static DateOnly? DateOf(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
        {
            return date;
        }
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var moment))
        {
            return DateOnly.FromDateTime(moment.UtcDateTime);
        }
        errors[field] = ["A date (2023-05-07) or an ISO 8601 date and time."];
        return null;
    }

    private static ValidationProblem? Validate(string? q, int? k, bool queryRequired)
    {
        var errors = new Dictionary<string, string[]>();
        if (queryRequired && string.IsNullOrWhiteSpace(q))
        {
            errors["q"] = ["Required."];
        }
        else if (q is { Length: > MaxQueryLength })
        {
            errors["q"] = [$"At most {MaxQueryLength} characters."];
        }
        if (k is < 1 or > MaxK)
        {
            errors["k"] = [$"Must be between 1 and {MaxK}."];
        }
        return errors.Count == 0 ? null : Problems.Invalid(errors);
    }
}
