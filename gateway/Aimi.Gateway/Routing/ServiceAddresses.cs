namespace Aimi.Gateway.Routing;

/// <summary>
/// Reads a service's addresses the way an Aspire AppHost passes them:
/// <c>services:goals-api:http:0</c> (env <c>services__goals-api__http__0=http://localhost:5101</c>), https preferred.
/// </summary>
public static class ServiceAddresses
{
    public static IReadOnlyList<Uri> For(IConfiguration configuration, string service)
    {
        foreach (var scheme in (string[])["https", "http"])
        {
            var addresses = configuration.GetSection($"services:{service}:{scheme}").GetChildren()
                .Select(entry => entry.Value)
                .Where(value => !string.IsNullOrWhiteSpace(value))
                .Select(value => Parse(service, value!))
                .ToList();
            if (addresses.Count > 0)
            {
                return addresses;
            }
        }
        return [];
    }

    public static bool IsConfigured(IConfiguration configuration, string service) => For(configuration, service).Count > 0;

    private static Uri Parse(string service, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new InvalidOperationException($"The address '{value}' configured for '{service}' is not an absolute http(s) URL.");
}
