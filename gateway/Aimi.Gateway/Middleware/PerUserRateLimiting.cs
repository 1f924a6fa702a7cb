using System.Globalization;
using System.Threading.RateLimiting;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// One token bucket per caller (<see cref="TokenBuckets{TResource}"/>): the token's subject when authenticated, else the client IP. Every request through
/// the gateway spends a token; endpoints marked <c>DisableRateLimiting</c> (the health probes, in MapDefaultEndpoints) spend none. A request the
/// caller's bucket cannot pay for gets a 429 problem with <c>Retry-After</c>.
/// <para>
/// A middleware of its own rather than ASP.NET Core's <c>UseRateLimiter</c>: that one builds a limiter for its endpoint policies with
/// <c>PartitionedRateLimiter.Create</c> even when there are none, whose timer wakes a thread-pool thread every 100 ms for as long as the
/// gateway runs (issue 17: 1–1.5 ms of CPU a second of an idle gateway, measured with bench/footprint.sh).
/// </para>
/// </summary>
public static class PerUserRateLimiting
{
    public static IServiceCollection AddPerUserRateLimiting(this IServiceCollection services) =>
        services.AddSingleton(provider =>
        {
            var rate = provider.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimit;
            return new TokenBuckets<HttpContext>(PartitionKey, rate.Burst, rate.PermitsPerSecond, provider.GetRequiredService<TimeProvider>());
        });

    /// <summary>Spends the caller's token before the rest of the pipeline; place it after routing has chosen the endpoint.</summary>
    public static IApplicationBuilder UsePerUserRateLimiting(this IApplicationBuilder app)
    {
        var buckets = app.ApplicationServices.GetRequiredService<TokenBuckets<HttpContext>>();
        return app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<DisableRateLimitingAttribute>() is null)
            {
                using var lease = buckets.AttemptAcquire(context);
                if (!lease.IsAcquired)
                {
                    await RejectAsync(context, lease);
                    return;
                }
            }
            await next(context);
        });
    }

    public static string PartitionKey(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.User.FindFirst(AuthExtensions.SubjectClaim)?.Value is { Length: > 0 } subject
            ? $"user:{subject}"
            : $"ip:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";

    private static Task RejectAsync(HttpContext context, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return Problems.TooManyRequests(retryAfter).ExecuteAsync(context);
    }
}
