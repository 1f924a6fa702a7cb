using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>How Chat's Redis client is set up: what the figures in the README's chat benchmark were measured with.</summary>
public sealed class RedisClientTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task The_client_does_its_socket_work_on_the_thread_pool_and_still_answers()
    {
        var options = host.Services.GetRequiredService<IOptionsMonitor<ConfigurationOptions>>().CurrentValue;

        Assert.Same(SocketManager.ThreadPool, options.SocketManager);
        Assert.False(options.AbortOnConnectFail);
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        Assert.True(await redis.GetDatabase().PingAsync() < TimeSpan.FromSeconds(30));
    }
}
