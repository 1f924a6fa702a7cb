using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Aimi.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// A burst of chat turns (<c>POST /chat/send</c>) from several users, each message with its own <c>clientMessageId</c>, sent
/// again unchanged until answered (a 409 "still being answered" included), then the count from Chat's database: each user
/// message stored once and answered by one reply.
/// </summary>
public sealed class ChatBurst(Uri chat, string database, ITestOutputHelper output)
{
    private const int Users = 10;
    private readonly string[] _users = Enumerable.Range(0, Users).Select(_ => TestAuth.NewUserId()).ToArray();

    /// <summary>The run's prefix of every <c>clientMessageId</c> (Memory's episodes are counted by the stored messages' ids).</summary>
    public string Run { get; } = Guid.NewGuid().ToString("N")[..8];

    public async Task<FaultCounts> RunAsync(string caseName, int count, TimeSpan interval, Func<Task> fault)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = chat,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var result = await Burst.RunAsync(count, interval, (i, ct) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "chat/send")
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(
                    new { content = $"hello {i}", clientMessageId = $"{Run}-{i}" }, TestJson.Options), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(_users[i % Users]));
            return http.SendAsync(request, ct);
        }, faultAt: count / 2, fault, deadline: TimeSpan.FromMinutes(2), sendAgainOn: HttpStatusCode.Conflict);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var stored = await ScalarAsync(connection, "SELECT count(*) FROM chat_messages WHERE client_message_id LIKE $1");
        var distinct = await ScalarAsync(connection, "SELECT count(DISTINCT client_message_id) FROM chat_messages WHERE client_message_id LIKE $1");
        var replies = await ScalarAsync(connection, """
            SELECT count(*) FROM chat_messages r JOIN chat_messages m ON r.reply_to_id = m.id WHERE m.client_message_id LIKE $1
            """);
        var repliedTo = await ScalarAsync(connection, """
            SELECT count(DISTINCT r.reply_to_id) FROM chat_messages r JOIN chat_messages m ON r.reply_to_id = m.id WHERE m.client_message_id LIKE $1
            """);

        var counts = new FaultCounts(caseName, result.Accepted, (int)stored, (int)replies,
            (int)(result.Accepted - distinct) + (int)(distinct - repliedTo), (int)(stored - distinct + (replies - repliedTo)), result.Recovery,
            $"{result.Attempts} attempts for {count} messages, {result.Retried} sent again; failed attempts: {result.FailureSummary}; "
            + $"stored: {stored} user messages ({distinct} distinct client ids), {replies} replies to {repliedTo} messages; errors: {string.Join(", ", result.Errors.DefaultIfEmpty("none"))}")
        {
            FaultLatency = result.FaultLatency.ToString(),
        };
        counts.Print(output);

        Assert.True(result.Accepted == count, $"{count - result.Accepted} messages never accepted; {string.Join(", ", result.Errors)}");
        Assert.Equal(count, stored);
        Assert.Equal(count, distinct);
        Assert.Equal(count, replies);
        Assert.Equal(count, repliedTo);
        return counts;
    }

    private async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = $"{Run}-%" } } };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
