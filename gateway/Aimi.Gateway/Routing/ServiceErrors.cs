using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Aimi.Gateway.Routing;

/// <summary>
/// Runs around each forwarded request: answers 503 for a service with no configured address, leaves a service's
/// own responses untouched, and turns the proxy's bare failure status codes into problem details.
/// </summary>
public static class ServiceErrors
{
    public static IReverseProxyApplicationBuilder UseServiceErrors(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            var feature = context.GetReverseProxyFeature();
            var service = feature.Cluster.Config.ClusterId;

            // A service's own error responses pass through as they are; the gateway must not rewrite their bodies.
            if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
            {
                statusCodePages.Enabled = false;
            }

            if (feature.AllDestinations.Count == 0)
            {
                await Problems.ServiceNotConfigured(service).ExecuteAsync(context);
                return;
            }

            await next(context);

            if (context.GetForwarderErrorFeature() is null || context.Response.HasStarted)
            {
                return;
            }

            var status = context.Response.StatusCode;
            if (status == StatusCodes.Status413PayloadTooLarge)
            {
                // The body limit cut off a chunked body while it was being forwarded.
                var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.BodyLimitFor(context.Request.Path);
                await Problems.PayloadTooLarge(limit).ExecuteAsync(context);
            }
            else if (status >= StatusCodes.Status500InternalServerError)
            {
                await Problems.ServiceFailed(service, status).ExecuteAsync(context);
            }
        });
        return proxy;
    }
}
