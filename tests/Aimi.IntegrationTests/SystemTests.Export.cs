using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aimi.Testing;

namespace Aimi.IntegrationTests;

public partial class SystemTests
{
    [Fact]
    public async Task A_users_archive_through_the_gateway_holds_what_every_service_keeps_of_them()
    {
        var subject = $"e2e-export-{Guid.NewGuid():N}";
        using var http = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(http, subject));
        (await http.PutAsJsonAsync(new Uri("/me", UriKind.Relative), new { displayName = "Export Tester" })).EnsureSuccessStatusCode();
        using var created = await http.PostAsJsonAsync(new Uri("/events", UriKind.Relative), new
        {
            type = "task", title = "Renew the passport", dueAt = DateTimeOffset.UtcNow.AddDays(2), source = "api", confirmed = true,
        });
        var eventId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var sent = await SendAsync(http, "I'm preparing for an interview at Contoso");
        var messageId = sent.GetProperty("message").GetProperty("id").GetGuid();
        // Memory and Notifications learn of it from the bus: the archive is read once both hold it.
        await Eventually.GetAsync(() => http.GetStringAsync(new Uri("/memory/search?q=Contoso", UriKind.Relative)),
            found => found.Contains(messageId.ToString(), StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the message in Memory");
        await Eventually.GetAsync(() => http.GetStringAsync(new Uri($"/notifications/reminders?eventId={eventId}", UriKind.Relative)),
            found => found.Contains(eventId.ToString(), StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the task's reminders");

        using var response = await http.GetAsync(new Uri("/me/export", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        var entries = await EntriesAsync(response);
        Assert.Equal(["chat.json", "goals.json", "memory.json", "notifications.json", "manifest.json"], entries.Keys);
        Assert.Contains(messageId.ToString(), entries["chat.json"], StringComparison.Ordinal);
        Assert.Contains("preparing for an interview at Contoso", entries["chat.json"], StringComparison.Ordinal); // JSON escapes the apostrophe
        Assert.Contains("Export Tester", entries["goals.json"], StringComparison.Ordinal);
        Assert.Contains("Renew the passport", entries["goals.json"], StringComparison.Ordinal);
        Assert.Contains("Contoso", entries["memory.json"], StringComparison.Ordinal);
        Assert.Contains(messageId.ToString(), entries["memory.json"], StringComparison.Ordinal);
        Assert.Contains(eventId.ToString(), entries["notifications.json"], StringComparison.Ordinal);
        foreach (var (name, text) in entries)
        {
            using var document = JsonDocument.Parse(text); // every entry is whole JSON
            Assert.Equal(subject, document.RootElement.GetProperty("userId").GetString());
            output.WriteLine($"{name}: {Encoding.UTF8.GetByteCount(text)} bytes");
        }
        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        Assert.True(manifest.RootElement.GetProperty("complete").GetBoolean());
        Assert.All(manifest.RootElement.GetProperty("services").EnumerateArray(), s => Assert.Equal("complete", s.GetProperty("status").GetString()));

        // Another user's archive holds none of it.
        using var stranger = new HttpClient { BaseAddress = system.Gateway, Timeout = TimeSpan.FromSeconds(60) };
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await DevTokenAsync(stranger, $"e2e-other-{Guid.NewGuid():N}"));
        using var theirs = await stranger.GetAsync(new Uri("/me/export", UriKind.Relative));
        var their = await EntriesAsync(theirs);
        Assert.All(their.Values, text => Assert.DoesNotContain(subject, text, StringComparison.Ordinal));
        Assert.All(their.Values, text => Assert.DoesNotContain("Contoso", text, StringComparison.Ordinal));
    }

    private static async Task<Dictionary<string, string>> EntriesAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        await using var zip = await ZipArchive.CreateAsync(new MemoryStream(bytes), ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null);
        var entries = new Dictionary<string, string>();
        foreach (var entry in zip.Entries)
        {
            await using var stream = await entry.OpenAsync();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            entries[entry.FullName] = await reader.ReadToEndAsync();
        }
        return entries;
    }
}
