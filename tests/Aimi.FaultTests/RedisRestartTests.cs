using System.Globalization;
using System.Net.Http.Headers;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Chat's Redis killed in the middle of a burst of chat messages and started again, empty: the database is the record, so
/// every message and its reply is stored once, whatever the cache lost.
/// </summary>
[Trait("Category", "Faults")]
public sealed class RedisRestartTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Users = 10;
    private const int Messages = 100;
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private PrivateRedisServer _redis = null!;
    private WebApplication _absentServices = null!;
    private ServiceProcess _chat = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.ChatDb);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.ChatDb);
        _redis = await PrivateRedisServer.StartAsync();
        // Goals and Memory answer nothing: a turn's context is best-effort, and this case is about Chat and its cache.
        _absentServices = await LoopbackApp.StartAsync(app => app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }));
        var absent = _absentServices.BaseAddress().ToString().TrimEnd('/');
        _chat = new ServiceProcess("Chat", "Aimi.Chat.Api",
        [
            new($"ConnectionStrings:{ResourceNames.ChatDb}", _database.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.RabbitMq}", _virtualHost.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.Redis}", _redis.ConnectionString),
            new($"services:{ResourceNames.GoalsApi}:http:0", absent),
            new($"services:{ResourceNames.MemoryApi}:http:0", absent),
            new("AI:Chat:Provider", "local"),
            new("Chat:Limits:TurnsPerMinute", "1000"), // the burst is many turns per user on purpose
            new("Database:MigrateOnStartup", "true"),
            .. TestAuth.Settings,
        ]);
        await _chat.StartAsync();
    }

    [Fact]
    public Task Chat_through_a_cache_restart_stores_every_message_and_reply_once() =>
        _chat.ShowingLogOnFailureAsync(output, RestartRedisMidBurstAsync);

    private async Task RestartRedisMidBurstAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var users = Enumerable.Range(0, Users).Select(_ => TestAuth.NewUserId()).ToArray();
        using var http = new HttpClient { BaseAddress = _chat.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var result = await Burst.RunAsync(Messages, TimeSpan.FromMilliseconds(60), (i, ct) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "chat/send")
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(
                    new { content = $"hello {i}", clientMessageId = $"{run}-{i}" }, TestJson.Options), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(users[i % Users]));
            return http.SendAsync(request, ct);
        }, faultAt: Messages / 2, async () =>
        {
            _redis.Kill();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await _redis.StartAgainAsync();
        }, deadline: TimeSpan.FromMinutes(2));

        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        var stored = await ScalarAsync(connection, "SELECT count(*) FROM chat_messages WHERE client_message_id LIKE $1", $"{run}-%");
        var distinct = await ScalarAsync(connection, "SELECT count(DISTINCT client_message_id) FROM chat_messages WHERE client_message_id LIKE $1", $"{run}-%");
        var replies = await ScalarAsync(connection, """
            SELECT count(*) FROM chat_messages r JOIN chat_messages m ON r.reply_to_id = m.id WHERE m.client_message_id LIKE $1
            """, $"{run}-%");
        var repliedTo = await ScalarAsync(connection, """
            SELECT count(DISTINCT r.reply_to_id) FROM chat_messages r JOIN chat_messages m ON r.reply_to_id = m.id WHERE m.client_message_id LIKE $1
            """, $"{run}-%");

        var counts = new FaultCounts("Redis restarted mid-burst (Chat)", result.Accepted, (int)stored, (int)replies,
            (int)(result.Accepted - distinct) + (int)(distinct - repliedTo), (int)(stored - distinct + (replies - repliedTo)), result.Recovery,
            $"{result.Attempts} attempts for {Messages} messages, {result.Retried} sent again; failed attempts: {result.FailureSummary}; "
            + $"stored: {stored} user messages ({distinct} distinct client ids), {replies} replies to {repliedTo} messages; errors: {string.Join(", ", result.Errors.DefaultIfEmpty("none"))}");
        counts.Print(output);

        Assert.True(result.Accepted == Messages, $"{Messages - result.Accepted} messages never accepted; {string.Join(", ", result.Errors)}");
        Assert.Equal(Messages, stored);
        Assert.Equal(Messages, distinct);
        Assert.Equal(Messages, replies);
        Assert.Equal(Messages, repliedTo);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, string pattern)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = pattern } } };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_chat, _redis, _absentServices, _virtualHost, _database);

    public void Dispose()
    {
        _chat?.Dispose();
        _redis?.Kill();
    }
}
