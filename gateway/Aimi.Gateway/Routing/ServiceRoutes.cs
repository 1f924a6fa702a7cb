using Aimi.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Aimi.Gateway.Routing;

/// <summary>
/// The public surface: which path prefixes go to which service. Services serve the same paths themselves, so
/// requests are forwarded without rewriting (only the per-service OpenAPI documents are re-pathed).
/// </summary>
public static class ServiceRoutes
{
    public static readonly IReadOnlyList<string> Services =
        [ResourceNames.ChatApi, ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.NotificationsApi];

    private static readonly (string RouteId, string Service, string Path)[] Routes =
    [
        ("chat", ResourceNames.ChatApi, "/chat/{**rest}"),
        ("me", ResourceNames.GoalsApi, "/me/{**rest}"),
        ("goals", ResourceNames.GoalsApi, "/goals/{**rest}"),
        ("habits", ResourceNames.GoalsApi, "/habits/{**rest}"),
        ("events", ResourceNames.GoalsApi, "/events/{**rest}"),
        ("agenda", ResourceNames.GoalsApi, "/agenda"),
        ("memory", ResourceNames.MemoryApi, "/memory/{**rest}"),
        ("notifications", ResourceNames.NotificationsApi, "/notifications/{**rest}"),
    ];

    private const string ServiceOpenApiPath = "/openapi/v1.json";

    // The web client takes every GET no other route or gateway endpoint matches, so it is ordered after all of them.
    private const int WebClientOrder = 1_000;
    private static readonly string[] ReadMethods = [HttpMethods.Get, HttpMethods.Head];

    // YARP's reserved policy names: "default" = the default policy (an authenticated user), "anonymous" = none.
    private const string AuthenticatedUser = "default";
    private const string Anonymous = "anonymous";

    // Long enough for a slow LLM reply and for a quiet WebSocket between the server's keep-alive pings.
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Where the gateway serves a service's OpenAPI document.</summary>
    public static string OpenApiPath(string service) => $"/openapi/{service}/v1.json";

    public static IServiceCollection AddServiceRoutes(this IServiceCollection services)
    {
        services.AddSingleton<IProxyConfigProvider>(provider =>
        {
            var configuration = provider.GetRequiredService<IConfiguration>();
            return new InMemoryConfigProvider(BuildRoutes(configuration), BuildClusters(configuration));
        });
        services.AddReverseProxy().AddServiceDiscoveryDestinationResolver().AddTransforms(transforms => transforms.AddRequestTransform(IdentityHeaders.ApplyAsync));
        return services;
    }

    public static IEndpointRouteBuilder MapServiceRoutes(this IEndpointRouteBuilder app)
    {
        app.MapReverseProxy(proxy =>
        {
            proxy.UseServiceErrors();
            proxy.UseLoadBalancing();
        });
        // Any other method and path: a 404 problem (not the 405 that the web client's GET-only catch-all would imply).
        app.MapFallback("{**path}", (HttpContext context) => Problems.NotFound($"No route for {context.Request.Method} {context.Request.Path}."))
            .AllowAnonymous();
        return app;
    }

    /// <summary>The services' routes, and the web client's catch-all when a web client is deployed (else unknown paths stay 404).</summary>
    public static IReadOnlyList<RouteConfig> BuildRoutes(IConfiguration configuration) =>
    [
        .. Routes.Select(route => new RouteConfig
        {
            RouteId = route.RouteId,
            ClusterId = route.Service,
            Match = new RouteMatch { Path = route.Path },
            AuthorizationPolicy = AuthenticatedUser,
        }),
        // The chat socket is opened with a single-use ticket that only Chat can redeem (a browser cannot send a token in a
        // handshake's headers, and a token in the URL would be logged), so the gateway lets the handshake through without a
        // user. Chat takes the user from the ticket alone, and IdentityHeaders drops whatever identity the client claims.
        new RouteConfig
        {
            RouteId = "chat-websocket",
            ClusterId = ResourceNames.ChatApi,
            Match = new RouteMatch { Path = "/ws/chat" },
            AuthorizationPolicy = Anonymous,
        },
        // API documents are public (a browser opening Swagger UI has no token), and re-pathed to the service's own.
        .. Services.Select(service => new RouteConfig
        {
            RouteId = $"{service}-openapi",
            ClusterId = service,
            Match = new RouteMatch { Path = OpenApiPath(service) },
            AuthorizationPolicy = Anonymous,
        }.WithTransformPathSet(ServiceOpenApiPath)),
        // The page and its files are public: the page is where a user signs in.
        .. ServiceAddresses.IsConfigured(configuration, ResourceNames.Web)
            ? [new RouteConfig
            {
                RouteId = ResourceNames.Web,
                ClusterId = ResourceNames.Web,
                Match = new RouteMatch { Path = "/{**path}", Methods = ReadMethods },
                Order = WebClientOrder,
                AuthorizationPolicy = Anonymous,
            }]
            : Array.Empty<RouteConfig>(),
    ];

    /// <summary>One cluster per service, its destination resolved by service discovery; an unconfigured service gets none.</summary>
    public static IReadOnlyList<ClusterConfig> BuildClusters(IConfiguration configuration) =>
    [
        .. Services.Append(ResourceNames.Web).Select(service => new ClusterConfig
        {
            ClusterId = service,
            Destinations = ServiceAddresses.IsConfigured(configuration, service)
                ? new Dictionary<string, DestinationConfig> { [service] = new() { Address = ServiceAddresses.For(service).ToString() } }
                : [],
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = ActivityTimeout },
        }),
    ];
}
