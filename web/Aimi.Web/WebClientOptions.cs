namespace Aimi.Web;

/// <summary>
/// How users sign in, told to the page by <c>GET /config.json</c>. Without an authority the page uses the gateway's
/// development tokens; with one (<c>Web:Oidc:Authority</c>, <c>ClientId</c>, <c>Scope</c>) it signs in through that
/// OpenID Connect provider with the authorization code flow and PKCE, as a public client.
/// </summary>
public sealed class WebClientOptions
{
    public const string Section = "Web:Oidc";

    public Uri? Authority { get; set; }

    public string ClientId { get; set; } = "aimi-web";

    /// <summary><c>offline_access</c> asks for a refresh token, so the page renews its token without sending the user away.</summary>
    public string Scope { get; set; } = "openid profile offline_access";

    public bool UsesOidc => Authority is not null;
}
