using System.ComponentModel.DataAnnotations;

namespace Aimi.Gateway;

/// <summary>The gateway's own settings, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Largest request body forwarded to a service; larger ones are refused with 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Larger limits for the few routes that take big bodies, by path prefix: a transcript import may be up to Memory's own
    /// 2 MiB limit (<c>ConversationsApi.MaxBodyBytes</c>), so Memory answers for it rather than the gateway.
    /// </summary>
    public Dictionary<string, long> MaxRequestBodyBytesByPath { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["/memory/conversations"] = 2 * 1024 * 1024,
    };

    /// <summary>The body limit of a request path: the longest matching prefix of <see cref="MaxRequestBodyBytesByPath"/>, else the default.</summary>
    public long BodyLimitFor(PathString path) => MaxRequestBodyBytesByPath
        .Where(route => path.StartsWithSegments(route.Key, StringComparison.OrdinalIgnoreCase))
        .OrderByDescending(route => route.Key.Length)
        .Select(route => route.Value)
        .DefaultIfEmpty(MaxRequestBodyBytes)
        .First();

    /// <summary>How long a token minted by <c>POST /auth/dev-token</c> stays valid.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>
    /// The proxies in front of the gateway (the ingress controller's pod network), as addresses or CIDR networks. Only a
    /// request from one of them has its <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> believed; empty trusts nobody.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>A token bucket per user (per client IP when anonymous).</summary>
    public sealed class RateLimitOptions
    {
        /// <summary>Sustained rate; fractions are allowed (0.5 = one request every two seconds).</summary>
        public double PermitsPerSecond { get; set; } = 20;

        /// <summary>Requests a client may make at once before the sustained rate applies.</summary>
        public int Burst { get; set; } = 40;
    }
}
