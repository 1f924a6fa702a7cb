using Aimi.Goals.Api.Consumers;
using Aimi.Goals.Api.Data;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ResourceNames.GoalsDb)
            ?? throw new InvalidOperationException($"Connection string '{ResourceNames.GoalsDb}' is missing (set ConnectionStrings__{ResourceNames.GoalsDb}).");

        builder.Services.AddDbContext<GoalsDbContext>((services, options) => options
            .UseNpgsql(connectionString)
            .UseSnakeCaseNamingConvention()
            .AddOutboxInterceptor(services));
        builder.Services.AddHealthChecks().AddDatabaseCheck<GoalsDbContext>();

        builder.Services.AddScoped<UserDirectory>();
        builder.Services.AddScoped<EventLifecycle>();

        builder.AddAimiMessaging<GoalsDbContext>(bus =>
        {
            bus.AddConsumer<ReminderDeliveredConsumer, ReminderDeliveredConsumerDefinition>();
            bus.AddConsumer<RemindersScheduledConsumer, RemindersScheduledConsumerDefinition>();
        });

        builder.Services.AddOpenApi();
        return builder;
    }
}
