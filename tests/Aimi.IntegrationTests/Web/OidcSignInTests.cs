using System.Net;
using System.Net.Http.Json;
using Aimi.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aimi.IntegrationTests.Web;

/// <summary>The whole system run against an OpenID Connect provider (no development tokens), as in production.</summary>
public sealed class OidcAimiSystem : AimiSystem
{
    // Short-lived tokens, so the page's renewal by refresh token happens within the test.
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(20);

    public FakeOidcProvider Provider { get; private set; } = null!;

    protected override IEnumerable<string> Arguments() =>
        [.. base.Arguments(), $"--Aimi:Auth:Authority={Provider.Authority.ToString().TrimEnd('/')}", $"--Aimi:Auth:Audience={FakeOidcProvider.Audience}", $"--Aimi:Web:ClientId={FakeOidcProvider.ClientId}"];

    public override async Task InitializeAsync()
    {
        Provider = await FakeOidcProvider.StartAsync(TokenLifetime);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

[Collection(WholeSystem.Name)]
public class OidcSignInTests(OidcAimiSystem system, Browser browser) : IClassFixture<OidcAimiSystem>, IClassFixture<Browser>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    [Fact]
    public async Task The_page_signs_in_at_the_identity_provider_and_renews_its_token_with_the_refresh_token()
    {
        var page = await browser.NewPageAsync(system.Gateway);
        var aimi = new AimiPage(page, system.Gateway);
        await page.GotoAsync("/");

        // No name field: one button to the provider, whose sign-in page brings the user back signed in.
        await Expect(page.Locator("#sign-in-name")).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with your organisation" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync("zoe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#connection-status[data-state=open]")).ToBeVisibleAsync();
        Assert.DoesNotContain("code=", page.Url);

        var reply = await aimi.SendAsync("what is on my agenda today?");
        await Expect(reply).Not.ToBeEmptyAsync();
        using (var api = await aimi.ApiAsync())
        {
            var me = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/me");
            Assert.Equal("oidc-zoe", me.GetProperty("id").GetString());
        }

        // The 20 s token is renewed at half its life through the refresh token, and the page goes on working past its expiry.
        var firstToken = await aimi.TokenAsync();
        await Eventually.GetAsync(() => Task.FromResult(system.Provider.Refreshes), n => n >= 2, TimeSpan.FromSeconds(60), "the page renews its token");
        var renewed = await aimi.TokenAsync();
        Assert.NotEqual(firstToken, renewed);
        await aimi.GoToAsync("goals");
        await Expect(page.Locator("#sign-in")).ToBeHiddenAsync();
        await Browser.ScreenshotAsync(page, "16-signed-in-with-oidc");
    }

    [Fact]
    public async Task Development_tokens_are_off_and_a_token_from_the_provider_is_what_the_api_takes()
    {
        using var http = new HttpClient { BaseAddress = system.Gateway };

        var devToken = await http.PostAsJsonAsync("/auth/dev-token", new { subject = "mallory" });
        var config = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/config.json");
        var anonymous = await http.GetAsync("/me");

        Assert.Equal(HttpStatusCode.NotFound, devToken.StatusCode);
        Assert.Equal("oidc", config.GetProperty("signIn").GetString());
        Assert.Equal(FakeOidcProvider.ClientId, config.GetProperty("clientId").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Signing_out_leaves_nothing_of_the_user_in_the_browser_and_revokes_the_refresh_token()
    {
        var page = await browser.NewPageAsync(system.Gateway);
        var aimi = new AimiPage(page, system.Gateway);
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with your organisation" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync("yuri");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#connection-status[data-state=open]")).ToBeVisibleAsync();
        await Expect(await aimi.SendAsync("hello")).Not.ToBeEmptyAsync();
        await page.Locator("#chat-input").FillAsync("a draft about my doctor's appointment");
        // A message the page still holds for resending, as after a dropped connection.
        await page.EvaluateAsync("subject => localStorage.setItem(`aimi.outbox.${subject}`, JSON.stringify([{ clientMessageId: 'x', content: 'unsent' }]))",
            "oidc-yuri");
        Assert.True(system.Provider.HasRefreshToken("yuri"));

        await page.Locator("#sign-out").ClickAsync();
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();

        var kept = await page.EvaluateAsync<string[]>("() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter(k => k.startsWith('aimi.'))");
        Assert.Empty(kept);
        Assert.Contains("yuri", system.Provider.Revoked);
        Assert.False(system.Provider.HasRefreshToken("yuri"));
    }
}
