using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace Aimi.Web.Tests;

/// <summary>The web client's host in an environment, with the given settings and nothing else: no signing key, no authority.</summary>
public sealed class WebHost(string environment, params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>How the page is told to sign users in, and that production never offers development sign-in.</summary>
public sealed class WebHostTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_the_host_refuses_to_start_without_an_identity_provider(string environment)
    {
        using var host = new WebHost(environment);

        var error = Assert.Throws<OptionsValidationException>(() => host.CreateClient());

        Assert.Contains("Web:Oidc:Authority must be set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_production_the_page_signs_in_at_the_identity_provider_and_the_host_needs_no_token_settings()
    {
        using var host = new WebHost("Production", ("Web:Oidc:Authority", "https://login.example.com/realms/aimi"), ("Web:Oidc:ClientId", "aimi-spa"));
        var client = host.CreateClient();

        var config = await client.GetFromJsonAsync<Config>("/config.json");
        var health = await client.GetAsync("/health");

        Assert.Equal(new Config("oidc", "https://login.example.com/realms/aimi", "aimi-spa"), config! with { Scope = null });
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task In_development_the_page_uses_development_tokens()
    {
        using var host = new WebHost("Development");

        var config = await host.CreateClient().GetFromJsonAsync<Config>("/config.json");

        Assert.Equal("development", config!.SignIn);
    }

    private sealed record Config(string SignIn, string? Authority, string? ClientId)
    {
        public string? Scope { get; init; }
    }
}
