using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Testing;

namespace Aimi.IntegrationTests;

public partial class SystemTests
{
    /// <summary>
    /// <c>DELETE /me</c> through the gateway for a user with data in every service: the status reaches <c>completed</c> within
    /// minutes, every service then answers as for a stranger, and another user's data is untouched.
    /// </summary>
    [Fact]
    public async Task Delete_me_erases_the_user_in_every_service_and_leaves_another_user_alone()
    {
        using var http = await ClientForAsync($"e2e-erased-{Guid.NewGuid():N}");
        using var other = await ClientForAsync($"e2e-kept-{Guid.NewGuid():N}");
        await LiveEverywhereAsync(http, "Nairobi");
        await LiveEverywhereAsync(other, "Lisbon");

        using var deleted = await http.DeleteAsync(new Uri("/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        Assert.EndsWith("/me/erasure", deleted.Headers.Location?.ToString(), StringComparison.Ordinal);
        var status = await Eventually.GetAsync(
            () => SlowlyAsync(http, "/me/erasure"),
            s => s.GetProperty("status").GetString() == "completed", TimeSpan.FromMinutes(2), "the erasure to complete");
        Assert.Equal(["goals", "chat", "memory", "notifications"], status.GetProperty("erased").EnumerateArray().Select(s => s.GetString()));

        await AssertNothingOfAsync(http);
        Assert.NotEmpty((await other.GetFromJsonAsync<JsonElement>(new Uri("/chat/sessions", UriKind.Relative))).EnumerateArray());
        Assert.NotEmpty((await other.GetFromJsonAsync<JsonElement>(new Uri("/events", UriKind.Relative))).EnumerateArray());
        Assert.NotEmpty((await other.GetFromJsonAsync<JsonElement>(new Uri("/notifications/reminders", UriKind.Relative))).EnumerateArray());
        Assert.NotEmpty((await other.GetFromJsonAsync<JsonElement>(new Uri("/memory/search?q=Lisbon", UriKind.Relative))).EnumerateArray());
        // Afterwards the same sign-in is a fresh account.
        Assert.Equal(1, (await http.GetFromJsonAsync<JsonElement>(new Uri("/me", UriKind.Relative))).GetProperty("version").GetInt32());
    }

    private async Task<HttpClient> ClientForAsync(string subject)
    {
        var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, subject));
        return http;
    }

    /// <summary>A profile, a planned event with its reminders, channel settings, a conversation and what Memory learnt from it.</summary>
    private static async Task LiveEverywhereAsync(HttpClient http, string city)
    {
        (await http.PutAsJsonAsync(new Uri("/me", UriKind.Relative), new { displayName = "Ada", timeZone = "Europe/Berlin" })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync(new Uri("/events", UriKind.Relative), new
        {
            title = "Dentist", startsAt = DateTimeOffset.UtcNow.AddDays(2), source = "api", confirmed = true,
        })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync(new Uri("/notifications/settings", UriKind.Relative), new { followUpEnabled = false })).EnsureSuccessStatusCode();
        await SendAsync(http, $"I live in {city} and I'm preparing for an interview at Contoso");
        await SendAsync(http, "bye");
        await Eventually.GetAsync(() => SlowlyAsync(http, $"/memory/search?q={city}"),
            items => items.GetArrayLength() > 0, TimeSpan.FromSeconds(60), $"{city} to be remembered");
        await Eventually.GetAsync(() => SlowlyAsync(http, "/memory/state"),
            s => s.GetProperty("lastSummary").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(60), "the session to be summarised");
        await Eventually.GetAsync(() => SlowlyAsync(http, "/notifications/reminders"),
            items => items.GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the dentist's reminders to be planned");
    }

    /// <summary>A poll at a pace the gateway's per-user rate limit allows.</summary>
    private static async Task<JsonElement> SlowlyAsync(HttpClient http, string path)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        return await http.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative));
    }

    private static async Task AssertNothingOfAsync(HttpClient http)
    {
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/chat/sessions", UriKind.Relative))).EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/search?q=Nairobi%20Contoso%20interview&includeInactive=true", UriKind.Relative))).EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/facts", UriKind.Relative))).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, (await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/state", UriKind.Relative))).GetProperty("lastSummary").ValueKind);
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/memory/graph", UriKind.Relative))).GetProperty("nodes").EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/notifications/reminders", UriKind.Relative))).EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/notifications/log", UriKind.Relative))).EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/events", UriKind.Relative))).EnumerateArray());
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>(new Uri("/goals", UriKind.Relative))).EnumerateArray());
    }
}
