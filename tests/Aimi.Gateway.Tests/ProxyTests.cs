using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aimi.ServiceDefaults;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

public sealed class ProxyTests(GatewayHost gateway) : IClassFixture<GatewayHost>
{
    private const string ProblemJson = "application/problem+json";

    [Fact]
    public async Task Proxied_route_without_a_token_is_401_problem_and_never_reaches_the_service()
    {
        var path = $"/goals/{Guid.NewGuid():N}";

        var response = await gateway.Anonymous().GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(gateway.Goals.RequestsTo(path));
    }

    [Fact]
    public async Task Token_signed_with_another_key_is_401()
    {
        var client = gateway.Anonymous();
        var foreign = new ServiceDefaults.Auth.AuthOptions(null, "aimi", "aimi-dev", "another-signing-key-0123456789abcdef-xyz", true);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            ServiceDefaults.Auth.DevTokens.Create(foreign, "intruder", null, DateTimeOffset.UtcNow, TimeSpan.FromHours(1)));

        var response = await client.GetAsync("/goals");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/me", ResourceNames.GoalsApi)]
    [InlineData("/me/channels", ResourceNames.GoalsApi)]
    [InlineData("/me/erasure", ResourceNames.GoalsApi)]
    [InlineData("/goals", ResourceNames.GoalsApi)]
    [InlineData("/goals/7b0c", ResourceNames.GoalsApi)]
    [InlineData("/habits/1", ResourceNames.GoalsApi)]
    [InlineData("/events/42/confirm", ResourceNames.GoalsApi)]
    [InlineData("/agenda", ResourceNames.GoalsApi)]
    [InlineData("/chat/send", ResourceNames.ChatApi)]
    [InlineData("/chat/sessions/abc/messages", ResourceNames.ChatApi)]
    public async Task Routes_by_prefix_to_the_owning_service_without_rewriting(string path, string service)
    {
        var response = await gateway.As(TestAuth.NewUserId()).GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await response.Content.ReadFromJsonAsync<ServiceReply>();
        Assert.Equal(service, reply!.Service);
        Assert.Equal(path, reply.Path);
    }

    [Fact]
    public async Task Forwards_token_query_and_correlation_id_and_replaces_spoofed_identity_headers()
    {
        var user = TestAuth.NewUserId();
        var client = gateway.As(user);
        var path = $"/events/{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?from=2026-01-01&status=planned");
        request.Headers.Add("X-Correlation-Id", "client-corr.42");
        request.Headers.Add("X-User-Id", "someone-else");
        request.Headers.Add("X-Forwarded-User", "someone-else");
        request.Headers.Add("X-User-Roles", "admin");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("client-corr.42", Assert.Single(response.Headers.GetValues("X-Correlation-Id")));
        var seen = Assert.Single(gateway.Goals.RequestsTo(path));
        Assert.Equal("?from=2026-01-01&status=planned", seen.Query);
        Assert.Equal(client.DefaultRequestHeaders.Authorization!.ToString(), seen.Header("Authorization"));
        Assert.Equal("client-corr.42", seen.Header("X-Correlation-Id"));
        Assert.Equal(user, seen.Header("X-User-Id"));
        Assert.Null(seen.Header("X-Forwarded-User"));
        Assert.Null(seen.Header("X-User-Roles"));
    }

    [Fact]
    public async Task Strips_every_internal_header_so_a_client_cannot_pose_as_the_assistant()
    {
        var path = $"/events/{Guid.NewGuid():N}/complete";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Aimi-Actor", "assistant");
        request.Headers.Add("x-aimi-anything-else", "internal");

        var response = await gateway.As(TestAuth.NewUserId()).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(gateway.Goals.RequestsTo(path));
        Assert.Null(seen.Header("X-Aimi-Actor"));
        Assert.Null(seen.Header("X-Aimi-Anything-Else"));
    }

    [Theory]
    [InlineData("has spaces in it")]
    [InlineData("semi;colon")]
    public async Task Malformed_correlation_id_is_replaced_by_a_fresh_one_that_the_service_also_gets(string malformed)
    {
        var path = $"/goals/{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", malformed);

        var response = await gateway.As(TestAuth.NewUserId()).SendAsync(request);

        var echoed = Assert.Single(response.Headers.GetValues("X-Correlation-Id"));
        Assert.NotEqual(malformed, echoed);
        Assert.Matches("^[A-Za-z0-9._:-]{1,128}$", echoed);
        Assert.Equal(echoed, Assert.Single(gateway.Goals.RequestsTo(path)).Header("X-Correlation-Id"));
    }

    [Fact]
    public async Task Request_without_correlation_id_gets_one_on_errors_too()
    {
        var response = await gateway.Anonymous().GetAsync("/goals");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Matches("^[A-Za-z0-9]{16,}$", Assert.Single(response.Headers.GetValues("X-Correlation-Id")));
    }

    [Fact]
    public async Task Request_body_is_forwarded_to_the_service()
    {
        var path = $"/chat/{Guid.NewGuid():N}";
        var response = await gateway.As(TestAuth.NewUserId()).PostAsJsonAsync(path, new { text = "hello" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(gateway.Chat.RequestsTo(path));
        Assert.Equal("POST", seen.Method);
        Assert.True(seen.BodyLength > 0);
    }

    [Fact]
    public async Task Service_error_responses_pass_through_unchanged()
    {
        var response = await gateway.As(TestAuth.NewUserId()).GetAsync("/goals/some/empty-404");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Oversized_body_with_content_length_is_413_problem_before_reaching_the_service()
    {
        var path = $"/goals/{Guid.NewGuid():N}";
        using var content = new ByteArrayContent(new byte[GatewayHost.BodyLimit + 1]);

        var response = await gateway.As(TestAuth.NewUserId()).PostAsync(path, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(gateway.Goals.RequestsTo(path));
    }

    [Fact]
    public async Task Oversized_chunked_body_is_413_problem()
    {
        var path = $"/goals/{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ChunkedContent(GatewayHost.BodyLimit + 1) };
        request.Headers.TransferEncodingChunked = true;

        var response = await gateway.As(TestAuth.NewUserId()).SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(gateway.Goals.RequestsTo(path), r => r.BodyLength > GatewayHost.BodyLimit);
    }

    [Fact]
    public async Task Chunked_body_of_exactly_the_limit_is_forwarded_whole()
    {
        var path = $"/goals/{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ChunkedContent(GatewayHost.BodyLimit) };
        request.Headers.TransferEncodingChunked = true;

        var response = await gateway.As(TestAuth.NewUserId()).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(gateway.Goals.RequestsTo(path));
        Assert.Equal(GatewayHost.BodyLimit, seen.BodyLength);
        Assert.Null(seen.Header("Content-Length"));
    }

    [Fact]
    public async Task A_transcript_import_may_be_as_large_as_memorys_own_limit()
    {
        // Memory takes imports up to 2 MiB (ConversationsApi.MaxBodyBytes); memory-api has no address here, so 503 means "passed the limit".
        const int memoryLimit = 2 * 1024 * 1024;
        var client = gateway.As(TestAuth.NewUserId());

        using var underMemoryLimit = new ByteArrayContent(new byte[GatewayHost.BodyLimit + 1]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostAsync("/memory/conversations", underMemoryLimit)).StatusCode);
        using var overMemoryLimit = new ByteArrayContent(new byte[memoryLimit + 1]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/memory/conversations", overMemoryLimit)).StatusCode);
        // Other memory routes keep the default limit.
        using var elsewhere = new ByteArrayContent(new byte[GatewayHost.BodyLimit + 1]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/memory/items", elsewhere)).StatusCode);
    }

    [Fact]
    public async Task Route_to_a_service_without_an_address_is_503_problem()
    {
        const string service = ResourceNames.MemoryApi;
        var response = await gateway.As(TestAuth.NewUserId()).GetAsync("/memory/state");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains($"services:{service}:http:0", problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Route_to_a_service_that_is_down_is_502_problem()
    {
        var response = await gateway.As(TestAuth.NewUserId()).GetAsync("/notifications/reminders");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(ResourceNames.NotificationsApi, problem.RootElement.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task Health_endpoints_are_the_gateways_own_and_anonymous(string path)
    {
        var response = await gateway.Anonymous().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(gateway.Goals.RequestsTo(path));
        Assert.Empty(gateway.Chat.RequestsTo(path));
    }

    [Fact]
    public async Task Unknown_path_is_not_forwarded()
    {
        var response = await gateway.As(TestAuth.NewUserId()).GetAsync("/admin/users");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(gateway.Goals.RequestsTo("/admin/users"));
    }

    [Fact]
    public async Task Dev_token_endpoint_is_404_when_disabled()
    {
        var response = await gateway.Anonymous().PostAsJsonAsync("/auth/dev-token", new { subject = "alice" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApi_catalog_lists_configured_services_and_proxies_their_documents_anonymously()
    {
        var client = gateway.Anonymous();

        var catalog = await client.GetFromJsonAsync<List<OpenApiLink>>("/openapi");
        Assert.Equal(
            [
                new(ResourceNames.ChatApi, "/openapi/chat-api/v1.json"),
                new(ResourceNames.GoalsApi, "/openapi/goals-api/v1.json"),
                new(ResourceNames.NotificationsApi, "/openapi/notifications-api/v1.json"),
            ],
            catalog!.OrderBy(l => l.Service).ToList());

        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/goals-api/v1.json"));
        Assert.Equal(ResourceNames.GoalsApi, document.RootElement.GetProperty("info").GetProperty("title").GetString());
        Assert.NotEmpty(gateway.Goals.RequestsTo("/openapi/v1.json"));
    }

    private sealed record OpenApiLink(string Service, string Url);

    /// <summary>A body of unknown length, so HttpClient sends it chunked (no Content-Length for the gateway to check).</summary>
    internal sealed class ChunkedContent(byte[] payload) : HttpContent
    {
        public ChunkedContent(int length) : this(Encoding.ASCII.GetBytes(new string('x', length)))
        {
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var sent = 0; sent < payload.Length; sent += 512)
            {
                await stream.WriteAsync(payload.AsMemory(sent, Math.Min(512, payload.Length - sent)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
