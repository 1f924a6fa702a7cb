using Aimi.Messaging;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Consumers;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Workers;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Targets;
using MassTransit;

namespace Aimi.Notifications.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<NotificationsDbContext>(ResourceNames.NotificationsDb);

        builder.Services.AddScoped<ReminderScheduler>();
        builder.Services.AddOptions<DispatcherOptions>().BindConfiguration(DispatcherOptions.Section)
            .Validate(o => o.Concurrency > 0, "Notifications:Dispatcher:Concurrency must be at least 1.")
            .Validate(o => o.DeliveryTimeout > TimeSpan.Zero && o.DeliveryTimeout * 2 <= o.Lease,
                "Notifications:Dispatcher:DeliveryTimeout must be positive and at most half the Lease, so an outcome is recorded before the lease runs out.")
            .ValidateOnStart();
        builder.Services.AddSingleton<DispatchSignal>();
        builder.Services.AddSingleton<ReminderDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReminderDispatcher>());
        builder.Services.AddHostedService<PlannedListener>();

        builder.AddUserTargets();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        builder.Services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section);
        builder.Services.AddSingleton<SmtpMail>();
        builder.Services.AddSingleton<WebhookVerifier>();
        builder.Services.AddSingleton<IReminderChannel, InAppChannel>();
        builder.Services.AddSingleton<IReminderChannel, EmailChannel>();
        builder.Services.AddSingleton<IReminderChannel, WebhookChannel>();
        builder.Services.AddOptions<WebPushOptions>().BindConfiguration(WebPushOptions.Section);
        builder.Services.AddSingleton<IReminderChannel, WebPushChannel>();

        builder.AddAimiMessaging<NotificationsDbContext>(bus =>
        {
            bus.AddConsumer<EventChangedConsumer, EventChangedConsumerDefinition>();
            bus.AddConsumer<UserProfileChangedConsumer, UserProfileChangedConsumerDefinition>();
            bus.AddConsumer<HabitChangedConsumer, HabitChangedConsumerDefinition>();
            bus.AddConsumer<EmailConfirmationRequestedConsumer, EmailConfirmationRequestedConsumerDefinition>();
            bus.AddConsumer<WebhookVerificationRequestedConsumer, WebhookVerificationRequestedConsumerDefinition>();
            bus.AddConsumer<AccountErasureRequestedConsumer, AccountErasureRequestedConsumerDefinition>();
            bus.AddConsumer<AccountErasedConsumer, AccountErasedConsumerDefinition>();
        }, service: "notifications");

        builder.Services.AddOpenApi();
        return builder;
    }
}
