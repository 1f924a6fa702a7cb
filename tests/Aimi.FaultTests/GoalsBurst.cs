using System.Net;
using System.Net.Http.Headers;
using Aimi.Contracts.Goals;
using Aimi.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// A burst of <c>POST /events</c> from several users, each with its own <c>Idempotency-Key</c> (and no sourceMessageId, so
/// only the key stands between a retry and a second row), then the count: answers, rows in <c>events</c>, and
/// <c>EventChanged</c> "created" messages as they crossed the broker.
/// </summary>
public sealed class GoalsBurst(Uri goals, string database, BusRecorder bus, ITestOutputHelper output)
{
    private const int Users = 5;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly string[] _users = Enumerable.Range(0, Users).Select(_ => TestAuth.NewUserId()).ToArray();

    private string Title(int i) => $"fault {_run} #{i:000}";

    public async Task<FaultCounts> RunAsync(string caseName, int count, TimeSpan interval, Func<Task> fault, int? faultAt = null, TimeSpan? deadline = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = goals,
            Timeout = TimeSpan.FromSeconds(30),
        };
        // Warm: each user exists and the service's paths are compiled, so the fault lands in a steady flow, not a cold start.
        foreach (var user in _users)
        {
            using var warm = new HttpRequestMessage(HttpMethod.Get, "events");
            warm.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(user));
            (await http.SendAsync(warm)).EnsureSuccessStatusCode();
        }
        var result = await Burst.RunAsync(count, interval, (i, ct) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "events")
            {
                Content = JsonContent(new { title = Title(i) }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(_users[i % Users]));
            request.Headers.Add("Idempotency-Key", $"burst-{_run}-{i}");
            return http.SendAsync(request, ct);
        }, faultAt ?? count / 2, fault, deadline ?? TimeSpan.FromMinutes(2));

        // A marker created after the burst: once its message crossed the broker, the relay has sent what was committed before it.
        var markerTitle = $"fault {_run} marker";
        using (var marker = new HttpRequestMessage(HttpMethod.Post, "events") { Content = JsonContent(new { title = markerTitle }) })
        {
            marker.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(_users[0]));
            (await http.SendAsync(marker)).EnsureSuccessStatusCode();
        }
        await bus.WaitForAsync<EventChanged>(m => m.Title == markerTitle, timeout: TimeSpan.FromSeconds(90));

        var rows = await RowsAsync();
        var titles = Enumerable.Range(0, count).Select(Title).ToHashSet();
        var created = bus.Received<EventChanged>(m => m.Change == ChangeKinds.Created && titles.Contains(m.Title));
        var accepted = result.Answers.Where(a => (int)a.Value is >= 200 and < 300).Select(a => Title(a.Key)).ToHashSet();
        var storedTitles = rows.Select(r => r.Title).ToHashSet();
        var announced = created.Select(m => m.EventId).ToHashSet();

        var lostRows = accepted.Count(t => !storedTitles.Contains(t));
        var lostMessages = rows.Count(r => !announced.Contains(r.Id));
        var duplicateRows = rows.Count - storedTitles.Count;
        var distinctMessages = created.Select(m => (m.EventId, m.Version)).Distinct().Count();
        // A copy the relay sent again carries its outbox row's id: the idempotent consumers drop it by that id.
        var messageIds = bus.MessageIds<EventChanged>(m => m.Change == ChangeKinds.Created && titles.Contains(m.Title)).Distinct().Count();
        var counts = new FaultCounts(caseName, accepted.Count, rows.Count, announced.Count, lostRows + lostMessages, duplicateRows, result.Recovery,
            $"{result.Attempts} attempts for {count} requests, {result.Retried} sent again, {result.Replayed} answered from a stored answer; failed attempts: {result.FailureSummary}; "
            + $"{created.Count} EventChanged \"created\" received, {distinctMessages} distinct (event, version) — "
            + $"{created.Count - distinctMessages} copies sent again, under {messageIds} message ids (one per event); errors: {string.Join(", ", result.Errors.DefaultIfEmpty("none"))}")
        {
            FaultLatency = result.FaultLatency.ToString(),
        };
        counts.Print(output);

        Assert.True(result.Unanswered == 0 && accepted.Count == count, $"{result.Unanswered} requests never accepted; {string.Join(", ", result.Errors)}");
        Assert.Equal(0, lostRows);
        Assert.Equal(0, duplicateRows);
        Assert.Equal(0, lostMessages);
        Assert.Equal(count, rows.Count);
        Assert.Equal(count, distinctMessages);
        Assert.Equal(count, messageIds);
        return counts;
    }

    private async Task<List<(Guid Id, string Title)>> RowsAsync()
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, title FROM events WHERE title LIKE $1", connection)
        {
            Parameters = { new() { Value = $"fault {_run} #%" } },
        };
        var rows = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        return rows;
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, TestJson.Options), System.Text.Encoding.UTF8, "application/json");
}
