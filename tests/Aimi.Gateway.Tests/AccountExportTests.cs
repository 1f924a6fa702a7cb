using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Gateway.Apis;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Aimi.Gateway.Tests;

public sealed class AccountExportTests(ExportGatewayHost gateway) : IClassFixture<ExportGatewayHost>
{
    private static readonly string[] ServiceNames = ["chat", "goals", "memory", "notifications"];

    [Fact]
    public async Task Export_streams_a_zip_of_each_services_document_read_with_the_callers_token_and_a_manifest_last()
    {
        var user = TestAuth.NewUserId();
        var client = gateway.As(user);

        var response = await client.GetAsync(AccountExportApi.Path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var entries = await ReadZipAsync(response);
        Assert.Equal([.. ServiceNames.Select(s => $"{s}.json"), "manifest.json"], entries.Keys);
        foreach (var service in ServiceNames)
        {
            // Each entry is the service's document, byte for byte, and the service was called with the caller's own token.
            Assert.Equal(ExportServices.Document(service, client.DefaultRequestHeaders.Authorization!.ToString()), entries[$"{service}.json"]);
        }

        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        var root = manifest.RootElement;
        Assert.Equal(user, root.GetProperty("userId").GetString());
        Assert.Equal(gateway.Time.GetUtcNow(), root.GetProperty("exportedAt").GetDateTimeOffset());
        Assert.True(root.GetProperty("complete").GetBoolean());
        var listed = root.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(ServiceNames, listed.Select(s => s.GetProperty("service").GetString()));
        foreach (var service in listed)
        {
            var bytes = entries[service.GetProperty("entry").GetString()!];
            Assert.Equal("complete", service.GetProperty("status").GetString());
            Assert.Equal(bytes.Length, service.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), service.GetProperty("sha256").GetString());
        }
    }

    [Fact]
    public async Task Export_needs_a_signed_in_user_and_reads_nothing_without_one()
    {
        var before = gateway.Exports.Requests.Count;

        var response = await gateway.Anonymous().GetAsync(AccountExportApi.Path);

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, gateway.Exports.Requests.Count);
    }

    [Theory]
    [InlineData("/chat/export")]
    [InlineData("/goals/export")]
    [InlineData("/memory/export")]
    [InlineData("/notifications/export")]
    public async Task A_services_own_export_is_not_forwarded_from_outside_so_the_quota_cannot_be_gone_around(string path)
    {
        var client = gateway.As(TestAuth.NewUserId());

        var response = await client.GetAsync(path);

        await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain(gateway.Exports.Requests, r => r.Authorization == client.DefaultRequestHeaders.Authorization!.ToString());
    }

    [Fact]
    public async Task A_service_failing_before_the_archive_starts_is_a_problem_and_the_export_is_given_back()
    {
        var client = gateway.As(TestAuth.NewUserId());
        var token = client.DefaultRequestHeaders.Authorization!.ToString();
        gateway.Exports.Misbehave(token, "chat", Misbehaviour.Fail);

        var refused = await client.GetAsync(AccountExportApi.Path);

        var problem = await refused.ProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains(ResourceNames.ChatApi, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        gateway.Exports.Misbehave(token, "chat", null);
        for (var i = 0; i < ExportGatewayHost.PerHour; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountExportApi.Path)).StatusCode);
        }
    }

    [Theory]
    [InlineData("goals", Misbehaviour.Fail)]
    [InlineData("memory", Misbehaviour.CutMidway)]
    [InlineData("notifications", Misbehaviour.CutMidway)]
    public async Task A_service_failing_once_the_archive_has_started_cuts_the_transfer_so_no_partial_archive_looks_whole(string service, Misbehaviour misbehaviour)
    {
        var client = gateway.As(TestAuth.NewUserId());
        var token = client.DefaultRequestHeaders.Authorization!.ToString();
        gateway.Exports.Misbehave(token, service, misbehaviour);

        var error = await Record.ExceptionAsync(() => client.GetAsync(AccountExportApi.Path));

        Assert.True(error is HttpRequestException or IOException, $"The transfer should fail, not end as a whole response: {error}");
        Assert.Contains(gateway.Exports.Requests, r => r.Authorization == token && r.Service == service);
        // Given back: the user can try again at once, as often as the quota allows.
        gateway.Exports.Misbehave(token, service, null);
        for (var i = 0; i < ExportGatewayHost.PerHour; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountExportApi.Path)).StatusCode);
        }
    }

    [Theory]
    [InlineData(Misbehaviour.Silent)]
    [InlineData(Misbehaviour.Stall)]
    public async Task A_service_that_stops_sending_is_given_up_after_the_idle_timeout(Misbehaviour misbehaviour)
    {
        var client = gateway.As(TestAuth.NewUserId());
        var token = client.DefaultRequestHeaders.Authorization!.ToString();
        gateway.Exports.Misbehave(token, "memory", misbehaviour);

        var download = client.GetAsync(AccountExportApi.Path);
        // The clock moves only once memory has been asked: moved sooner, it would time out chat's or goals' answer instead, before
        // the archive starts, and the test would see that 504 rather than the stall it is about.
        await Eventually.GetAsync(() => Task.FromResult(gateway.Exports.Requests.Any(r => r.Authorization == token && r.Service == "memory")),
            asked => asked, TimeSpan.FromSeconds(10));
        if (misbehaviour == Misbehaviour.Stall)
        {
            // Half the document is out: a moment for the gateway to be reading it (the wait then is the copy's, not the request's).
            await Eventually.GetAsync(() => Task.FromResult(gateway.Exports.Stalled.Contains(token)), stalled => stalled, TimeSpan.FromSeconds(10));
            await Task.Delay(300);
        }
        // The gateway waits the idle timeout on its own clock: moved past it (again, should the wait not have begun yet) until the
        // transfer ends. Before the timeout nothing ends it: the stalled service holds it open for ever.
        await Eventually.GetAsync(() =>
        {
            gateway.Time.Advance(ExportGatewayHost.IdleTimeout + TimeSpan.FromSeconds(1));
            return Task.FromResult(download.IsCompleted);
        }, completed => completed, TimeSpan.FromSeconds(20), "the stalled export should be given up");

        HttpStatusCode? answered = null;
        var error = await Record.ExceptionAsync(async () => answered = (await download).StatusCode);
        Assert.True(error is HttpRequestException or IOException, $"The transfer should fail after the stall, not end as {answered}: {error}");
    }

    [Fact]
    public async Task The_quota_allows_a_few_exports_an_hour_then_429_with_retry_after_until_the_oldest_leaves_the_hour()
    {
        var client = gateway.As(TestAuth.NewUserId());
        for (var i = 0; i < ExportGatewayHost.PerHour; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountExportApi.Path)).StatusCode);
            gateway.Time.Advance(TimeSpan.FromMinutes(10));
        }

        var refused = await client.GetAsync(AccountExportApi.Path);

        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        // The first export was 30 minutes ago: a slot frees in 30 minutes.
        Assert.Equal(TimeSpan.FromMinutes(30), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(30 * 60, problem.GetProperty("retryAfter").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await gateway.As(TestAuth.NewUserId()).GetAsync(AccountExportApi.Path)).StatusCode);

        gateway.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(AccountExportApi.Path)).StatusCode);
    }

    private static async Task<Dictionary<string, byte[]>> ReadZipAsync(HttpResponseMessage response)
    {
        var buffer = new MemoryStream(await response.Content.ReadAsByteArrayAsync());
        await using var zip = await ZipArchive.CreateAsync(buffer, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null);
        var entries = new Dictionary<string, byte[]>();
        foreach (var entry in zip.Entries)
        {
            await using var content = await entry.OpenAsync();
            var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            entries[entry.FullName] = copy.ToArray();
        }
        return entries;
    }
}

public enum Misbehaviour
{
    /// <summary>Answers 500 before any byte of the document.</summary>
    Fail,
    /// <summary>Sends half its document, then drops the connection.</summary>
    CutMidway,
    /// <summary>Sends half its document, then nothing until the caller gives up.</summary>
    Stall,
    /// <summary>Sends nothing at all, not even its headers, until the caller gives up.</summary>
    Silent,
}

/// <summary>
/// The four services' export routes on one loopback app: each answers a document made of the service's name and the caller's
/// Authorization header, unless a test told it to misbehave for that caller.
/// </summary>
public sealed class ExportServices : IAsyncDisposable
{
    private readonly ConcurrentQueue<ExportRequest> _requests = new();
    private readonly ConcurrentQueue<string> _stalled = new();
    private readonly ConcurrentDictionary<(string Token, string Service), Misbehaviour> _misbehaviours = new();
    private WebApplication _app = null!;

    public string Url => _app.Urls.Single();
    public IReadOnlyList<ExportRequest> Requests => [.. _requests];
    /// <summary>The callers (Authorization headers) a stalling export has sent half its document to.</summary>
    public IReadOnlyCollection<string> Stalled => [.. _stalled];

    /// <summary>Big enough to cross several reads and flushes.</summary>
    public static byte[] Document(string service, string authorization) => Encoding.UTF8.GetBytes(
        $$"""{"service":"{{service}}","authorization":"{{authorization}}","rows":[{{string.Join(",", Enumerable.Range(0, 5000).Select(i => $$"""{"n":{{i}}}"""))}}]}""");

    public void Misbehave(string token, string service, Misbehaviour? misbehaviour)
    {
        if (misbehaviour is { } m)
        {
            _misbehaviours[(token, service)] = m;
        }
        else
        {
            _misbehaviours.TryRemove((token, service), out _);
        }
    }

    public static async Task<ExportServices> StartAsync()
    {
        var services = new ExportServices();
        services._app = await LoopbackApp.StartAsync(app => app.MapGet("/{service}/export", services.ExportAsync));
        return services;
    }

    private async Task ExportAsync(string service, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        _requests.Enqueue(new ExportRequest(service, authorization));
        var document = Document(service, authorization);
        if (!_misbehaviours.TryGetValue((authorization, service), out var misbehaviour))
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(document, context.RequestAborted);
            return;
        }
        if (misbehaviour == Misbehaviour.Silent)
        {
            await WaitForTheCallerToLeaveAsync(context);
            return;
        }
        if (misbehaviour == Misbehaviour.Fail)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        await context.Response.Body.WriteAsync(document.AsMemory(0, document.Length / 2), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        if (misbehaviour == Misbehaviour.CutMidway)
        {
            // After the gateway has read the headers and started the entry, so the cut comes mid-document.
            await Task.Delay(200);
            context.Abort();
            return;
        }
        _stalled.Enqueue(authorization);
        await WaitForTheCallerToLeaveAsync(context);
    }

    private static Task WaitForTheCallerToLeaveAsync(HttpContext context) =>
        Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ExportRequest(string Service, string Authorization);

/// <summary>The gateway with every service's address pointing at <see cref="ExportServices"/>, a clock the tests move, and a small quota.</summary>
public sealed class ExportGatewayHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const int PerHour = 3;
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    public ExportServices Exports { get; private set; } = null!;
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public async Task InitializeAsync()
    {
        Exports = await ExportServices.StartAsync();
        UseKestrel(0);
        StartServer();
    }

    public HttpClient Anonymous() => CreateClient();

    public HttpClient As(string userId) => CreateClient().WithUser(userId);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(AimiEnvironments.Testing);
        IEnumerable<KeyValuePair<string, string?>> settings =
        [
            .. TestAuth.Settings,
            .. AccountExportApi.Exports.Select(e => new KeyValuePair<string, string?>($"services:{e.Service}:http:0", Exports.Url)),
            new("Gateway:RateLimit:PermitsPerSecond", "1000"),
            new("Gateway:RateLimit:Burst", "1000"),
            new("Gateway:Export:PerHour", PerHour.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Gateway:Export:IdleTimeout", IdleTimeout.ToString()),
        ];
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Exports.DisposeAsync();
    }
}
