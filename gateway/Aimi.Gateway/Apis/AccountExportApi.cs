using Aimi.Gateway.Routing;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Apis;

/// <summary>
/// <c>GET /me/export</c>: everything Aimi holds about the caller, from every service, as one zip streamed to the caller
/// (<see cref="AccountArchive"/>). The services' own export routes are what it reads; the gateway does not forward them from
/// outside, so the per-user quota cannot be gone around.
/// </summary>
public static class AccountExportApi
{
    public const string Path = "/me/export";

    /// <summary>Each service's export, in the order the archive holds them.</summary>
    public static readonly IReadOnlyList<ServiceExport> Exports =
    [
        new("chat", ResourceNames.ChatApi),
        new("goals", ResourceNames.GoalsApi),
        new("memory", ResourceNames.MemoryApi),
        new("notifications", ResourceNames.NotificationsApi),
    ];

    public static IServiceCollection AddAccountExport(this IServiceCollection services)
    {
        services.AddOptions<AccountExportOptions>().BindConfiguration(AccountExportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ExportQuota>();
        // Waits are the archive's own (AccountExportOptions.IdleTimeout, on the TimeProvider), not a client timeout. No retries
        // either: an export is all or nothing, and one that failed is given back to the quota, so the user simply asks again.
        var http = services.AddHttpClient(AccountArchive.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; it is the documented way to replace the defaults.
        http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return services;
    }

    public static IEndpointRouteBuilder MapAccountExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Export).WithName("ExportAccount").WithTags("Account").RequireAuthorization()
            .Produces(StatusCodes.Status200OK, contentType: AccountArchive.ContentType);
        foreach (var export in Exports)
        {
            // More specific than the service's "/chat/{**rest}" route, so it wins over the proxy.
            app.Map(export.Path, () => Problems.NotFound($"{export.Path} is not served on its own; GET {Path} exports everything.")).AllowAnonymous();
        }
        return app;
    }

    public static Results<AccountArchive, ProblemHttpResult> Export(HttpContext http, ExportQuota quota, IConfiguration configuration,
        IHttpClientFactory clients, IOptions<AccountExportOptions> options, TimeProvider time, ILogger<AccountArchive> logger)
    {
        // An archive without a service would be incomplete from the start: refused before anything is read.
        if (Exports.FirstOrDefault(e => !ServiceAddresses.IsConfigured(configuration, e.Service)) is { } missing)
        {
            return Problems.ServiceNotConfigured(missing.Service);
        }
        var userId = http.User.GetUserId();
        if (quota.TryTake(userId, out var retryAfter) is not { } taken)
        {
            return RequestException.TooManyRequests("Too many exports",
                $"An account can be exported {options.Value.PerHour} times an hour.", retryAfter).ToProblem(http);
        }
        return new AccountArchive(userId, taken, quota, clients.CreateClient(AccountArchive.HttpClientName), options.Value, time, logger);
    }
}

/// <summary>A service's part of the archive: read from <c>/{name}/export</c> of the service, written as <c>{name}.json</c>.</summary>
public sealed record ServiceExport(string Name, string Service)
{
    public string Path => $"/{Name}/export";
    public string Entry => $"{Name}.json";
}
