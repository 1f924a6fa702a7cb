using System.Globalization;
using System.Threading.RateLimiting;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// One token bucket per caller (<see cref="TokenBuckets{TResource}"/>): the token's subject when authenticated, else the client IP. Every request through
/// the gateway spends a token; health probes are exempt (<c>DisableRateLimiting</c> in MapDefaultEndpoints).
/// </summary>
public static class PerUserRateLimiting
{
    public static IServiceCollection AddPerUserRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<GatewayOptions>, TimeProvider>((limiter, gateway, time) =>
        {
            var rate = gateway.Value.RateLimit;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = new TokenBuckets<HttpContext>(PartitionKey, rate.Burst, rate.PermitsPerSecond, time);
            limiter.OnRejected = OnRejectedAsync;
        });
        return services;
    }

    public static string PartitionKey(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.User.FindFirst(AuthExtensions.SubjectClaim)?.Value is { Length: > 0 } subject
            ? $"user:{subject}"
            : $"ip:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 1;
        rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await Problems.TooManyRequests(retryAfter).ExecuteAsync(rejected.HttpContext);
    }
}
