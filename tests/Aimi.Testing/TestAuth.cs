using System.Net.Http.Headers;
using Aimi.ServiceDefaults.Auth;

namespace Aimi.Testing;

/// <summary>Development tokens signed with a key known to the test hosts.</summary>
public static class TestAuth
{
    public const string SigningKey = "aimi-tests-signing-key-0123456789abcdef";
    public static readonly AuthOptions Options = new(null, AuthOptions.DefaultAudience, AuthOptions.DefaultIssuer, SigningKey, DevTokensEnabled: true);

    public static string Token(string subject) => DevTokens.Create(Options, subject, name: null, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));

    public static string NewUserId() => $"user-{Guid.NewGuid():N}";

    public static HttpClient WithUser(this HttpClient client, string subject)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(subject));
        return client;
    }

    /// <summary>The settings a service host needs to validate <see cref="Token"/>s.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Auth:SigningKey", SigningKey),
        new("Auth:Issuer", AuthOptions.DefaultIssuer),
        new("Auth:Audience", AuthOptions.DefaultAudience),
    ];
}
