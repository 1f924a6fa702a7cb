using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Chat's Redis killed in the middle of a burst of chat messages and started again, empty: the database is the record, so
/// every message and its reply is stored once, whatever the cache lost.
/// </summary>
[Trait("Category", "Faults")]
public sealed class RedisRestartTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Messages = 100;
    private ChatSystem _system = null!;

    public async Task InitializeAsync() => _system = await ChatSystem.StartAsync();

    [Fact]
    public Task Chat_through_a_cache_restart_stores_every_message_and_reply_once() =>
        _system.Chat.ShowingLogOnFailureAsync(output, () =>
            new ChatBurst(_system.Gateway.BaseAddress, _system.Database.ConnectionString, output).RunAsync(
                "Redis restarted mid-burst (Chat)", Messages, TimeSpan.FromMilliseconds(60), async () =>
                {
                    _system.Redis.Kill();
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    await _system.Redis.StartAgainAsync();
                }));

    public async Task DisposeAsync() => await _system.DisposeAsync();

    public void Dispose()
    {
        _system?.Chat?.Dispose();
        _system?.Gateway?.Dispose();
        _system?.Redis?.Kill();
    }
}
