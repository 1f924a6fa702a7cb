using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aimi.ServiceDefaults.Auth;

/// <summary>Signs development tokens with the shared symmetric key (gateway's /auth/dev-token and tests).</summary>
public static class DevTokens
{
    public static string Create(AuthOptions options, string subject, string? name, DateTimeOffset now, TimeSpan lifetime)
    {
        var key = options.SigningKey ?? throw new InvalidOperationException("Auth:SigningKey is not configured.");
        var claims = new List<Claim> { new(AuthExtensions.SubjectClaim, subject) };
        if (!string.IsNullOrWhiteSpace(name))
        {
            claims.Add(new Claim("name", name));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(AuthOptions.CreateKey(key), SecurityAlgorithms.HmacSha256),
        });
    }
}
