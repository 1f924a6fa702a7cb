using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Chat.Api.Clients;

/// <summary>
/// What Memory knows of the user (<c>GET /memory/context</c>): the portrait and similar past situations, the user's state
/// (with what waits on them), the graph around the active goals, and the memories closest to the message.
/// </summary>
public sealed record MemoryContextView(
    string? Summary, string? Mood, List<string>? Facts, List<string>? SimilarSituations,
    MemoryStateView? State = null, List<MemoryNodeView>? Goals = null, List<MemoryItemView>? Memories = null);

public sealed record MemoryStateView(
    string? LastSummary, string? Mood, List<string>? MoodTrend, List<MemoryStateGoalView>? ActiveGoals, List<string>? Preferences,
    List<MemoryPendingItemView>? PendingItems, int Version);

public sealed record MemoryStateGoalView(Guid GoalId, string Title, double Weight);

public sealed record MemoryPendingItemView(Guid EventId, string Title, string Status);

/// <summary>A node of the graph around the active goals; <see cref="Depth"/> 0 is an active goal itself.</summary>
public sealed record MemoryNodeView(Guid Id, string Kind, string Label, Guid? ExternalId, string? Status, double Weight, int? Depth);

public sealed record MemoryItemView(Guid Id, string Kind, string Content, double? Score, List<string>? SourceMessageIds, Guid? SessionId, bool IsActive);

/// <summary>
/// The Memory service's context (<c>GET /memory/context</c>), without a query at session start and with the user's message
/// (<c>q</c>, top <see cref="TurnK"/>) on each turn. Optional: when Memory is not configured, is
/// down, slow or its circuit is open, the conversation goes on without it. The call has a short deadline and never
/// throws (only the caller's own cancellation ends it).
/// </summary>
public sealed partial class MemoryClient(HttpClient http, IConfiguration configuration, TimeProvider time, ILogger<MemoryClient> logger)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(1500);

    /// <summary>How many memories a turn asks for.</summary>
    public const int TurnK = 8;

    /// <summary>Whether a Memory service address is configured (<c>services__memory-api__http__0</c>); without one, no call is made.</summary>
    public bool IsConfigured => configuration.GetSection($"services:{Aimi.ServiceDefaults.ResourceNames.MemoryApi}").Exists();

    /// <param name="query">The user's message on a turn; null at session start.</param>
    /// <param name="sessionId">The session asking on a turn: Memory leaves out its messages, which the prompt already has.</param>
    public async Task<MemoryContextView?> GetContextAsync(string token, string? query, Guid? sessionId, CancellationToken cancellationToken)
    {
        if (!IsConfigured || TokenExpiry.Of(token) <= time.GetUtcNow())
        {
            return null; // not configured, or a token Memory would only refuse: go on without long-term memory
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            var path = query is null ? "/memory/context"
                : $"/memory/context?q={Uri.EscapeDataString(Truncate(query))}&k={TurnK}{(sessionId is { } id ? $"&sessionId={id}" : "")}";
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogUnavailable(logger, $"HTTP {(int)response.StatusCode}");
                return null;
            }
            return await response.Content.ReadFromJsonAsync<MemoryContextView>(deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, e.GetType().Name);
            return null;
        }
    }

    // Memory refuses a query over 1000 characters; the start of a long message says what it is about.
    private static string Truncate(string query) =>
        query.Length <= MaxQueryLength ? query : query[..(char.IsHighSurrogate(query[MaxQueryLength - 1]) ? MaxQueryLength - 1 : MaxQueryLength)];

    private const int MaxQueryLength = 1000;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Memory service unavailable ({Reason}); going on without long-term memory")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
