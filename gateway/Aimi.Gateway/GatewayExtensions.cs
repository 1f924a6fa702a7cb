using Aimi.Gateway.Apis;
using Aimi.Gateway.Middleware;
using Aimi.Gateway.Routing;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Gateway;

public static class GatewayExtensions
{
    public const string DefaultUrl = "http://localhost:8080";
    private const string ForwarderLogCategory = "Yarp.ReverseProxy.Forwarder.HttpForwarder";

    /// <summary>Everything the gateway registers besides the shared service defaults.</summary>
    public static WebApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        ListenOnDefaultUrlUnlessConfigured(builder);

        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.Section)
            .ValidateDataAnnotations()
            // DataAnnotations do not descend into the nested section, so its rules are checked here.
            .Validate(o => o.RateLimit.PermitsPerSecond is > 0 and <= 100_000, "Gateway:RateLimit:PermitsPerSecond must be in (0, 100000].")
            .Validate(o => o.RateLimit.Burst is >= 1 and <= 100_000, "Gateway:RateLimit:Burst must be in [1, 100000].")
            .Validate(o => o.TrustedProxies.All(TrustedProxies.IsNetwork),
                "Gateway:TrustedProxies must list addresses or CIDR networks (10.0.0.0/8, fd00::/8, 192.0.2.7).")
            .ValidateOnStart();

        var auth = AuthOptions.From(builder.Configuration);
        if (auth.DevTokensEnabled && auth.SigningKey is null)
        {
            throw new InvalidOperationException("Auth:DevTokens=true needs Auth:SigningKey: development tokens are signed with it.");
        }
        if (auth.DevTokensEnabled && !builder.Environment.IsDevelopmentOrTesting())
        {
            throw new InvalidOperationException(
                $"Auth:DevTokens=true is refused in the '{builder.Environment.EnvironmentName}' environment: POST /auth/dev-token would let " +
                "anyone sign in as anyone. Development tokens are for Development only; elsewhere users sign in at an OpenID Connect " +
                "provider (Auth:Authority).");
        }

        builder.Services.AddTrustedProxies();
        builder.Services.AddPerUserRateLimiting();
        builder.Services.AddServiceRoutes();
        builder.Services.AddAccountExport();
        // YARP's "Proxying to <url>" line carries the query string (a search text, a socket's ticket): never written,
        // whatever the configuration says. Traces record each forwarded request, redacted.
        builder.Logging.AddFilter(ForwarderLogCategory, LogLevel.Warning);
        return builder;
    }

    // A "Urls" entry in appsettings.json would outrank ASPNETCORE_URLS, so the default is set only when nothing is.
    private static void ListenOnDefaultUrlUnlessConfigured(WebApplicationBuilder builder)
    {
        string[] addressKeys = ["urls", "http_ports", "https_ports"];
        if (addressKeys.All(key => string.IsNullOrEmpty(builder.Configuration[key]))
            && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }
}
