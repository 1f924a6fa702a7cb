using Aimi.Memory.Api.Data;
using Aimi.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Aimi.Memory.Benchmarks;

/// <summary>The Memory service hosted in-process (no network hop: figures are the service's own time) on the bench database.</summary>
public sealed class MemoryFactory(string database, string rabbitMq, VectorSearchMode mode) : WebApplicationFactory<Program>
{
    public const string SigningKey = "aimi-bench-signing-key-0123456789abcdef";
    public static readonly AuthOptions Auth = new(null, AuthOptions.DefaultAudience, AuthOptions.DefaultIssuer, SigningKey, DevTokensEnabled: true);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development applies the migrations at start-up.
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:memorydb", database);
        builder.UseSetting("ConnectionStrings:rabbitmq", rabbitMq);
        builder.UseSetting("Auth:SigningKey", SigningKey);
        builder.UseSetting("Memory:Search:VectorMode", mode.ToString());
        builder.UseSetting("Memory:Import:PollInterval", "00:00:00.100");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public HttpClient ClientFor(string subject)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DevTokens.Create(Auth, subject, null, DateTimeOffset.UtcNow, TimeSpan.FromHours(4)));
        return client;
    }
}
