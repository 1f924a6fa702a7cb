using System.Net;
using System.Net.WebSockets;
using Aimi.Chat.Api.Clients;
using Aimi.Chat.Api.Endpoints;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Aimi.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>A chat socket lives only as long as its token; an expired token is never forwarded to Goals.</summary>
public sealed class TokenExpiryTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task The_socket_is_closed_with_a_reason_when_its_token_expires()
    {
        var token = DevTokens.Create(TestAuth.Options, TestAuth.NewUserId(), name: null, host.Time.GetUtcNow(), TimeSpan.FromMinutes(2));
        using var socket = await host.ConnectSocketWithTokenAsync(token);

        host.Time.Advance(TimeSpan.FromMinutes(3));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await socket.ReceiveAsync(new byte[4096], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
        Assert.Equal(ChatSocket.TokenExpiredReason, result.CloseStatusDescription);
    }

    [Fact]
    public async Task Goals_is_never_called_with_an_expired_token()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var token = DevTokens.Create(TestAuth.Options, TestAuth.NewUserId(), name: null, time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var goals = new CountingHandler();
        var client = new GoalsClient(new HttpClient(goals) { BaseAddress = new Uri("http://goals.invalid") }, time);

        await client.ActiveGoalsAsync(token, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(6));
        var refused = await Assert.ThrowsAsync<GoalsApiException>(() => client.ActiveGoalsAsync(token, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(1, goals.Calls); // only the call made while the token was valid went out
    }

    [Fact]
    public async Task Memory_is_never_called_with_an_expired_token()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var token = DevTokens.Create(TestAuth.Options, TestAuth.NewUserId(), name: null, time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var memory = new CountingHandler();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"services:{ResourceNames.MemoryApi}:http:0"] = "http://memory.invalid" }).Build();
        var client = new MemoryClient(new HttpClient(memory) { BaseAddress = new Uri("http://memory.invalid") }, configuration, time, NullLogger<MemoryClient>.Instance);

        time.Advance(TimeSpan.FromMinutes(6));

        Assert.Null(await client.GetContextAsync(token, null, null, CancellationToken.None));
        Assert.Equal(0, memory.Calls);
    }

    /// <summary>The other service's side of the wire: answers every call with an empty list and counts them.</summary>
    private sealed class CountingHandler : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]", System.Text.Encoding.UTF8, "application/json") });
        }
    }
}
