using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aimi.AppHost.LocalServers;

/// <summary>A readiness check registered with the AppHost's health checks and attached to a resource, so <c>WaitFor</c> waits for it.</summary>
internal static class LocalHealthChecks
{
    public static IResourceBuilder<T> WithReadinessProbe<T>(this IResourceBuilder<T> resource, Func<T, CancellationToken, Task> probe)
        where T : IResource =>
        resource.WithReadinessProbe((target, _, cancellationToken) => probe(target, cancellationToken));

    /// <summary>The same, with the AppHost's services for a probe that keeps something between runs (disposed when the AppHost stops).</summary>
    public static IResourceBuilder<T> WithReadinessProbe<T>(this IResourceBuilder<T> resource, Func<T, IServiceProvider, CancellationToken, Task> probe)
        where T : IResource
    {
        var key = $"{resource.Resource.Name}-ready";
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            services => new ProbeHealthCheck(ct => probe(resource.Resource, services, ct)),
            HealthStatus.Unhealthy,
            tags: null,
            timeout: TimeSpan.FromSeconds(5)));
        return resource.WithHealthCheck(key);
    }

    private sealed class ProbeHealthCheck(Func<CancellationToken, Task> probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await probe(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy(e.Message, e);
            }
        }
    }
}
