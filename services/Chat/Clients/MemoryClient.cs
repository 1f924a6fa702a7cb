using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Chat.Api.Clients;

/// <summary>What Memory knows of the user for a new conversation: the portrait and similar past situations.</summary>
public sealed record MemoryContextView(string? Summary, string? Mood, List<string>? Facts, List<string>? SimilarSituations);

/// <summary>
/// The Memory service's starting context (<c>GET /memory/context</c>). Optional: when Memory is not configured, is
/// down, slow or its circuit is open, the conversation goes on without it. The call has a short deadline and never
/// throws (only the caller's own cancellation ends it).
/// </summary>
public sealed partial class MemoryClient(HttpClient http, IConfiguration configuration, TimeProvider time, ILogger<MemoryClient> logger)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(1500);

    /// <summary>Whether a Memory service address is configured (<c>services__memory-api__http__0</c>); without one, no call is made.</summary>
    public bool IsConfigured => configuration.GetSection($"services:{Aimi.ServiceDefaults.ResourceNames.MemoryApi}").Exists();

    public async Task<MemoryContextView?> GetContextAsync(string token, CancellationToken cancellationToken)
    {
        if (!IsConfigured || TokenExpiry.Of(token) <= time.GetUtcNow())
        {
            return null; // not configured, or a token Memory would only refuse: go on without long-term memory
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/memory/context");
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Memory service unavailable ({Reason}); starting without long-term memory")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
