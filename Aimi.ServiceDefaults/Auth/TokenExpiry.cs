using Microsoft.IdentityModel.JsonWebTokens;

namespace Aimi.ServiceDefaults.Auth;

/// <summary>When a bearer token stops being valid, for whatever outlives the request that brought it (a WebSocket, a forwarded call).</summary>
public static class TokenExpiry
{
    /// <summary>The <c>exp</c> of a raw JWT (already validated by whoever received it); null when it has none or is no JWT.</summary>
    public static DateTimeOffset? Of(string token)
    {
        try
        {
            var jwt = new JsonWebToken(token);
            return jwt.TryGetPayloadValue<long>("exp", out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
