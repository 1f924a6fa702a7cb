using System.Diagnostics;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Memory killed with SIGKILL while a burst of chat turns goes through the gateway, then started again. Memory keeps every chat
/// message as an episode (<c>ChatMessageRecorded</c> from Chat's outbox): the count is episodes per stored message, once each.
/// </summary>
[Trait("Category", "Faults")]
public sealed class MemoryKillTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Messages = 100;
    private TestDatabase _memoryDatabase = null!;
    private ServiceProcess _memory = null!;
    private ChatSystem _system = null!;

    public async Task InitializeAsync()
    {
        _memoryDatabase = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.MemoryDb);
        var virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.ChatDb);
        _memory = new ServiceProcess("Memory", "Aimi.Memory.Api",
        [
            new($"ConnectionStrings:{ResourceNames.MemoryDb}", _memoryDatabase.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.RabbitMq}", virtualHost.ConnectionString),
            new("Database:MigrateOnStartup", "true"),
            .. TestAuth.Settings,
        ]);
        await _memory.StartAsync();
        _system = await ChatSystem.StartAsync(memory: _memory.BaseAddress, virtualHost: virtualHost);
    }

    [Fact]
    public Task Memory_killed_mid_burst_keeps_every_message_once() => _memory.ShowingLogOnFailureAsync(output, KillMidBurstAsync);

    private async Task KillMidBurstAsync()
    {
        var burst = new ChatBurst(_system.Gateway.BaseAddress, _system.Database.ConnectionString, output);
        var clock = new Stopwatch();
        var chat = await burst.RunAsync("kill -9 Memory mid-burst (Chat's side)", Messages, TimeSpan.FromMilliseconds(60), async () =>
        {
            clock.Start();
            _memory.Kill();
            await _memory.StartAsync();
        });

        // Every message of the run (the users' and the replies) that Chat asked Memory to remember.
        var said = await ChatMessageIdsAsync(burst.Run);
        var episodes = await Eventually.GetAsync(() => EpisodeSourcesAsync(said), found => said.All(found.ContainsKey), TimeSpan.FromSeconds(90),
            "an episode for every message");
        var caughtUp = clock.Elapsed;
        // A marker message after the burst: once its episode is in, what Chat's relay sent before it has been consumed.
        var marker = await MarkerAsync();
        await Eventually.GetAsync(() => EpisodeSourcesAsync([marker]), found => found.ContainsKey(marker), TimeSpan.FromSeconds(60), "the marker's episode");
        episodes = await EpisodeSourcesAsync(said);

        var counts = new FaultCounts("kill -9 Memory mid-burst", chat.Accepted, episodes.Values.Sum(), episodes.Count,
            said.Count(id => !episodes.ContainsKey(id)), episodes.Values.Sum(n => n - 1), caughtUp,
            $"{said.Count} chat messages to remember ({Messages} users' and their replies); episodes: {episodes.Values.Sum()} rows for {episodes.Count} messages; "
            + "recovery time: from the kill until every message was an episode")
        {
            FaultLatency = chat.FaultLatency,
        };
        counts.Print(output);

        Assert.Equal(said.Count, episodes.Count);
        Assert.All(episodes, e => Assert.Equal(1, e.Value));
    }

    private async Task<string> MarkerAsync()
    {
        using var http = new HttpClient { BaseAddress = _system.Gateway.BaseAddress }.WithUser(TestAuth.NewUserId());
        using var response = await http.PostAsync("chat/send", new StringContent("""{"content":"marker"}""", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("message").GetProperty("id").GetGuid().ToString();
    }

    private async Task<HashSet<string>> ChatMessageIdsAsync(string run)
    {
        await using var connection = new NpgsqlConnection(_system.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT m.id FROM chat_messages m WHERE m.client_message_id LIKE $1 AND coalesce(m.metadata ->> 'remember', 'true') <> 'false'
            UNION ALL
            SELECT r.id FROM chat_messages r JOIN chat_messages m ON r.reply_to_id = m.id
            WHERE m.client_message_id LIKE $1 AND coalesce(r.metadata ->> 'remember', 'true') <> 'false'
            """, connection) { Parameters = { new() { Value = $"{run}-%" } } };
        var ids = new HashSet<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0).ToString());
        }
        return ids;
    }

    // How many episodes cite each of the messages.
    private async Task<Dictionary<string, int>> EpisodeSourcesAsync(HashSet<string> messageIds)
    {
        await using var connection = new NpgsqlConnection(_memoryDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT source, count(*) FROM memories, unnest(source_message_ids) AS source
            WHERE kind = 'episode' AND source = ANY($1) GROUP BY source
            """, connection) { Parameters = { new() { Value = messageIds.ToArray() } } };
        var found = new Dictionary<string, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found[reader.GetString(0)] = (int)reader.GetInt64(1);
        }
        return found;
    }

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_memory, _system, _memoryDatabase);

    public void Dispose()
    {
        _memory?.Dispose();
        _system?.Chat?.Dispose();
        _system?.Gateway?.Dispose();
    }
}
