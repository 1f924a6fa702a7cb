using System.Net.Http.Json;
using System.Text.Json;

namespace Aimi.AppHost.Hosting;

/// <summary>Asks a running gateway for a development token (<c>POST /auth/dev-token {subject}</c>, enabled by the AppHost).</summary>
public static class GatewayDevTokens
{
    // The OAuth-style names a token response uses; the gateway answers with one of them.
    private static readonly string[] TokenProperties = ["accessToken", "access_token", "token"];

    public static async Task<string> RequestAsync(HttpClient gateway, string subject, CancellationToken cancellationToken = default)
    {
        using var response = await gateway.PostAsJsonAsync(new Uri("/auth/dev-token", UriKind.Relative), new { subject }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST /auth/dev-token answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }
        using var json = JsonDocument.Parse(body);
        foreach (var name in TokenProperties)
        {
            if (json.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
            {
                return value;
            }
        }
        throw new InvalidOperationException($"POST /auth/dev-token answered without a token: {body}");
    }
}
