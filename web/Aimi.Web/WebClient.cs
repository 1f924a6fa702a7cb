using Microsoft.Extensions.Options;

namespace Aimi.Web;

/// <summary>
/// How the client's files are served. The gateway forwards every GET it does not route to a service here, so the page, its
/// API and its WebSocket share one origin (no CORS). Views are chosen by the URL's fragment (<c>/#/memory</c>), so the only
/// page is <c>/index.html</c> and anything else that is not a file is a plain 404.
/// </summary>
public static class WebClient
{
    public static WebApplicationBuilder AddWebClient(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebClientOptions>().BindConfiguration(WebClientOptions.Section)
            .Validate(o => o.Authority is null || o.Authority.IsAbsoluteUri, "Web:Oidc:Authority must be an absolute URL.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ClientId), "Web:Oidc:ClientId must be set.")
            // Without an authority the page offers development sign-in, and the gateway hands out development tokens only in Development.
            .Validate(o => o.UsesOidc || builder.Environment.IsDevelopmentOrTesting(),
                $"Web:Oidc:Authority must be set in the '{builder.Environment.EnvironmentName}' environment: without it the page offers " +
                "development sign-in, which only a Development gateway answers. Set Web__Oidc__Authority and Web__Oidc__ClientId.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Only the page's own origin (scripts are modules from this host, no inline script; the API and /ws/chat are
    /// same-origin), plus the identity provider's origin for its discovery document and token endpoint when there is one.
    /// </summary>
    public static string ContentSecurityPolicy(WebClientOptions options)
    {
        var connect = options.Authority is { } authority ? $"'self' {authority.GetLeftPart(UriPartial.Authority)}" : "'self'";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
            $"connect-src {connect}; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
            "form-action 'self'; frame-ancestors 'none'";
    }

    public static WebApplication UseWebClientHeaders(this WebApplication app)
    {
        var policy = ContentSecurityPolicy(app.Services.GetRequiredService<IOptions<WebClientOptions>>().Value);
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return next(context);
        });
        return app;
    }

    public static WebApplication UseWebClientFiles(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Revalidate every time (ETag): a new release is picked up on the next load, and unchanged files answer 304.
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    /// <summary><c>GET /config.json</c>: how the page signs users in (never a secret: the client is a public one).</summary>
    public static WebApplication MapWebClientConfig(this WebApplication app)
    {
        app.MapGet("/config.json", (IOptions<WebClientOptions> options) => options.Value.UsesOidc
                ? TypedResults.Ok(new WebClientConfig("oidc", options.Value.Authority!.ToString().TrimEnd('/'), options.Value.ClientId, options.Value.Scope))
                : TypedResults.Ok(new WebClientConfig("development", null, null, null)))
            .AllowAnonymous();
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

/// <summary><c>signIn</c>: <c>development</c> (the gateway's dev tokens) or <c>oidc</c> (the provider named here).</summary>
public sealed record WebClientConfig(string SignIn, string? Authority, string? ClientId, string? Scope);
