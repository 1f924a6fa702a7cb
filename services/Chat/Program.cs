using Aimi.Chat.Api;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Endpoints;
using Aimi.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (await app.MigrateIfRequestedAsync<ChatDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapChatEndpoints();
app.MapChatSocket();
app.MapChatExportEndpoints();
await app.RunAsync();

public partial class Program;
