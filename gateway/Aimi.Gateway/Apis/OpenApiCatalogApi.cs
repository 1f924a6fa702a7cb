using Aimi.Gateway.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Gateway.Apis;

/// <summary><c>GET /openapi</c>: where each configured service's OpenAPI document can be fetched through the gateway.</summary>
public static class OpenApiCatalogApi
{
    public static IEndpointRouteBuilder MapOpenApiCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi", ListDocuments).WithName("ListOpenApiDocuments").WithTags("OpenApi").AllowAnonymous();
        return app;
    }

    public static Ok<IReadOnlyList<OpenApiDocumentLink>> ListDocuments(IConfiguration configuration) =>
        TypedResults.Ok<IReadOnlyList<OpenApiDocumentLink>>(
        [
            .. ServiceRoutes.Services
                .Where(service => ServiceAddresses.IsConfigured(configuration, service))
                .Select(service => new OpenApiDocumentLink(service, ServiceRoutes.OpenApiPath(service))),
        ]);
}

public sealed record OpenApiDocumentLink(string Service, string Url);
