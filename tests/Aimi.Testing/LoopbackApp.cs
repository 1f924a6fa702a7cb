using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aimi.Testing;

/// <summary>
/// A minimal web app on a free loopback port, without logging: the shape of every test double that stands in for a remote
/// party over real HTTP (the model endpoint, a downstream service, a push service, a webhook receiver, an OTLP collector).
/// </summary>
public static class LoopbackApp
{
    public static async Task<WebApplication> StartAsync(
        Action<WebApplication> map, WebApplicationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(options ?? new WebApplicationOptions());
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>The address the app actually listens on (the port was chosen by the system).</summary>
    public static Uri BaseAddress(this WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
