using Aimi.Gateway;
using Aimi.Gateway.Apis;
using Aimi.Gateway.Middleware;
using Aimi.Gateway.Routing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseTrustedProxies();
app.UseCorrelationId();
app.UseServiceDefaults();
app.UsePerUserRateLimiting();
app.UseRequestBodyLimit();

app.MapDefaultEndpoints();
app.MapDevTokenEndpoints();
app.MapOpenApiCatalogEndpoints();
app.MapAccountExportEndpoints();
app.MapServiceRoutes();

app.Run();

public partial class Program;
