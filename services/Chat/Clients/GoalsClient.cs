using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Chat.Api.Clients;

public sealed record EventView(
    Guid Id, string Type, string Title, string? Notes, string Status, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? DueAt,
    Guid? GoalId, int Version);

public sealed record AgendaItemView(EventView Event, string? LocalStart, string? LocalEnd, string? LocalDue);

public sealed record AgendaView(string TimeZone, DateTimeOffset From, DateTimeOffset To, List<AgendaItemView> Items, List<AgendaItemView> Pending);

public sealed record GoalView(Guid Id, string Title, string? Description, string Status, DateOnly? DueDate, int Importance);

public sealed record HabitView(Guid Id, string Title, string Cadence, Guid? GoalId, string Status, int Streak);

public sealed record ProfileView(string Id, string? DisplayName, string TimeZone, string Locale);

/// <summary>A Goals API answer that was not a success: the problem's detail is what the assistant tells the user.</summary>
public sealed class GoalsApiException(HttpStatusCode status, string detail) : Exception(detail)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// The Goals service's API, called with the user's own token (so Goals scopes every call to that user) and marked as
/// the assistant's doing. Base address by service discovery: <c>services__goals-api__http__0</c>.
/// Every write carries an <c>Idempotency-Key</c>: the resilience handler retries a POST that timed out or got a 5xx,
/// and Goals answers a retry with the first attempt's response instead of doing the work again.
/// </summary>
public sealed class GoalsClient(HttpClient http, TimeProvider time)
{
    public const string IdempotencyHeader = "Idempotency-Key";

    private static readonly JsonSerializerOptions Json = CreateJson();

    public Task<ProfileView> GetProfileAsync(string token, CancellationToken ct) => SendAsync<ProfileView>(HttpMethod.Get, "/me", token, null, null, ct);

    public Task<AgendaView> GetAgendaAsync(string token, DateOnly? date, CancellationToken ct) =>
        SendAsync<AgendaView>(HttpMethod.Get, date is { } d ? $"/agenda?date={d:yyyy-MM-dd}" : "/agenda", token, null, null, ct);

    public Task<AgendaView> GetWindowAsync(string token, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        SendAsync<AgendaView>(HttpMethod.Get, $"/agenda?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}", token, null, null, ct);

    public Task<List<GoalView>> ActiveGoalsAsync(string token, CancellationToken ct) => SendAsync<List<GoalView>>(HttpMethod.Get, "/goals?status=active", token, null, null, ct);

    public Task<List<HabitView>> ActiveHabitsAsync(string token, CancellationToken ct) => SendAsync<List<HabitView>>(HttpMethod.Get, "/habits?status=active", token, null, null, ct);

    /// <param name="idempotencyKey">The same for every attempt of one logical write (see <see cref="IdempotencyHeader"/>).</param>
    public Task<EventView> CreateEventAsync(string token, string idempotencyKey, object request, CancellationToken ct) =>
        SendAsync<EventView>(HttpMethod.Post, "/events", token, request, idempotencyKey, ct);

    public Task<EventView> ActAsync(string token, string idempotencyKey, Guid eventId, string action, object? body, CancellationToken ct) =>
        SendAsync<EventView>(HttpMethod.Post, $"/events/{eventId}/{action}", token, body ?? new { }, idempotencyKey, ct);

    public Task<GoalView> CreateGoalAsync(string token, string idempotencyKey, object request, CancellationToken ct) =>
        SendAsync<GoalView>(HttpMethod.Post, "/goals", token, request, idempotencyKey, ct);

    public Task<HabitView> CreateHabitAsync(string token, string idempotencyKey, object request, CancellationToken ct) =>
        SendAsync<HabitView>(HttpMethod.Post, "/habits", token, request, idempotencyKey, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string token, object? body, string? idempotencyKey, CancellationToken ct)
    {
        // A turn (or a socket) can outlive its token: an expired one is never sent on, Goals would only refuse it.
        if (TokenExpiry.Of(token) is { } expires && time.GetUtcNow() >= expires)
        {
            throw new GoalsApiException(HttpStatusCode.Unauthorized, "Your sign-in has expired; sign in again to change your plan.");
        }
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add(InternalHeaders.Actor, "assistant");
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyHeader, idempotencyKey);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new GoalsApiException(response.StatusCode, await DetailAsync(response, ct));
        }
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (problem.RootElement.TryGetProperty("errors", out var errors))
            {
                return string.Join(" ", errors.EnumerateObject().SelectMany(e => e.Value.EnumerateArray().Select(v => v.GetString())));
            }
            return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? response.ReasonPhrase ?? "" : response.ReasonPhrase ?? "";
        }
        catch (JsonException)
        {
            return $"The Goals service answered {(int)response.StatusCode}.";
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }
}
