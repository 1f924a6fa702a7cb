using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// Refuses request bodies larger than <c>Gateway:MaxRequestBodyBytes</c> with 413. A declared Content-Length is
/// checked before anything is read; a chunked body is cut off by the server when it passes the limit, and the
/// proxy reports that as 413 as well (see <see cref="Routing.ProxyErrors"/>).
/// </summary>
public static class RequestBodyLimit
{
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;

        if (context.Request.ContentLength > limit)
        {
            await Problems.PayloadTooLarge(limit).ExecuteAsync(context);
            return;
        }

        // Kestrel enforces this while the body streams, throwing a 413 BadHttpRequestException past the limit.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        await next(context);
    });
}
