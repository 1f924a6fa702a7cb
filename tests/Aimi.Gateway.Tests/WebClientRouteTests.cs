using System.Net;
using System.Net.Http.Json;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

/// <summary>A gateway with the web client deployed: the page and its files at "/", beside the API on one origin.</summary>
public sealed class WebClientGatewayHost : GatewayHost
{
    protected override bool HasWebClient => true;
}

public sealed class WebClientRouteTests(WebClientGatewayHost gateway) : IClassFixture<WebClientGatewayHost>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/js/main.js")]
    public async Task The_page_and_its_files_are_served_from_the_web_client_without_a_token(string path)
    {
        var response = await gateway.Anonymous().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(gateway.Web!.RequestsTo(path));
    }

    [Fact]
    public async Task Api_routes_still_go_to_their_services_and_need_a_token()
    {
        var user = TestAuth.NewUserId();
        var agenda = await gateway.As(user).GetAsync("/agenda");
        var anonymous = await gateway.Anonymous().GetAsync("/events");

        Assert.Equal(HttpStatusCode.OK, agenda.StatusCode);
        Assert.Single(gateway.Goals.RequestsTo("/agenda"));
        Assert.Empty(gateway.Web!.RequestsTo("/agenda"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Empty(gateway.Web.RequestsTo("/events"));
    }

    [Fact]
    public async Task The_gateways_own_endpoints_are_not_shadowed_by_the_web_client()
    {
        var health = await gateway.Anonymous().GetAsync("/health");
        var catalog = await gateway.Anonymous().GetAsync("/openapi");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, catalog.StatusCode);
        Assert.Empty(gateway.Web!.RequestsTo("/health"));
        Assert.Empty(gateway.Web.RequestsTo("/openapi"));
    }

    [Fact]
    public async Task Only_reads_reach_the_web_client_an_unknown_write_is_404_at_the_gateway()
    {
        var response = await gateway.As(TestAuth.NewUserId()).PostAsJsonAsync("/admin/users", new { name = "x" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(gateway.Web!.RequestsTo("/admin/users"));
    }
}
