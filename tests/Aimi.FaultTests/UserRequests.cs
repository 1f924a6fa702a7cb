using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aimi.Contracts.Goals;
using Aimi.Testing;
using Npgsql;
using Xunit;

namespace Aimi.FaultTests;

/// <summary>The set-up requests a case makes as one of its users (outside the burst it counts): each must succeed.</summary>
internal static class UserRequests
{
    /// <summary>Sends <paramref name="body"/> (JSON, when given) with the user's bearer token; fails the case on anything but 2xx.</summary>
    public static async Task<HttpResponseMessage> SendAsUserAsync(this HttpClient http, string user, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(user));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, TestJson.Options), Encoding.UTF8, "application/json");
        }
        var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    /// <summary><see cref="SendAsUserAsync"/> when the answer itself does not matter.</summary>
    public static async Task SendAsync(this HttpClient http, string user, HttpMethod method, string url, object? body = null)
    {
        using var response = await http.SendAsUserAsync(user, method, url, body);
    }
}

/// <summary>A Notifications user whose reminders go only to a webhook, at T-15m, with no follow-up.</summary>
internal static class WebhookUsers
{
    /// <summary>
    /// Announces the profile (as Goals would, with the address proven) on <paramref name="bus"/>, then asks Notifications through
    /// <paramref name="http"/> for the user's signing secret and the settings. The caller waits for the profiles to be stored.
    /// </summary>
    public static async Task RegisterAsync(BusRecorder bus, HttpClient http, string user, Uri webhook)
    {
        await bus.Bus.Publish(new UserProfileChanged
        {
            UserId = user, TimeZone = "UTC", Locale = "en",
            Channels = new NotificationChannels { InApp = false, WebhookUrl = webhook.ToString() },
            Version = 1, OccurredAt = DateTimeOffset.UtcNow,
        });
        await http.SendAsync(user, HttpMethod.Post, "notifications/webhook-secret");
        await http.SendAsync(user, HttpMethod.Put, "notifications/settings",
            new { offsetsMinutes = (int[])[15], channels = (string[])["webhook"], followUpEnabled = false });
    }
}

/// <summary>Counts over a case's users, read straight from a service's database (<c>$1</c> is the array of user ids).</summary>
internal static class UsersSql
{
    public static async Task<long> ScalarAsync(string connectionString, string sql, string[] users)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = users } } };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task<long> ExecuteAsync(string connectionString, string sql, string[] users)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = users } } };
        return await command.ExecuteNonQueryAsync();
    }
}
