namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Where development conveniences are allowed: development tokens, a signing key beside an authority, the web client's
/// development sign-in. Test hosts run as <c>Testing</c>; every other environment (Production, Staging…) is treated as production.
/// </summary>
public static class AimiEnvironments
{
    public const string Testing = "Testing";

    public static bool IsDevelopmentOrTesting(this IHostEnvironment environment) =>
        environment.IsDevelopment() || environment.IsEnvironment(Testing);
}
