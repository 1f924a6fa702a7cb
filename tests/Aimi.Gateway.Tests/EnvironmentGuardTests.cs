using System.Net;
using System.Net.Http.Json;

namespace Aimi.Gateway.Tests;

/// <summary>A gateway in a given environment with one setting added to the usual ones.</summary>
public sealed class EnvironmentGatewayHost(string environment, string key, string value) : GatewayHost
{
    protected override string HostEnvironment => environment;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [.. base.Settings(), new(key, value)];
}

/// <summary>What only Development may do: hand out development tokens, take a signing key beside an authority.</summary>
public sealed class EnvironmentGuardTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Development_tokens_are_refused_at_start_outside_development(string environment)
    {
        var error = await StartFailsAsync(new EnvironmentGatewayHost(environment, "Auth:DevTokens", "true"));

        Assert.Contains("Auth:DevTokens=true is refused", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{environment}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_tokens_are_handed_out_in_development()
    {
        var host = new EnvironmentGatewayHost("Development", "Auth:DevTokens", "true");
        await ((IAsyncLifetime)host).InitializeAsync();
        try
        {
            var minted = await host.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject = "dev" });

            Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_signing_key_beside_an_authority_is_refused_at_start_in_production()
    {
        // The test settings already carry the signing key.
        var error = await StartFailsAsync(new EnvironmentGatewayHost("Production", "Auth:Authority", "https://login.example.com"));

        Assert.Contains("Auth:SigningKey and Auth:Authority are both set", error.Message, StringComparison.Ordinal);
    }

    private static async Task<InvalidOperationException> StartFailsAsync(GatewayHost host)
    {
        IAsyncLifetime lifetime = host;
        try
        {
            return await Assert.ThrowsAsync<InvalidOperationException>(lifetime.InitializeAsync);
        }
        finally
        {
            await lifetime.DisposeAsync();
        }
    }
}
