using System.Net;
using Aimi.Gateway.Middleware;
using Aimi.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Tests;

/// <summary>A gateway whose buckets hold three requests and refill one every ~17 minutes, so no test waits on time.</summary>
public sealed class TinyRateLimitGatewayHost : GatewayHost
{
    public const int Burst = 3;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("Gateway:RateLimit:PermitsPerSecond", "0.001"),
        new("Gateway:RateLimit:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

public sealed class RateLimitTests(TinyRateLimitGatewayHost gateway) : IClassFixture<TinyRateLimitGatewayHost>
{
    [Fact]
    public async Task User_over_the_limit_gets_429_problem_with_retry_after_while_another_user_still_passes()
    {
        var greedy = gateway.As(TestAuth.NewUserId());
        for (var i = 0; i < TinyRateLimitGatewayHost.Burst; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await greedy.GetAsync("/goals")).StatusCode);
        }

        var rejected = await greedy.GetAsync("/goals");

        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        var retryAfter = rejected.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter > TimeSpan.FromSeconds(60), $"Retry-After was {retryAfter}; one token takes ~1000 s to refill.");

        var other = gateway.As(TestAuth.NewUserId());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/goals")).StatusCode);
    }

    [Fact]
    public async Task A_request_spends_one_token_of_the_shared_buckets_and_a_health_probe_none()
    {
        var buckets = gateway.Services.GetRequiredService<TokenBuckets<HttpContext>>();
        var before = buckets.GetStatistics(new DefaultHttpContext())!;

        Assert.Equal(HttpStatusCode.OK, (await gateway.As(TestAuth.NewUserId()).GetAsync("/goals")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Anonymous().GetAsync("/health")).StatusCode);

        var after = buckets.GetStatistics(new DefaultHttpContext())!;
        Assert.Equal(before.TotalSuccessfulLeases + 1, after.TotalSuccessfulLeases);
        Assert.Equal(before.TotalFailedLeases, after.TotalFailedLeases);
    }

    [Fact]
    public async Task Health_probes_are_never_rate_limited()
    {
        var probe = gateway.Anonymous();
        for (var i = 0; i < TinyRateLimitGatewayHost.Burst * 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health")).StatusCode);
        }
    }
}

public sealed class InvalidRateLimitGatewayHost : GatewayHost
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Gateway:RateLimit:Burst", "0")];
}

public sealed class GatewayOptionsTests
{
    [Fact]
    public async Task Gateway_refuses_to_start_with_an_invalid_rate_limit()
    {
        IAsyncLifetime host = new InvalidRateLimitGatewayHost();
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(host.InitializeAsync);

            Assert.Contains("Burst", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
