using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.Gateway.Tests;

/// <summary>
/// The gateway on real Kestrel (WebSocket upgrades need a real server), in front of two real fake services:
/// chat-api and goals-api have addresses, memory-api deliberately has none, notifications-api points where nothing listens.
/// Subclasses change the gateway's settings.
/// </summary>
public class GatewayHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const int BodyLimit = 4096;

    public FakeService Chat { get; private set; } = null!;
    public FakeService Goals { get; private set; } = null!;

    /// <summary>The web client's host, when the subclass deploys one (<see cref="HasWebClient"/>).</summary>
    public FakeService? Web { get; private set; }

    protected virtual bool HasWebClient => false;

    /// <summary>A second goals-api replica (<c>services:goals-api:http:1</c>), when the subclass runs two.</summary>
    public FakeService? GoalsReplica { get; private set; }

    protected virtual bool HasTwoGoalsReplicas => false;

    /// <summary>The host's environment: test hosts run as <c>Testing</c>; start-up checks try others.</summary>
    protected virtual string HostEnvironment => AimiEnvironments.Testing;

    public Uri BaseAddress { get; private set; } = null!;
    public LogCapture Logs { get; } = new();

    /// <summary>A loopback address where nothing listens: the notifications-api "is down".</summary>
    public static readonly string DeadAddress = FreeLoopbackAddress();

    public async Task InitializeAsync()
    {
        Chat = await FakeService.StartAsync(ResourceNames.ChatApi);
        Goals = await FakeService.StartAsync(ResourceNames.GoalsApi);
        Web = HasWebClient ? await FakeService.StartAsync(ResourceNames.Web) : null;
        GoalsReplica = HasTwoGoalsReplicas ? await FakeService.StartAsync(ResourceNames.GoalsApi) : null;
        UseKestrel(0);
        StartServer();
        BaseAddress = CreateClient().BaseAddress!;
    }

    public HttpClient Anonymous() => CreateClient();

    public HttpClient As(string userId) => CreateClient().WithUser(userId);

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Gateway:MaxRequestBodyBytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Gateway:RateLimit:PermitsPerSecond", "1000"),
        new("Gateway:RateLimit:Burst", "1000"),
        new("Auth:DevTokens", "false"),
    ];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(HostEnvironment);
        IEnumerable<KeyValuePair<string, string?>> settings =
        [
            .. TestAuth.Settings,
            new($"services:{ResourceNames.ChatApi}:http:0", Chat.Url),
            new($"services:{ResourceNames.GoalsApi}:http:0", Goals.Url),
            new($"services:{ResourceNames.NotificationsApi}:http:0", DeadAddress),
            .. Web is null ? [] : new KeyValuePair<string, string?>[] { new($"services:{ResourceNames.Web}:http:0", Web.Url) },
            .. GoalsReplica is null ? [] : new KeyValuePair<string, string?>[] { new($"services:{ResourceNames.GoalsApi}:http:1", GoalsReplica.Url) },
            // Routing logs each request's endpoint at Information; the correlation test reads its scope.
            new("Logging:LogLevel:Microsoft.AspNetCore.Routing.EndpointMiddleware", "Information"),
            .. Settings(),
        ];
        // UseSetting (not ConfigureAppConfiguration) so Program sees the values while it builds.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }

    private static string FreeLoopbackAddress()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Chat.DisposeAsync();
        await Goals.DisposeAsync();
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
        if (GoalsReplica is not null)
        {
            await GoalsReplica.DisposeAsync();
        }
    }
}
