using Microsoft.AspNetCore.StaticFiles;

namespace Aimi.Web;

/// <summary>
/// How the client's files are served. The gateway forwards every GET it does not route to a service here, so the page, its
/// API and its WebSocket share one origin (no CORS). Views are chosen by the URL's fragment (<c>/#/memory</c>), so the only
/// page is <c>/index.html</c> and anything else that is not a file is a plain 404.
/// </summary>
public static class WebClient
{
    // Only the page's own origin: scripts are modules from this host, no inline script, the API and /ws/chat are same-origin.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseWebClientHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return next(context);
        });
        return app;
    }

    public static WebApplication UseWebClientFiles(this WebApplication app)
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".webmanifest"] = "application/manifest+json";

        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = types,
            // Revalidate every time (ETag): a new release is picked up on the next load, and unchanged files answer 304.
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    /// <summary>Every other path is a 404 problem, like the rest of the API (the gateway forwards unknown GETs here).</summary>
    public static WebApplication MapWebClientFallback(this WebApplication app)
    {
        // "{**path}", not MapFallback's default that skips file names: a missing "/x.png" must be a 404 too, not the 401 of the
        // authorization fallback policy that applies to requests no endpoint matches.
        app.MapFallback("{**path}", (HttpContext context) => TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Not Found",
            detail: $"Nothing is served at '{context.Request.Path}'. The web client is at '/'; the API is described at '/openapi'."))
            .AllowAnonymous();
        return app;
    }
}
