using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Chat.Api.Clients;

/// <summary>
/// What Memory knows of the user (<c>POST /memory/context</c>): the portrait and similar past situations, the user's state
/// (with what waits on them), the graph around the active goals, and the memories closest to the message.
/// </summary>
public sealed record MemoryContextView(
    string? Summary, string? Mood, List<string>? Facts, List<string>? SimilarSituations,
    MemoryStateView? State = null, List<MemoryNodeView>? Goals = null, List<MemoryItemView>? Memories = null, List<MemoryItemView>? FactItems = null);

public sealed record MemoryStateView(
    string? LastSummary, string? Mood, List<string>? MoodTrend, List<MemoryStateGoalView>? ActiveGoals, List<string>? Preferences,
    List<MemoryPendingItemView>? PendingItems, int Version);

public sealed record MemoryStateGoalView(Guid GoalId, string Title, double Weight);

public sealed record MemoryPendingItemView(Guid EventId, string Title, string Status);

/// <summary>A node of the graph around the active goals; <see cref="Depth"/> 0 is an active goal itself.</summary>
public sealed record MemoryNodeView(Guid Id, string Kind, string Label, Guid? ExternalId, string? Status, double Weight, int? Depth);

/// <summary>A memory as Memory returns it (<c>MemoryItemResponse</c>): <see cref="ValidFrom"/> is when it was said or learnt; <see cref="Role"/> who said an episode.</summary>
public sealed record MemoryItemView(
    Guid Id, string Kind, string Content, double? Score, List<string>? SourceMessageIds, Guid? SessionId, bool IsActive,
    DateTimeOffset? ValidFrom = null, string? Role = null, string? Subject = null, string? Predicate = null, DateOnly? OccurredFrom = null, DateOnly? OccurredTo = null);

/// <summary>
/// The Memory service's context (<c>POST /memory/context</c>), without a query at session start and with the user's message
/// (<c>q</c>, top <see cref="TurnK"/>) on each turn. The message goes in the body, never in a URL, where access logs and traces
/// would keep it. Optional: when Memory is not configured, is
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
        var body = query is null ? new ContextQuery(null, null, null) : new ContextQuery(Truncate(query), TurnK, sessionId);
        try
        {
            using var response = await SendAsync(token, HttpMethod.Post, "/memory/context", Deadline, cancellationToken, JsonContent.Create(body));
            return await response.Content.ReadFromJsonAsync<MemoryContextView>(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (e is not MemoryUnavailableException)
            {
                LogUnavailable(logger, e.GetType().Name); // an answer that is no context
            }
            return null;
        }
    }

    /// <summary>
    /// <c>POST /memory/search</c>: the user's current memories closest to <paramref name="query"/>, optionally only those of the days
    /// <paramref name="from"/>..<paramref name="to"/>. For the assistant's <c>search_memory</c> and <c>forget_memory</c> tools.
    /// </summary>
    /// <exception cref="MemoryUnavailableException">Memory is not configured, down, slow or refused the request.</exception>
    public async Task<List<MemoryItemView>> SearchAsync(string token, string query, DateOnly? from, DateOnly? to, int k, CancellationToken cancellationToken)
    {
        var body = new SearchQuery(Truncate(query), k, from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        using var response = await SendAsync(token, HttpMethod.Post, "/memory/search", ToolDeadline, cancellationToken, JsonContent.Create(body));
        return await response.Content.ReadFromJsonAsync<List<MemoryItemView>>(cancellationToken) ?? [];
    }

    /// <summary><c>DELETE /memory/items/{id}</c>, the user's "forget this"; false when it was gone already.</summary>
    /// <exception cref="MemoryUnavailableException">Memory is not configured, down, slow or refused the request.</exception>
    public async Task<bool> DeleteItemAsync(string token, Guid id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(token, HttpMethod.Delete, $"/memory/items/{id:D}", ToolDeadline, cancellationToken, allowNotFound: true);
        return response.StatusCode != System.Net.HttpStatusCode.NotFound;
    }

    /// <summary><c>DELETE /memory/messages/{id}</c>: Memory drops and never keeps that chat message (a request to forget something).</summary>
    /// <exception cref="MemoryUnavailableException">Memory is not configured, down, slow or refused the request.</exception>
    public async Task ForgetMessageAsync(string token, Guid messageId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(token, HttpMethod.Delete, $"/memory/messages/{messageId:D}", ToolDeadline, cancellationToken);
    }

    // One request with the user's token within its deadline; the response is read whole (a refusal or a failure is logged and thrown).
    private async Task<HttpResponseMessage> SendAsync(
        string token, HttpMethod method, string path, TimeSpan within, CancellationToken cancellationToken, HttpContent? content = null, bool allowNotFound = false)
    {
        if (!IsConfigured)
        {
            throw new MemoryUnavailableException("Memory is not configured.");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, e.GetType().Name);
            throw new MemoryUnavailableException("Memory is unreachable right now.", e);
        }
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == System.Net.HttpStatusCode.NotFound))
        {
            return response;
        }
        var status = (int)response.StatusCode;
        response.Dispose();
        LogUnavailable(logger, $"HTTP {status}");
        throw new MemoryUnavailableException($"Memory answered {status}.");
    }

    /// <summary>How long a tool's call to Memory may take.</summary>
    public static readonly TimeSpan ToolDeadline = TimeSpan.FromSeconds(5);

    // Memory refuses a query over 1000 characters; the start of a long message says what it is about.
    private static string Truncate(string query) =>
        query.Length <= MaxQueryLength ? query : query[..(char.IsHighSurrogate(query[MaxQueryLength - 1]) ? MaxQueryLength - 1 : MaxQueryLength)];

    private const int MaxQueryLength = 1000;

    // Memory's request bodies (MemoryApi.ContextQuery and SearchQuery).
    private sealed record ContextQuery(string? Q, int? K, Guid? SessionId);

    private sealed record SearchQuery(string Q, int K, string? From, string? To);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Memory service unavailable ({Reason}); going on without long-term memory")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>Memory could not serve a tool's request (not configured, unreachable, timed out or refused).</summary>
public sealed class MemoryUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
