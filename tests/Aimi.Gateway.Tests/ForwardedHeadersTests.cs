using System.Net;

namespace Aimi.Gateway.Tests;

/// <summary>A gateway behind a trusted proxy: the test client connects from loopback, which plays the ingress controller here.</summary>
public sealed class TrustedProxyGatewayHost : GatewayHost
{
    public const int Burst = 3;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("Gateway:RateLimit:PermitsPerSecond", "0.001"),
        new("Gateway:RateLimit:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Gateway:TrustedProxies:0", "127.0.0.0/8"),
        new("Gateway:TrustedProxies:1", "::1"),
    ];
}

/// <summary>Behind the ingress every anonymous caller would share the controller's rate-limit bucket unless X-Forwarded-For is believed.</summary>
public sealed class ForwardedHeadersTests(TrustedProxyGatewayHost gateway) : IClassFixture<TrustedProxyGatewayHost>
{
    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_gets_its_own_rate_limit_bucket()
    {
        var first = Forwarded.From("203.0.113.10");
        for (var i = 0; i < TrustedProxyGatewayHost.Burst; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Anonymous().SendAsync(first())).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await gateway.Anonymous().SendAsync(first())).StatusCode);

        var second = Forwarded.From("203.0.113.11");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Anonymous().SendAsync(second())).StatusCode);
    }

    [Fact]
    public async Task Https_reported_by_a_trusted_proxy_is_answered_with_strict_transport_security()
    {
        var overHttps = await gateway.Anonymous().SendAsync(Forwarded.Health(proto: "https"));
        var overHttp = await gateway.Anonymous().SendAsync(Forwarded.Health(proto: null));

        Assert.Equal("max-age=31536000", Assert.Single(overHttps.Headers.GetValues("Strict-Transport-Security")));
        Assert.False(overHttp.Headers.Contains("Strict-Transport-Security"));
    }
}

/// <summary>No trusted proxy (the default): what a caller writes in X-Forwarded-* changes nothing.</summary>
public sealed class UntrustedForwardedHeadersTests(TinyRateLimitGatewayHost gateway) : IClassFixture<TinyRateLimitGatewayHost>
{
    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_address_are_ignored()
    {
        for (var i = 0; i < TinyRateLimitGatewayHost.Burst; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.Anonymous().SendAsync(Forwarded.From($"203.0.113.{20 + i}")())).StatusCode);
        }

        // A fresh address per request would otherwise be a fresh bucket per request.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await gateway.Anonymous().SendAsync(Forwarded.From("203.0.113.99")())).StatusCode);
        Assert.False((await gateway.Anonymous().SendAsync(Forwarded.Health(proto: "https"))).Headers.Contains("Strict-Transport-Security"));
    }
}

internal static class Forwarded
{
    /// <summary>A rate-limited anonymous request (the OpenAPI catalogue) as the ingress controller forwards it for <paramref name="client"/>.</summary>
    public static Func<HttpRequestMessage> From(string client) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/openapi");
        request.Headers.Add("X-Forwarded-For", client);
        return request;
    };

    /// <summary>A health probe under the public host name (HSTS is never sent for localhost), over the scheme the proxy reports.</summary>
    public static HttpRequestMessage Health(string? proto)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Host = "aimi.example.com";
        request.Headers.Add("X-Forwarded-For", "203.0.113.50");
        if (proto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", proto);
        }
        return request;
    }
}
