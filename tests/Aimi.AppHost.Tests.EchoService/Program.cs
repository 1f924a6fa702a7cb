var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration.GetValue<bool>("Echo:FailOnStart"))
{
    Console.Error.WriteLine("Echo: failing on start as configured.");
    return 3;
}
builder.AddServiceDefaults();

var app = builder.Build();
app.UseServiceDefaults();
app.MapDefaultEndpoints();

// What the AppHost passed: connection strings, service-discovery entries and the telemetry/auth settings.
app.MapGet("/env", (IConfiguration configuration) => TypedResults.Ok(new Dictionary<string, string?>
{
    ["pid"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["serviceName"] = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"),
    ["environment"] = app.Environment.EnvironmentName,
    ["devTokens"] = configuration["Auth:DevTokens"],
    ["hasSigningKey"] = (configuration["Auth:SigningKey"] is { Length: >= 32 }).ToString(),
})).AllowAnonymous();

app.MapGet("/connection-strings/{name}", (string name, IConfiguration configuration) =>
    configuration.GetConnectionString(name) is { } value ? Results.Text(value) : Results.NotFound()).AllowAnonymous();

// Calls another resource by its topology name, resolved by service discovery from services__<name>__http__0.
app.MapGet("/call/{name}", async (string name, IHttpClientFactory clients) =>
    TypedResults.Text(await clients.CreateClient().GetStringAsync(new Uri($"http://{name}/env")))).AllowAnonymous();

app.Run();
return 0;
