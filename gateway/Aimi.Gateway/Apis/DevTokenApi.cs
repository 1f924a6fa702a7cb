using System.Text.RegularExpressions;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Apis;

/// <summary>
/// <c>POST /auth/dev-token</c>: a signed development token for any subject, so a person or a test can use the system
/// without an identity provider. Only when <c>Auth:DevTokens=true</c>; otherwise the path answers 404.
/// </summary>
public static partial class DevTokenApi
{
    public const string Path = "/auth/dev-token";
    private const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapDevTokenEndpoints(this IEndpointRouteBuilder app)
    {
        var enabled = app.ServiceProvider.GetRequiredService<AuthOptions>().DevTokensEnabled;

        // When disabled the body is never read, so the answer is 404 whatever was sent.
        var endpoint = enabled
            ? app.MapPost(Path, CreateToken)
            : app.MapPost(Path, () => Problems.NotFound("Development tokens are disabled (Auth:DevTokens)."));

        endpoint.WithName("CreateDevToken").WithTags("Auth").AllowAnonymous();
        return app;
    }

    public static Results<Ok<DevTokenResponse>, ValidationProblem> CreateToken(DevTokenRequest request, [AsParameters] DevTokenServices services)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Subject is null || !ValidSubject().IsMatch(request.Subject))
        {
            errors["subject"] = ["The subject must be 1 to 128 characters of letters, digits, '.', '_', '@' or '-'."];
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            errors["name"] = [$"The name must be at most {MaxNameLength} characters."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var lifetime = services.Options.Value.DevTokenLifetime;
        var token = DevTokens.Create(services.Auth, request.Subject!, request.Name, services.Time.GetUtcNow(), lifetime);
        return TypedResults.Ok(new DevTokenResponse(token, "Bearer", (int)lifetime.TotalSeconds));
    }

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,128}$")]
    private static partial Regex ValidSubject();
}

public sealed record DevTokenRequest(string? Subject, string? Name);

public sealed record DevTokenResponse(string AccessToken, string TokenType, int ExpiresIn);

public sealed record DevTokenServices(AuthOptions Auth, IOptions<GatewayOptions> Options, TimeProvider Time);
