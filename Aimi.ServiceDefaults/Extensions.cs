using System.Text.Json;
using System.Text.Json.Serialization;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What the Aspire service-defaults template configures (OpenTelemetry, health checks, service discovery,
/// HTTP resilience), reproduced with the plain packages, plus what every Aimi service shares:
/// JWT validation, problem-details errors and strict JSON.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string LivenessTag = "live";
    public const string ReadinessTag = "ready";
    private const string HealthPath = "/health";
    private const string AlivePath = "/alive";
    private const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <param name="validatesTokens">
    /// False only for a host that serves nothing but public files (the web client): it then gets neither a signing key nor an
    /// authority, and its pipeline authenticates no one.
    /// </param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, bool validatesTokens = true) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Registered once for all clients, the standard pipeline (and its circuit breaker) would be shared by every
            // client (dotnet/extensions#5021): one pipeline per authority keeps a failing service from breaking the rest.
            http.AddStandardResilienceHandler().SelectPipelineByAuthority();
            http.AddServiceDiscovery();
        });

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        // Bind failures throw, so the handler can say what was wrong (the default is an empty 400 outside Development).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        if (validatesTokens)
        {
            builder.AddAimiAuthentication();
        }
        else
        {
            // UseServiceDefaults' UseAuthentication/UseAuthorization need their services; no scheme means no token is read.
            builder.Services.AddAuthentication();
            builder.Services.AddAuthorization();
        }
        return builder;
    }

    /// <summary>
    /// The API's JSON rules: camelCase, enums as snake_case strings, and unknown members rejected, so a body
    /// cannot smuggle in fields the endpoint does not accept (a user id, a status, a version).
    /// </summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        }
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        // ASP.NET Core's "Request starting/finished" lines carry the whole URL, query string and all (a search text, a socket's
        // token): never written, whatever the configuration says. Traces record the requests, redacted.
        builder.Logging.AddFilter(RequestLogCategory, LogLevel.Warning);

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit", "Npgsql", "Aimi.*", "Microsoft.SemanticKernel*"))
            .WithTracing(tracing => tracing
                .AddProcessor(new QueryRedactionProcessor()) // first, so every exporter gets the spans redacted
                .AddProcessor(new UnparentedStatementsProcessor()) // before the exporters too: they skip what it unmarks
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MassTransit", "Npgsql", "Aimi.*", "Microsoft.SemanticKernel*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthPath) && !context.Request.Path.StartsWithSegments(AlivePath))
                .AddHttpClientInstrumentation());

        // Exported only when an OTLP endpoint is configured, as the Aspire template does.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LivenessTag]);
        return builder;
    }

    /// <summary>Maps <c>/health</c> (readiness: every check) and <c>/alive</c> (liveness) in every environment.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LivenessTag) })
            .AllowAnonymous().DisableRateLimiting();
        return app;
    }

    /// <summary>The request pipeline every service shares: errors as problem details, then authentication.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
