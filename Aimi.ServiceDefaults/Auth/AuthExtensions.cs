using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Aimi.ServiceDefaults.Auth;

/// <summary>
/// Bearer-token validation shared by the gateway and every service (defence in depth).
/// Production: an OpenID Connect provider (<c>Auth:Authority</c>, <c>Auth:Audience</c>).
/// Development: tokens signed with <c>Auth:SigningKey</c>, as issued by the gateway's <c>/auth/dev-token</c>.
/// </summary>
public static class AuthExtensions
{
    public const string SubjectClaim = "sub";

    public static IHostApplicationBuilder AddAimiAuthentication(this IHostApplicationBuilder builder)
    {
        var options = AuthOptions.From(builder.Configuration);
        if (options.SigningKey is not null && options.Authority is not null && !builder.Environment.IsDevelopmentOrTesting())
        {
            // The key wins below, so the authority would be ignored without a word and anyone holding the key could mint tokens.
            throw new InvalidOperationException(
                $"Auth:SigningKey and Auth:Authority are both set in the '{builder.Environment.EnvironmentName}' environment: tokens signed " +
                "with the key would be accepted and the authority ignored. Set one: Auth:Authority for an OpenID Connect provider (remove " +
                "Auth__SigningKey from the service's secret), or Auth:SigningKey alone for symmetric tokens.");
        }
        builder.Services.AddSingleton(options);

        // Tokens are taken from the Authorization header only, never from a URL (logged and traced too easily): a browser's
        // WebSocket, which cannot set headers, opens with a single-use ticket instead (Chat's SocketTickets).
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.Audience = options.Audience;
                if (options.SigningKey is { } key)
                {
                    jwt.TokenValidationParameters = new TokenValidationParameters
                    {
                        ValidIssuer = options.Issuer,
                        ValidAudience = options.Audience,
                        IssuerSigningKey = AuthOptions.CreateKey(key),
                        NameClaimType = "name",
                        ClockSkew = TimeSpan.FromSeconds(30),
                    };
                }
                else
                {
                    jwt.Authority = options.Authority
                        ?? throw new InvalidOperationException("Configure Auth:Authority (OpenID Connect) or Auth:SigningKey (development).");
                    jwt.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
                    jwt.TokenValidationParameters.NameClaimType = "name";
                }

                jwt.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        if (string.IsNullOrWhiteSpace(context.Principal?.FindFirstValue(SubjectClaim)))
                        {
                            context.Fail("The token has no subject.");
                        }
                        return Task.CompletedTask;
                    },
                };
            });

        // Secure by default: every endpoint needs a user unless it says AllowAnonymous.
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>The authenticated user's id: the token subject. Never taken from a body or query string.</summary>
    public static string GetUserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(SubjectClaim) ?? throw new InvalidOperationException("The caller has no subject claim.");
}

public sealed record AuthOptions(string? Authority, string Audience, string Issuer, string? SigningKey, bool DevTokensEnabled)
{
    public const string Section = "Auth";
    public const string DefaultIssuer = "aimi-dev";
    public const string DefaultAudience = "aimi";

    public static AuthOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var signingKey = section["SigningKey"];
        if (signingKey is not null && Encoding.UTF8.GetByteCount(signingKey) < 32)
        {
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes long.");
        }
        return new AuthOptions(
            Authority: section["Authority"],
            Audience: section["Audience"] ?? DefaultAudience,
            Issuer: section["Issuer"] ?? DefaultIssuer,
            SigningKey: string.IsNullOrWhiteSpace(signingKey) ? null : signingKey,
            DevTokensEnabled: section.GetValue<bool>("DevTokens"));
    }

    public static SymmetricSecurityKey CreateKey(string signingKey) => new(Encoding.UTF8.GetBytes(signingKey));
}
