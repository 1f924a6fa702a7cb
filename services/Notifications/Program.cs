using Aimi.Messaging;
using Aimi.Notifications.Api;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Endpoints;
using Aimi.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (await app.MigrateIfRequestedAsync<NotificationsDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapNotificationEndpoints();
app.MapNotificationsExportEndpoints();
await app.RunAsync();

public partial class Program;
