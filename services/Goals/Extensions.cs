using Aimi.Goals.Api.Consumers;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Workers;
using Aimi.Messaging;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Targets;
using MassTransit;

namespace Aimi.Goals.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<GoalsDbContext>(ResourceNames.GoalsDb);

        builder.Services.AddScoped<UserDirectory>();
        builder.Services.AddScoped<EventLifecycle>();
        builder.Services.AddScoped<PlanChanges>();
        builder.Services.AddScoped<ContactChannels>();
        builder.AddUserTargets(); // the webhook URL in the profile is checked as the Notification service will call it
        builder.Services.AddHostedService<IdempotencyKeySweeper>();

        builder.AddAimiMessaging<GoalsDbContext>(bus =>
        {
            bus.AddConsumer<ReminderDeliveredConsumer, ReminderDeliveredConsumerDefinition>();
            bus.AddConsumer<RemindersScheduledConsumer, RemindersScheduledConsumerDefinition>();
            bus.AddConsumer<WebhookVerificationCompletedConsumer, WebhookVerificationCompletedConsumerDefinition>();
            bus.AddConsumer<AccountErasureCompletedConsumer, AccountErasureCompletedConsumerDefinition>();
            bus.AddConsumer<ErrorQueueScrubConsumer, ErrorQueueScrubConsumerDefinition>();
        }, service: "goals");

        builder.Services.AddOpenApi();
        return builder;
    }
}
