using Aimi.Memory.Api;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Endpoints;
using Aimi.Messaging;
using Aimi.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (await app.MigrateIfRequestedAsync<MemoryDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapMemoryEndpoints();
app.MapConversationEndpoints();
app.MapMemoryExportEndpoints();
await app.RunAsync();

public partial class Program;
