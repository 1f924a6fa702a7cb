namespace Aimi.Gateway.Routing;

/// <summary>
/// Which services the gateway can reach. Addresses are resolved by service discovery (<c>http://goals-api</c>), which reads them
/// the way an Aspire AppHost or Kubernetes config passes them: <c>services__goals-api__http__0=http://localhost:5101</c>.
/// </summary>
public static class ServiceAddresses
{
    /// <summary>The address a YARP destination uses; service discovery turns it into the configured endpoints.</summary>
    public static Uri For(string service) => new($"http://{service}");

    /// <summary>A service with no configured endpoint (one not built or not deployed yet) gets a cluster without destinations.</summary>
    public static bool IsConfigured(IConfiguration configuration, string service) =>
        configuration.GetSection($"services:{service}").GetChildren().Any();
}
