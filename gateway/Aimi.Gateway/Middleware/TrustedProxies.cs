using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// The client behind the ingress: <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are taken only from a request that comes
/// from one of <see cref="GatewayOptions.TrustedProxies"/> (anyone else could name any address and get a fresh rate-limit
/// bucket per request), and only the last hop is believed. With the scheme the proxy reports, a request that arrived over
/// HTTPS is answered with <c>Strict-Transport-Security</c> outside Development.
/// </summary>
public static class TrustedProxies
{
    public static readonly TimeSpan HstsMaxAge = TimeSpan.FromDays(365);

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayOptions>>((forwarded, gateway) =>
        {
            // Empty lists of known proxies make the middleware trust every sender, so with none configured it reads no header at
            // all. This also overrides ASPNETCORE_FORWARDEDHEADERS_ENABLED (which Aspire sets), whose setup trusts everyone.
            forwarded.ForwardedHeaders = gateway.Value.TrustedProxies.Count == 0
                ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = 1;
            // ASP.NET Core trusts loopback out of the box; here only the configured proxies are trusted.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list is still there, holding loopback by default.
            forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in gateway.Value.TrustedProxies)
            {
                forwarded.KnownIPNetworks.Add(ParseNetwork(proxy));
            }
        });
        services.AddHsts(hsts => hsts.MaxAge = HstsMaxAge);
        return services;
    }

    /// <summary>First in the pipeline, so the rate limiter, the logs and the services see the caller, not the ingress controller.</summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        return app;
    }

    public static bool IsNetwork(string value) => TryParseNetwork(value, out _);

    private static IPNetwork ParseNetwork(string value) =>
        TryParseNetwork(value, out var network) ? network : throw new FormatException($"'{value}' is not an address or a CIDR network.");

    /// <summary>A CIDR network (<c>10.0.0.0/8</c>), or a single address as a network of one.</summary>
    private static bool TryParseNetwork(string value, out IPNetwork network)
    {
        if (IPNetwork.TryParse(value, out network))
        {
            return true;
        }
        if (IPAddress.TryParse(value, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return false;
    }
}
