using Aimi.Testing;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Chat turns through the gateway while a part of their path breaks: Chat or the gateway killed with SIGKILL and started again,
/// or Chat's Redis paused. Clients send an unanswered message again with the same <c>clientMessageId</c>.
/// </summary>
[Trait("Category", "Faults")]
public sealed class ChatFaultTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Messages = 100;
    private ChatSystem _system = null!;

    public async Task InitializeAsync() => _system = await ChatSystem.StartAsync();

    [Fact]
    public Task Chat_killed_mid_burst_stores_every_message_and_reply_once() =>
        _system.Chat.ShowingLogOnFailureAsync(output, () => Burst().RunAsync("kill -9 Chat mid-burst", Messages, TimeSpan.FromMilliseconds(60), async () =>
        {
            _system.Chat.Kill();
            await _system.Chat.StartAsync();
        }));

    [Fact]
    public Task Gateway_killed_mid_burst_stores_every_message_and_reply_once() =>
        _system.Gateway.ShowingLogOnFailureAsync(output, () => Burst().RunAsync("kill -9 gateway mid-burst (Chat)", Messages, TimeSpan.FromMilliseconds(60), async () =>
        {
            _system.Gateway.Kill();
            await _system.Gateway.StartAsync();
        }));

    [Fact]
    public Task Chat_through_a_paused_cache_stores_every_message_and_reply_once() =>
        _system.Chat.ShowingLogOnFailureAsync(output, () => Burst().RunAsync("Redis paused 5 s mid-burst (Chat, CLIENT PAUSE ALL)", Messages, TimeSpan.FromMilliseconds(60), async () =>
        {
            await _system.Redis.PauseAllAsync(TimeSpan.FromSeconds(5));
            await Task.Delay(TimeSpan.FromSeconds(5));
        }));

    private ChatBurst Burst() => new(_system.Gateway.BaseAddress, _system.Database.ConnectionString, output);

    public async Task DisposeAsync() => await _system.DisposeAsync();

    public void Dispose()
    {
        _system?.Chat?.Dispose();
        _system?.Gateway?.Dispose();
        _system?.Redis?.Kill();
    }
}
