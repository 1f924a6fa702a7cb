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
        ("chat-websocket", ResourceNames.ChatApi, "/ws/chat"),
        ("me", ResourceNames.GoalsApi, "/me"),
        ("goals", ResourceNames.GoalsApi, "/goals/{**rest}"),
        ("habits", ResourceNames.GoalsApi, "/habits/{**rest}"),
        ("events", ResourceNames.GoalsApi, "/events/{**rest}"),
        ("agenda", ResourceNames.GoalsApi, "/agenda"),
        ("memory", ResourceNames.MemoryApi, "/memory/{**rest}"),
        ("notifications", ResourceNames.NotificationsApi, "/notifications/{**rest}"),
    ];

    private const string ServiceOpenApiPath = "/openapi/v1.json";

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
            return new InMemoryConfigProvider(BuildRoutes(), BuildClusters(configuration));
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
        return app;
    }

    public static IReadOnlyList<RouteConfig> BuildRoutes() =>
    [
        .. Routes.Select(route => new RouteConfig
        {
            RouteId = route.RouteId,
            ClusterId = route.Service,
            Match = new RouteMatch { Path = route.Path },
            AuthorizationPolicy = AuthenticatedUser,
        }),
        // API documents are public (a browser opening Swagger UI has no token), and re-pathed to the service's own.
        .. Services.Select(service => new RouteConfig
        {
            RouteId = $"{service}-openapi",
            ClusterId = service,
            Match = new RouteMatch { Path = OpenApiPath(service) },
            AuthorizationPolicy = Anonymous,
        }.WithTransformPathSet(ServiceOpenApiPath)),
    ];

    /// <summary>One cluster per service, its destination resolved by service discovery; an unconfigured service gets none.</summary>
    public static IReadOnlyList<ClusterConfig> BuildClusters(IConfiguration configuration) =>
    [
        .. Services.Select(service => new ClusterConfig
        {
            ClusterId = service,
            Destinations = ServiceAddresses.IsConfigured(configuration, service)
                ? new Dictionary<string, DestinationConfig> { [service] = new() { Address = ServiceAddresses.For(service).ToString() } }
                : [],
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = ActivityTimeout },
        }),
    ];
}
