using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aimi.IntegrationTests.Web;

/// <summary>
/// An OpenID Connect provider on loopback, as small as the authorization code flow with PKCE allows: discovery, keys,
/// a sign-in form that takes any name, the token endpoint (code and refresh grants, with CORS for the page) and RS256
/// access tokens the gateway and the services validate through the discovery document, as they would a real provider's.
/// </summary>
public sealed class FakeOidcProvider : IAsyncDisposable
{
    public const string ClientId = "aimi-web";
    public const string Audience = "aimi";

    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-key" };
    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new();
    private readonly ConcurrentQueue<string> _revoked = new();
    private readonly TimeSpan _tokenLifetime;
    private WebApplication _app = null!;
    private int _refreshes;

    private FakeOidcProvider(TimeSpan tokenLifetime) => _tokenLifetime = tokenLifetime;

    public Uri Authority => _app.BaseAddress();

    private string Issuer => Authority.ToString().TrimEnd('/');

    /// <summary>How many times a refresh token was exchanged for a new access token.</summary>
    public int Refreshes => Volatile.Read(ref _refreshes);

    public static async Task<FakeOidcProvider> StartAsync(TimeSpan tokenLifetime)
    {
        var provider = new FakeOidcProvider(tokenLifetime);
        provider._app = await LoopbackApp.StartAsync(app =>
        {
            app.Use((context, next) =>
            {
                // The page calls discovery and the token endpoint from its own origin.
                context.Response.Headers.AccessControlAllowOrigin = "*";
                return next(context);
            });
            app.MapGet("/.well-known/openid-configuration", () => provider.Discovery());
            app.MapGet("/keys", () => Results.Json(new { keys = new[] { provider.PublicJwk() } }));
            app.MapGet("/authorize", (HttpRequest request) => SignInForm(request));
            app.MapPost("/authorize", (HttpRequest request) => provider.SignIn(request));
            app.MapPost("/token", (HttpRequest request) => provider.Token(request));
            app.MapPost("/revoke", (HttpRequest request) => provider.Revoke(request));
        });
        return provider;
    }

    private static readonly string[] Code = ["code"];
    private static readonly string[] Public = ["public"];
    private static readonly string[] Rs256 = ["RS256"];
    private static readonly string[] S256 = ["S256"];

    private IResult Discovery() => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = $"{Issuer}/authorize",
        ["token_endpoint"] = $"{Issuer}/token",
        ["revocation_endpoint"] = $"{Issuer}/revoke",
        ["jwks_uri"] = $"{Issuer}/keys",
        ["response_types_supported"] = Code,
        ["subject_types_supported"] = Public,
        ["id_token_signing_alg_values_supported"] = Rs256,
        ["code_challenge_methods_supported"] = S256,
    });

    private object PublicJwk()
    {
        var parameters = _key.Rsa.ExportParameters(false);
        return new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) };
    }

    private static IResult SignInForm(HttpRequest request)
    {
        var hidden = string.Concat(request.Query.Select(q => $"<input type=\"hidden\" name=\"{HtmlEncoder.Default.Encode(q.Key)}\" value=\"{HtmlEncoder.Default.Encode(q.Value.ToString())}\">"));
        return Results.Content($"""
            <!doctype html><html lang="en"><title>Test identity provider</title>
            <form method="post" action="/authorize">{hidden}
            <label for="user">User name</label><input id="user" name="user" required>
            <button type="submit">Continue</button></form></html>
            """, "text/html");
    }

    private async Task<IResult> SignIn(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        if (form["client_id"] != ClientId || form["response_type"] != "code" || form["code_challenge_method"] != "S256")
        {
            return Results.BadRequest("unsupported client or flow");
        }
        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _codes[code] = new Grant(form["user"].ToString(), form["redirect_uri"].ToString(), form["code_challenge"].ToString());
        return Results.Redirect($"{form["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(form["state"].ToString())}");
    }

    /// <summary>The users whose refresh tokens were revoked, in order.</summary>
    public IReadOnlyList<string> Revoked => [.. _revoked];

    /// <summary>Whether any refresh token the provider issued to <paramref name="user"/> still works.</summary>
    public bool HasRefreshToken(string user) => _refreshTokens.Values.Contains(user);

    // RFC 7009: 200 whether or not the token was known.
    private async Task<IResult> Revoke(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        if (form["client_id"] != ClientId)
        {
            return Error("invalid_client");
        }
        if (_refreshTokens.TryRemove(form["token"].ToString(), out var owner))
        {
            _revoked.Enqueue(owner);
        }
        return Results.Ok();
    }

    private async Task<IResult> Token(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        if (form["client_id"] != ClientId)
        {
            return Error("invalid_client");
        }
        string user;
        if (form["grant_type"] == "authorization_code")
        {
            if (!_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"])
            {
                return Error("invalid_grant");
            }
            var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
            if (challenge != grant.Challenge)
            {
                return Error("invalid_grant", "PKCE verification failed.");
            }
            user = grant.User;
        }
        else if (form["grant_type"] == "refresh_token" && _refreshTokens.TryRemove(form["refresh_token"].ToString(), out var owner))
        {
            Interlocked.Increment(ref _refreshes);
            user = owner;
        }
        else
        {
            return Error("invalid_grant");
        }

        var refreshToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _refreshTokens[refreshToken] = user;
        var now = DateTime.UtcNow;
        var accessToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _tokenLifetime,
            Claims = new Dictionary<string, object> { ["sub"] = $"oidc-{user}", ["name"] = user },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
        return Results.Json(new { access_token = accessToken, token_type = "Bearer", expires_in = (int)_tokenLifetime.TotalSeconds, refresh_token = refreshToken });
    }

    private static IResult Error(string error, string? description = null) =>
        Results.Json(new { error, error_description = description }, statusCode: StatusCodes.Status400BadRequest);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed record Grant(string User, string RedirectUri, string Challenge);
}
