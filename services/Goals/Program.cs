using Aimi.Goals.Api;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Endpoints;
using Aimi.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (await app.MigrateIfRequestedAsync<GoalsDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapMeEndpoints();
app.MapContactEndpoints();
app.MapErasureEndpoints();
app.MapGoalEndpoints();
app.MapHabitEndpoints();
app.MapEventEndpoints();
app.MapAgendaEndpoints();
app.MapGoalsExportEndpoints();
await app.RunAsync();

public partial class Program;
