using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DevTokenResponse = Aimi.Gateway.Apis.DevTokenResponse;

namespace Aimi.Gateway.Tests;

public sealed class DevTokenGatewayHost : GatewayHost
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("Auth:DevTokens", "true"),
        new("Gateway:DevTokenLifetime", "00:30:00"),
    ];
}

public sealed class DevTokenTests(DevTokenGatewayHost gateway) : IClassFixture<DevTokenGatewayHost>
{
    [Fact]
    public async Task Minted_token_is_accepted_by_the_gateway_and_names_the_user_to_the_service()
    {
        var client = gateway.Anonymous();
        var minted = await client.PostAsJsonAsync("/auth/dev-token", new { subject = "alice@example.org", name = "Alice" });

        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        var token = await minted.Content.ReadFromJsonAsync<DevTokenResponse>();
        Assert.Equal("Bearer", token!.TokenType);
        Assert.Equal(1800, token.ExpiresIn);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        var path = $"/habits/{Guid.NewGuid():N}";
        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice@example.org", Assert.Single(gateway.Goals.RequestsTo(path)).Header("X-User-Id"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("ünïcode")]
    public async Task Bad_subject_is_400_problem(string subject)
    {
        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject });

        await AssertValidationProblem(response, "subject");
    }

    [Fact]
    public async Task Subject_longer_than_128_characters_is_400_problem()
    {
        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject = new string('a', 129) });

        await AssertValidationProblem(response, "subject");
    }

    [Fact]
    public async Task Missing_subject_is_400_problem()
    {
        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { name = "Nobody" });

        await AssertValidationProblem(response, "subject");
    }

    [Fact]
    public async Task Unknown_member_in_the_request_is_400_problem()
    {
        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject = "bob", roles = "admin" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Subject_of_exactly_128_allowed_characters_is_accepted()
    {
        var subject = string.Concat(Enumerable.Repeat("aZ0._@-", 19))[..128];

        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Oversized_chunked_body_to_the_gateways_own_endpoint_is_413_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/dev-token")
        {
            // Valid JSON as far as it goes, so only the size can be what fails.
            Content = new ProxyTests.ChunkedContent(Encoding.UTF8.GetBytes($"{{\"subject\":\"{new string('a', GatewayHost.BodyLimit)}\"}}"))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
            },
        };
        request.Headers.TransferEncodingChunked = true;

        var response = await gateway.Anonymous().SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task AssertValidationProblem(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }
}
